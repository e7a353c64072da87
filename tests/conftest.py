import os
from pathlib import Path

import pytest


def pytest_configure(config):
    # The tests never run collectstatic, so static files keep their plain names (the served app
    # hashes them: settings.STORAGES); the settings were read before this hook, so both the
    # setting and the environment that subprocesses inherit are changed here.
    from django.conf import settings

    os.environ["DETER_STATIC_MANIFEST"] = "false"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Tasks run inline, where they are queued; tests/test_worker.py runs a real worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # WhiteNoise warns that STATIC_ROOT is missing: tests serve static files through the
    # finders (WHITENOISE_USE_FINDERS) and never run collectstatic.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
    config.addinivalue_line(
        "markers", "shared_data(*paths): needs real data under ../shared (tests/shared_data.py)"
    )


ANALYSIS_TESTS = Path(__file__).parent / "analysis"
BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(config, items):
    # deter.analysis never touches a database (tests/test_layers.py), so its tests answer the
    # same on SQLite and PostgreSQL: .ci/run's PostgreSQL pass deselects them. The browser
    # tests read pages whose queries tests/web runs on both databases; what they add (layout,
    # accessibility, scripts) does not depend on the database, and they are the slowest
    # third of the suite, so they too run once, in the SQLite pass.
    for item in items:
        parents = Path(item.fspath).parents
        if ANALYSIS_TESTS in parents or BROWSER_TESTS in parents:
            item.add_marker(pytest.mark.backend_independent)


def pytest_runtest_setup(item):
    from shared_data import check_present

    paths = [path for marker in item.iter_markers("shared_data") for path in marker.args]
    if paths:
        check_present(paths)


@pytest.fixture(autouse=True, scope="session")
def _flush_leaves_an_empty_database():
    # pytest-django empties the database with ``flush`` after each transactional test; the
    # next test must start from nothing, not from the row ``flush`` writes to start the new
    # audit chain (tests/web/test_audit_chain.py turns it back on to test it)
    from django.conf import settings

    settings.DETER_AUDIT_RECORD_FLUSH = False
