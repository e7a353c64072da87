"""Imports and analysis in the app (the tasks run inline here; tests/test_deployment.py runs a
real worker): an analyst's upload is checked, imported and analysed with its progress kept;
a bad upload imports nothing and says where it is wrong; only police and VRU analysts may;
failed jobs are retried; a killed worker's job is marked failed; the day's schedule runs once."""

import io
import os
import socket
import subprocess
import sys
import zipfile
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deter.analysis.synth import synthesise, write_county
from deter.web import tasks
from deter.web.ingest import jobs as job_writes
from deter.web.models import AnalysisRun, AuditEvent, Event, Job, Person, ScheduledRun

pytestmark = pytest.mark.django_db

POLICE_UK = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
    "abc1,2024-05,F,F,-1.5,53.6,On or near X,E01000001,A 001A,Robbery,,\n"
    "abc2,2024-05,F,F,-1.5,53.6,On or near X,E01000001,A 001A,Violence and sexual offences,,\n"
)


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def county_zip(tmp_path) -> bytes:
    write_county(synthesise(seed=3, scale="small"), tmp_path)
    return zipped({f"extract/{p.name}": p.read_bytes() for p in tmp_path.glob("*.csv")})


def upload(client, data: bytes, kind: str = "extract", name: str = "extract.zip"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("jobs"), {"kind": kind, "upload": file})


def test_an_analysts_upload_is_imported_and_analysed_with_its_progress(client, world,
                                                                      county_zip):
    client.force_login(world.analyst)
    people_before = Person.objects.count()
    response = upload(client, county_zip)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job", args=[job.pk])
    assert job.status == Job.Status.COMPLETE and job.percent == 100 and job.imported
    assert job.upload is None  # the file is deleted once imported
    assert job.run.status == AnalysisRun.Status.COMPLETE
    assert Person.objects.count() > people_before
    assert job.summary.startswith("imported ") and f"analysis run {job.run.pk}" in job.summary
    actions = list(AuditEvent.objects.filter(object_type="job").values_list("action", flat=True))
    assert "start_import_job" in actions and "import_job_complete" in actions
    page = client.get(reverse("job", args=[job.pk]))
    assert b'data-status="complete"' in page.content
    assert f"analysis run {job.run.pk}".encode() in page.content


def test_police_uk_files_are_taken_as_published(client, world):
    client.force_login(world.analyst)
    upload(client, zipped({"2024-05-f-street.csv": POLICE_UK}), kind="police_uk")
    job = Job.objects.get()
    assert job.status == Job.Status.COMPLETE, job.errors
    assert Event.objects.filter(event_id__contains="abc").count() == 2


def test_a_bad_extract_imports_nothing_and_names_file_row_and_column(client, world):
    client.force_login(world.analyst)
    people, events, runs = Person.objects.count(), Event.objects.count(), \
        AnalysisRun.objects.count()
    bad = "person_id,date_of_birth\nP1,2001-01-01\nP2,31/01/2001\n"
    upload(client, zipped({"people.csv": bad}))
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and not job.imported
    assert "people.csv, row 3, column date_of_birth: '31/01/2001' is not a date" in job.errors[0]
    assert job.errors[-1] == "Nothing was imported."
    assert (Person.objects.count(), Event.objects.count(), AnalysisRun.objects.count()) == (
        people, events, runs)
    page = client.get(reverse("job", args=[job.pk]))
    assert b"row 3, column date_of_birth" in page.content
    assert b"Try again" in page.content


@pytest.mark.parametrize(("data", "message"), [
    (b"person_id\nP1\n", "is not a zip file"),
    (b"", "The submitted file is empty"),
])
def test_an_upload_that_is_not_a_zip_is_refused_at_once(client, world, data, message):
    client.force_login(world.analyst)
    response = upload(client, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_a_zip_without_extract_files_or_escaping_its_folder_writes_nothing_outside(tmp_path):
    with pytest.raises(tasks.UploadError, match="holds no .csv or .parquet file"):
        tasks.unpack(zipped({"readme.txt": "hello"}), tmp_path)
    written = tasks.unpack(zipped({"../../escape/people.csv": "person_id\n"}), tmp_path)
    assert written == [tmp_path / "people.csv"]
    assert not (tmp_path.parent.parent / "escape").exists()


@pytest.mark.parametrize("who", ["coordinator", "caseworker", "partner", "stranger",
                                 "superuser"])
def test_only_police_and_vru_analysts_import(client, world, county_zip, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("jobs")).status_code == 404
    assert upload(client, county_zip).status_code == 404
    assert client.post(reverse("job_analyse")).status_code == 404
    assert not Job.objects.exists()
    assert AuditEvent.objects.filter(action="view_jobs", outcome="denied").exists()


def test_an_analyst_of_a_partner_agency_does_not_import(client, world):
    from tests.web.factories import make_user

    client.force_login(make_user("school-analyst", world.school, "analyst"))
    assert client.get(reverse("jobs")).status_code == 404
    assert b"Imports" not in client.get(reverse("cohort")).content


def test_the_navigation_offers_imports_to_the_analyst(client, world):
    client.force_login(world.analyst)
    assert b'href="/jobs/"' in client.get(reverse("cohort")).content


def test_a_failed_analysis_is_retried_without_importing_twice(client, world, county_zip,
                                                              monkeypatch):
    client.force_login(world.analyst)

    def broken(*args, **kwargs):
        raise RuntimeError("the analysis broke")

    monkeypatch.setattr("deter.web.ingest.runs.analyse", broken)
    upload(client, county_zip)
    job = Job.objects.get()
    assert job.imported and job.status == Job.Status.FAILED
    assert job.errors == ["RuntimeError while starting the analysis: the analysis broke"]
    monkeypatch.undo()
    people = Person.objects.count()
    response = client.post(reverse("job_retry", args=[job.pk]))
    again = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("job", args=[again.pk])
    assert again.status == Job.Status.COMPLETE and again.retry_of == job
    assert Person.objects.count() == people  # imported once
    assert again.summary.startswith(f"imported by job {job.pk}")
    # a complete job is not retried
    assert client.post(reverse("job_retry", args=[again.pk])).status_code == 302
    assert Job.objects.count() == 2


def test_a_job_whose_worker_on_this_host_is_dead_is_marked_failed_with_its_run(world):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    dead.wait()
    job = Job.objects.create(kind=Job.Kind.ANALYSIS, created_at=timezone.now())
    job_writes.begin(job)
    Job.objects.filter(pk=job.pk).update(worker=f"{job_writes.this_worker().split(':')[0]}:"
                                                f"{dead.pid}", step="ranking")
    run = AnalysisRun.objects.create(started_at=timezone.now(), pid=dead.pid,
                                     host=socket.gethostname())
    alive = Job.objects.create(kind=Job.Kind.ANALYSIS, created_at=timezone.now())
    job_writes.begin(alive)  # this process: alive
    assert job_writes.reap() == [job.pk]
    job.refresh_from_db()
    run.refresh_from_db()
    assert job.status == Job.Status.FAILED and "while ranking" in job.errors[0]
    assert run.status == AnalysisRun.Status.FAILED
    assert Job.objects.get(pk=alive.pk).status == Job.Status.RUNNING
    assert os.getpid() == int(Job.objects.get(pk=alive.pk).worker.rsplit(":", 1)[1])


def test_the_retention_run_is_queued_once_a_day_after_its_hour(world, settings):
    settings.DETER_RETENTION_HOUR = 2
    zone = timezone.get_current_timezone()
    assert tasks.queue_due(datetime(2026, 12, 2, 1, 30, tzinfo=zone)) == []
    first = tasks.queue_due(datetime(2026, 12, 2, 2, 5, tzinfo=zone))
    second = tasks.queue_due(datetime(2026, 12, 2, 9, 0, tzinfo=zone))  # another worker
    assert len(first) == 1 and second == []
    job = Job.objects.get(pk=first[0])
    assert job.kind == Job.Kind.RETENTION and job.status == Job.Status.COMPLETE
    assert job.summary.startswith("retention run ")
    assert list(ScheduledRun.objects.values_list("job", flat=True)) == ["retention"]
    assert len(tasks.queue_due(datetime(2026, 12, 3, 2, 5, tzinfo=zone))) == 1


def test_a_weekly_extract_for_people_held_already_imports_and_raises_the_groups_flag(
        client, world):
    """The refresh that used to fail ("refers to no person_id"): a new stabbing by a member of
    an active group, uploaded as a week's extract naming only the event and its people."""
    from deter.web.models import GroupViolenceFlag

    from .casework_factories import active_group

    group = active_group(world, decided_days_ago=10, members=[world.active])
    day = (timezone.now() - timezone.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    week = zipped({
        "events.csv": "event_id,occurred_at,offence_code,offence_category\n"
                      f"WEEK-1,{day},8N,violence and sexual offences\n",
        "involvements.csv": f"event_id,person_id,role\nWEEK-1,{world.active.person_id},"
                            f"suspect\nWEEK-1,{world.exited.person_id},victim\n",
    })
    client.force_login(world.analyst)
    upload(client, week, name="week-49.zip")
    job = Job.objects.get()
    assert job.status == Job.Status.COMPLETE, job.errors
    assert job.changes["events"] == {"added": 1, "updated": 0, "unchanged": 0}
    assert job.changes["involvements"]["added"] == 2
    assert "events 1 added" in job.summary
    flag = GroupViolenceFlag.objects.get(group=group)
    assert (flag.event.event_id, flag.person) == ("WEEK-1", world.active)
    page = client.get(reverse("job", args=[job.pk])).content.decode()
    assert "What the import changed" in page
    assert '<tr class="govuk-table__row" data-table="events">' in page


def test_a_weekly_extract_naming_someone_held_nowhere_says_so_and_imports_nothing(
        client, world):
    week = zipped({
        "events.csv": "event_id,occurred_at\nWEEK-2,2024-05-01\n",
        "involvements.csv": "event_id,person_id,role\nWEEK-2,NOBODY-9,suspect\n",
    })
    client.force_login(world.analyst)
    upload(client, week, name="week-50.zip")
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and not job.imported
    assert job.errors == [
        "week-50.zip: involvements.csv, row 2, column person_id: 'NOBODY-9' refers to no "
        "person_id in people, in this extract or the database", "Nothing was imported."]
    assert not Event.objects.filter(event_id="WEEK-2").exists()
