"""`deter worker`: runs the queued tasks (``deter.web.tasks``) with django-tasks-db's worker,
and every minute its housekeeping: jobs a killed worker left running are marked failed, and
the day's scheduled jobs are queued (once, whichever worker gets there first).

Run as many workers as the analyses need, on any host, against the one database: each claims
a task under a row lock, so no task runs twice.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from . import tasks
from .ingest import jobs

log = logging.getLogger("deter.worker")
HOUSEKEEPING_SECONDS = 60


def run_worker(*, interval: float = 1.0, batch: bool = False, max_tasks: int | None = None,
               housekeeping_seconds: float = HOUSEKEEPING_SECONDS) -> int:
    worker_id = jobs.this_worker()
    _tidy()  # at start, before taking a task: a job this host's dead worker left is failed now
    stop = threading.Event()
    if not batch:
        threading.Thread(target=_every, args=(housekeeping_seconds, stop), daemon=True,
                         name="deter-housekeeping").start()
    log.warning("deter worker %s taking tasks", worker_id)
    worker = Worker(queue_names=[DEFAULT_TASK_QUEUE_NAME], interval=interval, batch=batch,
                    backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=not batch,
                    max_tasks=max_tasks, worker_id=worker_id, excluded_queue_names=[])
    worker.configure_signals()
    try:
        worker.run()
    finally:
        stop.set()
    return 0


def _every(seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):
        _tidy()


def _tidy() -> None:
    try:
        done = tasks.housekeeping()
        if done["reaped"] or done["queued"]:
            log.warning("housekeeping: jobs marked failed %s, scheduled jobs queued %s",
                        done["reaped"], done["queued"])
    except Exception:  # the next minute tries again; the worker goes on taking tasks
        log.exception("housekeeping failed")
    finally:
        if threading.current_thread() is not threading.main_thread():
            connection.close()
        else:
            close_old_connections()
