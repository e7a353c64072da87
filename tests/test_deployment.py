"""Scale-out as docs/deployment.md describes it: two app servers (`deter serve`) and a worker
(`deter worker`) on loopback over one database (PostgreSQL in the PostgreSQL run, a SQLite file
otherwise). A session begun on one server is good on the other; an upload on one is imported
and analysed by the worker and followed on the other; a worker killed with SIGKILL mid-analysis
leaves no run visible and its job failed once a worker starts again, and the retry succeeds;
the audit chain written by all three processes is intact."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import httpx
import psycopg
import pytest
from benchmarks.web_pages import Session, free_port

from event_loop import run_in_own_loop

DETER = Path(sys.executable).with_name("deter")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
STREET = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context\n")


def street_zip(prefix: str, longitude: float) -> bytes:
    rows = "".join(f"{prefix}{i},2024-05,F,F,{longitude},53.6,On or near {prefix},E01000001,"
                   "A 001A,Violence and sexual offences,,\n" for i in range(2))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("2024-05-f-street.csv", STREET + rows)
    return buffer.getvalue()


class Deployment:
    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder, self.database_url = folder, database_url
        self.processes: list[subprocess.Popen] = []

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DETER_STATIC_MANIFEST")}
        return env | {"DATABASE_URL": self.database_url,
                      "DETER_STATIC_ROOT": str(self.folder / "static")}

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(DETER), *args], cwd=self.folder, env=self.env(),  # noqa: S603
                              capture_output=True, text=True, check=False)

    def start(self, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{args[0]}-{len(self.processes)}.log").open("w")
        process = subprocess.Popen([str(DETER), *args], cwd=self.folder, env=self.env(),  # noqa: S603
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def serve(self) -> str:
        port = free_port()
        server = self.start("serve", "--port", str(port), "--workers", "2")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/sign-in/", timeout=2)
                return base
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"deter serve did not start: {self.logs()}")
                time.sleep(0.3)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}"
                         for p in sorted(self.folder.glob("*.log")))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deployment")
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    name = f"deter_deploy_{uuid.uuid4().hex[:12]}"
    if on_postgres:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = f"{PG_SERVER}/{name}"
    else:
        url = f"sqlite:///{folder / 'deter.sqlite3'}"
    deployment = Deployment(folder, url)
    built = deployment.run("demo", "--no-serve", "--scale", "small")
    assert built.returncode == 0, built.stdout + built.stderr
    try:
        yield deployment
    finally:
        deployment.stop()
        if on_postgres:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def servers(deployment):
    return deployment.serve(), deployment.serve()


class Analyst:
    """The demo's analyst, signed in on one server, sending the same cookie to any."""

    def __init__(self, base: str) -> None:
        self.session = Session(httpx.AsyncClient(timeout=60), base)

    def sign_in(self) -> None:
        run_in_own_loop(self._sign_in())

    async def _sign_in(self) -> None:
        await self.session.sign_in("analyst", "deter-demo-analyst")
        await self.session.client.aclose()

    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.session.cookies.items())

    def get(self, base: str, path: str) -> httpx.Response:
        return httpx.get(base + path, headers={"Cookie": self.cookie()}, timeout=60)

    def post(self, base: str, path: str, page: str, **kwargs) -> httpx.Response:
        form = self.get(base, page).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        data = {"csrfmiddlewaretoken": token, **kwargs.pop("data", {})}
        return httpx.post(base + path, headers={"Cookie": self.cookie()}, data=data,
                          timeout=60, **kwargs)

    def upload(self, base: str, content: bytes) -> int:
        response = self.post(base, "/jobs/", "/jobs/", data={"kind": "police_uk"},
                             files={"upload": ("may.zip", content, "application/zip")})
        assert response.status_code == 302, response.text[:2000]
        return int(re.search(r"/jobs/(\d+)/", response.headers["location"]).group(1))


def job_status(analyst: Analyst, base: str, job: int) -> tuple[str, int]:
    page = analyst.get(base, f"/jobs/{job}/").text
    status = re.search(r'data-status="(\w+)"', page).group(1)
    progress = re.search(r'data-progress="(\d+)"', page)
    return status, int(progress.group(1)) if progress else -1


def wait_for(analyst: Analyst, base: str, job: int, done: callable, seconds: float,
             deployment: Deployment) -> tuple[str, int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = job_status(analyst, base, job)
        if done(state):
            return state
        time.sleep(0.05)
    pytest.fail(f"job {job} is {state} after {seconds} s:\n{deployment.logs()}")


def test_a_session_from_one_server_is_good_on_the_other(servers):
    a, b = servers
    analyst = Analyst(a)
    analyst.sign_in()
    assert analyst.get(a, "/jobs/").status_code == 200
    assert analyst.get(b, "/jobs/").status_code == 200
    assert httpx.get(b + "/jobs/").status_code == 302  # no cookie: sent to sign in


def test_an_upload_on_one_server_runs_on_the_worker_and_shows_on_the_other(deployment,
                                                                         servers):
    a, b = servers
    analyst = Analyst(a)
    analyst.sign_in()
    deployment.start("worker")
    job = analyst.upload(b, street_zip("first-", -1.5))
    status, _ = wait_for(analyst, a, job, lambda s: s[0] in ("complete", "failed"), 180,
                         deployment)
    page = analyst.get(a, f"/jobs/{job}/").text
    assert status == "complete", page
    assert "imported events 2 added, 0 updated, 0 unchanged" in page


def test_a_killed_worker_leaves_no_run_and_its_job_is_retried(deployment, servers):
    a, b = servers
    analyst = Analyst(b)
    analyst.sign_in()
    for process in deployment.processes:  # the earlier test's worker
        if process.args[1] == "worker" and process.poll() is None:
            process.terminate()
            process.wait(30)
    runs_before = _complete_runs(deployment)
    worker = deployment.start("worker")
    job = analyst.upload(a, street_zip("second-", -1.6))
    wait_for(analyst, b, job, lambda s: s[0] == "running" and s[1] >= 20, 120, deployment)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    assert job_status(analyst, b, job)[0] == "running"
    deployment.start("worker")  # reaps this host's dead worker's job before taking a task
    status, _ = wait_for(analyst, b, job, lambda s: s[0] != "running", 60, deployment)
    page = analyst.get(b, f"/jobs/{job}/").text
    assert status == "failed" and "stopped while" in page
    assert _complete_runs(deployment) == runs_before
    assert _running_runs(deployment) == 0
    retried = analyst.post(b, f"/jobs/{job}/retry/", f"/jobs/{job}/")
    again = int(re.search(r"/jobs/(\d+)/", retried.headers["location"]).group(1))
    status, _ = wait_for(analyst, a, again, lambda s: s[0] in ("complete", "failed"), 180,
                         deployment)
    assert status == "complete", analyst.get(a, f"/jobs/{again}/").text
    assert _events_like(deployment, "second-%") == 2  # imported once, not twice
    assert _complete_runs(deployment) == runs_before + 1


def test_the_audit_chain_of_all_processes_is_intact(deployment, servers):
    verified = deployment.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit chain intact" in verified.stdout


def _query(deployment: Deployment, sql: str, *params) -> int:
    url = deployment.database_url
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchone()[0]
    with psycopg.connect(url) as db:
        return db.execute(sql, params).fetchone()[0]


def _complete_runs(deployment: Deployment) -> int:
    return _query(deployment, "SELECT COUNT(*) FROM deter_analysisrun WHERE status = %s",
                  "complete")


def _running_runs(deployment: Deployment) -> int:
    return _query(deployment, "SELECT COUNT(*) FROM deter_analysisrun WHERE status = %s",
                  "running")


def _events_like(deployment: Deployment, pattern: str) -> int:
    return _query(deployment, "SELECT COUNT(*) FROM deter_event WHERE event_id LIKE %s",
                  pattern)
