"""Deter's settings with Django's SQLite defaults (rollback journal, deferred transactions, a
5 s busy timeout): what `deter serve` ran on before, for benchmarks.serve_sqlite to compare."""

from deter.web.settings import *  # noqa: F403
from deter.web.settings import DATABASES

DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=DELETE;"}
