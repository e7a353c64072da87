"""The production WSGI server `deter serve` and the demo run: gunicorn, in this process.

gunicorn rather than granian or Django's development server: it is the server Django's own
deployment guide documents, pure Python (nothing to compile on a force's build host), packaged
by Debian, and its pre-fork sync workers suit pages that are CPU-bound (the benchmark shows two
workers serve as many pages as four on two cores). Workers are separate processes, so each has
its own database connection; the audit chain's lock (``audit.guard.lock_chain``) serialises their
writes on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gunicorn.app.base import BaseApplication


def default_workers() -> int:
    """gunicorn's advice, two workers a core plus one, capped: a worker is a whole Django process
    (about 100 MB) and the pages are CPU-bound, so more than that only queues in memory."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1) + 1, 17)


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0  # 0: default_workers()
    timeout: int = 60
    access_log: bool = False

    def gunicorn_settings(self) -> dict[str, object]:
        return {
            "bind": f"{self.host}:{self.port}",
            "workers": self.workers or default_workers(),
            "worker_class": "sync",
            # A worker that has not answered in this many seconds is killed and replaced.
            "timeout": self.timeout,
            "graceful_timeout": 30,
            # Workers are recycled now and then so a slow leak cannot grow without end; the
            # jitter keeps them from restarting together.
            "max_requests": 2000,
            "max_requests_jitter": 200,
            "accesslog": "-" if self.access_log else None,
            "errorlog": "-",
            "loglevel": "info",
            # The proxy in front (docs/deployment.md) is on the same host or a trusted network;
            # its X-Forwarded-For is what the audit trail records as the address.
            "forwarded_allow_ips": os.environ.get("DETER_FORWARDED_ALLOW_IPS", "127.0.0.1"),
            "proc_name": "deter",
            # gunicorn's runtime control socket sits at one path per host user, so a second
            # server on the host (the deployment's scale-out, the tests) would take it over.
            "control_socket_disable": True,
        }


class DeterServer(BaseApplication):
    """gunicorn's documented "custom application": its arbiter and workers, with the settings
    above instead of a command line or a config file."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.gunicorn_settings().items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


def serve(options: ServeOptions) -> int:
    DeterServer(options).run()
    return 0
