"""What a force's IT security reviewer tries first: production settings that refuse to start
unsafe, headers on every page, sessions that end, and demo accounts that cannot sign in."""

import os
import stat
import subprocess
import sys
import time

import pytest
from django.urls import reverse

from deter.web.demo.world import DEMO_LOGINS
from deter.web.middleware import SESSION_SEEN, SESSION_STARTED
from deter.web.models import AuditEvent

from .factories import make_user

GOOD_KEY = "Zq8-vL2pX9rT4wY7uB1nM6cK3jH5gF0dS_aQeRtYuIoPlKjHgFdSa"  # noqa: S105 (a test key)
PRODUCTION = {"DETER_ENV": "production", "DETER_SECRET_KEY": GOOD_KEY,
              "DETER_ALLOWED_HOSTS": "deter.example.police.uk",
              "DATABASE_URL": "postgres://deter@127.0.0.1:5432/deter"}


def clean_env() -> dict[str, str]:
    """This process's environment without Deter's settings, the database, and what the test
    suite itself sets (the browser tests allow async-unsafe ORM calls)."""
    dropped = ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    return {k: v for k, v in os.environ.items()
            if not k.startswith("DETER_") and k not in dropped}


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with ``env`` over a clean environment."""
    clean = clean_env()
    return subprocess.run(
        [sys.executable, "-c", "import deter.web.settings as s; "
         "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE)"],
        env={**clean, **env}, capture_output=True, text=True, timeout=60)


def test_production_starts_with_hsts_secure_cookies_and_the_https_redirect():
    result = load_settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "True", "True"]


@pytest.mark.parametrize(("change", "message"), [
    ({"DETER_SECRET_KEY": "x"}, "at least 50 characters in production (it is 1, "),
    ({"DETER_SECRET_KEY": GOOD_KEY[:49]}, "(it is 49, "),
    ({"DETER_SECRET_KEY": "ab" * 30}, "(it is 60, 2 different)"),
    ({"DETER_DEBUG": "true"}, "DETER_DEBUG=true is refused in production"),
    ({"DETER_ALLOWED_HOSTS": ""}, "DETER_ALLOWED_HOSTS must name the host names"),
    ({"DATABASE_URL": "sqlite:////tmp/deter.sqlite3"}, "SQLite is for the demo"),
    ({"DETER_SESSION_IDLE_MINUTES": "0"}, "DETER_SESSION_IDLE_MINUTES='0'"),
])
def test_production_refuses_to_start_unsafe(change, message):
    result = load_settings(**{**PRODUCTION, **change})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_a_single_analyst_may_choose_sqlite_in_production():
    result = load_settings(**{**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/deter.sqlite3",
                              "DETER_ALLOW_SQLITE": "true"})
    assert result.returncode == 0, result.stderr


def test_the_demo_starts_without_https(tmp_path):
    result = load_settings(DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "False", "False"]


def test_a_signed_in_page_is_never_stored_and_no_page_may_use_the_camera(client, world):
    signed_out = client.get(reverse("login"))
    assert "camera=()" in signed_out["Permissions-Policy"]
    client.force_login(world.coordinator)
    page = client.get(reverse("person", args=[world.active.pk]))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert "geolocation=()" in page["Permissions-Policy"]
    policy = page["Content-Security-Policy"]
    assert "base-uri 'none'" in policy and "object-src 'none'" in policy
    assert page["Referrer-Policy"] == "same-origin"


def age_session(client, **seconds_ago: float) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_a_session_ends_after_its_idle_time(client, world, settings):
    assert settings.DETER_SESSION_IDLE_MINUTES == 30
    client.force_login(world.coordinator)
    assert client.get(reverse("cohort")).status_code == 200
    age_session(client, **{SESSION_STARTED: 40 * 60, SESSION_SEEN: 29 * 60})
    assert client.get(reverse("cohort")).status_code == 200  # 29 minutes idle: still in
    # ...and that request counted as activity
    assert time.time() - client.session[SESSION_SEEN] < 5
    age_session(client, **{SESSION_SEEN: 31 * 60})
    response = client.get(reverse("cohort"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.get(action="session_expired").detail["idle_minutes"] == 31


def test_a_busy_page_does_not_write_the_session_on_every_request(client, world):
    client.force_login(world.coordinator)
    client.get(reverse("cohort"))
    seen = client.session.get(SESSION_SEEN, client.session[SESSION_STARTED])
    client.get(reverse("cohort"))
    assert client.session.get(SESSION_SEEN, client.session[SESSION_STARTED]) == seen


def test_a_session_ends_its_max_hours_after_sign_in_however_active(client, world, settings):
    client.force_login(world.coordinator)
    assert client.get(reverse("cohort")).status_code == 200
    # active a minute ago, but signed in more than the maximum ago
    age_session(client, **{SESSION_STARTED: settings.DETER_SESSION_MAX_HOURS * 3600 + 60,
                           SESSION_SEEN: 60})
    response = client.get(reverse("cohort"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    row = AuditEvent.objects.filter(action="session_expired").get()
    assert row.actor == world.coordinator and row.outcome == "denied"
    assert client.get(reverse("cohort")).status_code == 302  # signed out, not just refused


@pytest.mark.django_db
def test_a_demo_account_with_its_published_password_cannot_sign_in_in_production(client,
                                                                                   settings):
    login = DEMO_LOGINS[0]
    user = make_user(login.username)
    user.set_password(login.password)
    user.save()
    credentials = {"username": login.username, "password": login.password}
    settings.PRODUCTION = True
    refused = client.post(reverse("login"), credentials)
    assert refused.status_code == 400
    assert "demo account whose password is published" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    user.set_password("a-new-password-of-its-own-2026")
    user.save()
    signed_in = client.post(reverse("login"), {"username": login.username,
                                               "password": "a-new-password-of-its-own-2026"})
    assert signed_in.status_code == 302
    settings.PRODUCTION = False
    client.logout()
    user.set_password(login.password)
    user.save()
    assert client.post(reverse("login"), credentials).status_code == 302  # the demo is fine


@pytest.mark.django_db
def test_deploy_checks_name_active_demo_accounts_in_production(settings):
    from django.contrib.auth.models import User

    from deter.web.apps import _no_demo_accounts_in_production

    login = DEMO_LOGINS[1]
    User.objects.create_user(login.username, password=login.password)
    assert _no_demo_accounts_in_production(None) == []  # not in production
    settings.PRODUCTION = True
    errors = _no_demo_accounts_in_production(None)
    assert [e.id for e in errors] == ["deter.E001"] and login.username in errors[0].msg
    User.objects.filter(username=login.username).update(is_active=False)
    assert _no_demo_accounts_in_production(None) == []


def test_a_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "deter.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o644)
    clean = clean_env()
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; "
         "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'deter.web.settings'); "
         "django.setup(); from django.db import connection; connection.ensure_connection()"],
        env={**clean, "DATABASE_URL": f"sqlite:///{path}"}, capture_output=True, text=True,
        timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_deter_check_passes_a_safe_production_and_fails_a_demo_account(tmp_path):
    clean = clean_env()
    env = {**clean, **PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/deter.sqlite3",
           "DETER_ALLOW_SQLITE": "true"}
    deter = [sys.executable, "-m", "deter.cli"]

    def run(*args):
        return subprocess.run([*deter, *args], env=env, capture_output=True, text=True,  # noqa: S603
                              timeout=300)

    assert run("migrate").returncode == 0
    passed = run("check")
    assert passed.returncode == 0, passed.stderr
    login = DEMO_LOGINS[0]
    subprocess.run([sys.executable, "-c", "import django, os; "  # noqa: S603
                    "os.environ['DJANGO_SETTINGS_MODULE'] = 'deter.web.settings'; django.setup(); "
                    "from django.contrib.auth.models import User; "
                    f"User.objects.create_user({login.username!r}, password={login.password!r})"],
                   env=env, check=True, timeout=60)
    failed = run("check")
    assert failed.returncode == 1 and "deter.E001" in failed.stderr
    assert login.username in failed.stderr
