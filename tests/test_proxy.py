"""The app in production behind Debian's nginx with the repository's own site configuration
(deploy/nginx-deter.conf, only its ports, names and certificate paths changed): HTTP is sent to
HTTPS, the pages carry HSTS and no-store, cookies are Secure, static files are cached for ever,
and the audit trail records the address nginx saw, not one a client put in X-Forwarded-For."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from benchmarks.web_pages import free_port

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx-deter.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DETER = Path(sys.executable).with_name("deter")
HOST = "deter.example.police.uk"
PASSWORD = secrets.token_urlsafe(16)

pytestmark = pytest.mark.backend_independent


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    if not Path(NGINX).exists():
        message = "nginx is not installed (make test-deps installs Debian's)"
        if os.environ.get("DETER_REQUIRE_BROWSER"):
            pytest.fail(message + " (DETER_REQUIRE_BROWSER is set: CI must run it)")
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("proxy")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DETER_STATIC_MANIFEST")} | {
        "DATABASE_URL": f"sqlite:///{folder / 'deter.sqlite3'}", "DETER_ALLOW_SQLITE": "true",
        "DETER_ENV": "production", "DETER_SECRET_KEY": secrets.token_urlsafe(50),
        "DETER_ALLOWED_HOSTS": HOST, "DETER_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "DETER_TRUSTED_PROXIES": "1", "DETER_STATIC_ROOT": str(folder / "static"),
        "DJANGO_SETTINGS_MODULE": "deter.web.settings",
    }
    subprocess.run([str(DETER), "migrate"], env=env, check=True,  # noqa: S603
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", (  # noqa: S603
        "import django; django.setup(); from django.contrib.auth.models import User; "
        f"User.objects.create_user('reviewer', password='{PASSWORD}')")],
        env=env, check=True)
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    app = subprocess.Popen([str(DETER), "serve", "--port", str(app_port), "--workers", "2"],  # noqa: S603
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nginx = _start_nginx(folder, app_port, http_port, https_port)
    try:
        yield from _serve_through(folder, app, nginx, http_port, https_port)
    finally:
        for process in (nginx, app):
            process.terminate()
            process.wait(30)


def _serve_through(folder: Path, app, nginx, http_port: int, https_port: int):
    base = f"https://127.0.0.1:{https_port}"
    client = httpx.Client(base_url=base, verify=False, headers={"Host": HOST}, timeout=30)  # noqa: S501
    deadline = time.monotonic() + 60
    while True:
        try:
            if client.get("/sign-in/").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if app.poll() is not None or nginx.poll() is not None or time.monotonic() > deadline:
            log = folder / "nginx-error.log"
            pytest.fail("the app or nginx did not start: "
                        + (log.read_text() if log.exists() else "no nginx log"))
        time.sleep(0.3)
    yield client, http_port, folder / "deter.sqlite3"
    client.close()


def _start_nginx(folder: Path, app_port: int, http_port: int, https_port: int):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S603, S607
                    "-subj", f"/CN={HOST}", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    site = SITE.read_text()
    for old, new in (("127.0.0.1:8000", f"127.0.0.1:{app_port}"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("/etc/ssl/deter/fullchain.pem", str(folder / "cert.pem")),
                     ("/etc/ssl/deter/privkey.pem", str(folder / "key.pem"))):
        assert old in site, f"deploy/nginx-deter.conf no longer has {old!r}"
        site = site.replace(old, new)
    site = re.sub(r"\s*listen \[::\]:\d+( ssl http2)?;", "", site)
    (folder / "site.conf").write_text(site)
    temp = folder / "nginx-temp"
    temp.mkdir()
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/site.conf;
}}
""")
    return subprocess.Popen([NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder)],  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_plain_http_is_sent_to_https(proxied):
    _client, http_port, _database = proxied
    response = httpx.get(f"http://127.0.0.1:{http_port}/sign-in/", headers={"Host": HOST})
    assert response.status_code == 301
    assert response.headers["location"] == f"https://{HOST}/sign-in/"


def test_pages_carry_hsts_and_hide_the_server_version(proxied):
    client, _http_port, _database = proxied
    response = client.get("/sign-in/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert response.headers["server"] == "nginx"  # server_tokens off: no version


def test_signing_in_over_the_proxy_sets_secure_cookies_and_audits_the_real_address(proxied):
    client, _http_port, database = proxied
    form = client.get("/sign-in/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = client.post("/sign-in/", data={
        "username": "reviewer", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Origin": f"https://{HOST}", "Referer": f"https://{HOST}/sign-in/",
                 "X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 302, response.text[:1000]
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sessionid="))
    assert "Secure" in session and "HttpOnly" in session
    # production asks a local account for a second factor before any page: enrolment first
    page = client.get("/cohort/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert page.status_code == 302 and page.headers["location"].startswith("/account/two-factor/")
    enrol = client.get(page.headers["location"], headers={"X-Forwarded-For": "203.0.113.9"})
    assert enrol.status_code == 200
    assert "no-store" in enrol.headers["cache-control"]
    with sqlite3.connect(database) as db:
        addresses = {row[0] for row in db.execute(
            "SELECT ip_address FROM deter_auditevent WHERE ip_address IS NOT NULL")}
    assert addresses == {"127.0.0.1"}  # what nginx saw; the client's claim is not believed


def test_static_files_come_through_the_proxy_cached_for_ever(proxied):
    client, _http_port, _database = proxied
    # a client of its own: the fixture's is signed in, and the sign-in page would redirect it
    page = httpx.get(str(client.base_url.join("/sign-in/")), headers={"Host": HOST},
                     verify=False).text  # noqa: S501
    stylesheet = re.search(r"href=\"(/static/deter/app\.[0-9a-f]{12}\.css)\"", page)
    assert stylesheet, page[:1500]
    stylesheet = stylesheet.group(1)
    response = client.get(stylesheet)
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
