"""The deter command: --help everywhere, clear errors and exit code 2, nothing loaded."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from deter.cli import UserError, _config, build_parser, main
from deter.web.models import Event, Person

COMMANDS = ["synth", "migrate", "import", "analyse", "demo", "retention", "audit", "export",
            "sar", "user", "users", "agencies", "api-token", "check", "runs", "worker", "serve"]


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS], ["retention", "run"],
                                     ["audit", "verify"], ["export", "evaluation"],
                                     ["user", "reset-password"], ["user", "deactivate"],
                                     ["user", "reset-two-factor"], ["users", "list"],
                                     ["users", "add"], ["users", "edit"], ["users", "grant"],
                                     ["users", "revoke"],
                                     ["agencies", "list"], ["agencies", "add"],
                                     ["agencies", "edit"], ["api-token", "create"],
                                     ["api-token", "list"], ["api-token", "revoke"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    assert "usage: deter" in capsys.readouterr().out


def test_the_parser_knows_every_command():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    assert sorted(choices) == sorted(COMMANDS)


@pytest.mark.django_db(transaction=True)
def test_a_bad_extract_exits_2_with_file_row_column_and_loads_nothing(tmp_path, capsys):
    (tmp_path / "people.csv").write_text("person_id,date_of_birth\nP1,2001-01-01\nP2,31/01/2001\n")
    assert main(["import", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "people.csv, row 3, column date_of_birth: '31/01/2001' is not a date" in err
    assert "Nothing was imported" in err
    assert Person.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_police_uk_files_import(tmp_path, capsys):
    path = tmp_path / "2024-05-x-street.csv"
    path.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n"
        "abc,2024-05,F,F,-1.5,53.6,On or near X,E01000001,A 001A,Robbery,,\n"
        ",2024-05,F,F,-1.5,53.6,On or near X,E01000001,A 001A,Anti-social behaviour,,\n"
    )
    assert main(["import", "--police-uk", str(path)]) == 0
    assert "events: 2 added, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert sorted(Event.objects.values_list("offence_category", flat=True)) == [
        "anti-social behaviour", "robbery"]


def test_a_bad_date_option_is_refused(capsys):
    with pytest.raises(SystemExit) as done:
        main(["analyse", "--as-of", "next week"])
    assert done.value.code == 2
    assert "is not a date" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_importing_a_police_uk_month_again_adds_only_the_new_events(tmp_path, capsys):
    path = tmp_path / "2024-05-x-street.csv"
    header = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
              "LSOA name,Crime type,Last outcome category,Context\n")
    path.write_text(header + "abc,2024-05,F,F,-1.5,53.6,On or near X,E01000001,A,Robbery,,\n")
    later = tmp_path / "2024-06-x-street.csv"
    later.write_text(header + "def,2024-06,F,F,-1.5,53.6,On or near X,E01000001,A,Robbery,,\n")
    assert main(["import", "--police-uk", str(path)]) == 0
    assert main(["import", "--police-uk", str(later), str(path)]) == 0
    out = capsys.readouterr().out
    assert "events: 1 added, 0 updated, 1 unchanged" in out
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["abc", "def"]


def test_analyse_an_extract_folder_without_the_database(tmp_path, capsys):
    from deter.analysis.pipeline import OUTPUT_FILES
    from deter.analysis.synth import synthesise, write_county

    write_county(synthesise(seed=4, scale="small"), tmp_path / "extract")
    out = tmp_path / "out"
    assert main(["analyse", "--extract", str(tmp_path / "extract"), "--out", str(out),
                 "--min-harm", "100"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["criteria"]["min_harm_score"] == 100
    assert "meet the selection criteria" in capsys.readouterr().out


def test_bad_criteria_and_a_missing_out_are_refused_without_a_traceback(tmp_path, capsys):
    assert main(["analyse", "--extract", str(tmp_path)]) == 2
    assert "--extract needs --out" in capsys.readouterr().err
    assert main(["analyse", "--extract", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--violent-within-days", "0", "--min-harm", "0"]) == 2
    assert "at least one selection criterion" in capsys.readouterr().err


def _analyse_args(*options: str):
    return build_parser().parse_args(["analyse", "--extract", "x", "--out", "y", *options])


def test_analyse_defaults_are_the_config_defaults():
    """With no options the command analyses with AnalysisConfig() exactly: a default changed
    in one place but not the other fails here."""
    from deter.analysis.config import AnalysisConfig

    assert _config(_analyse_args()) == AnalysisConfig()


def test_each_analysis_option_reaches_the_config_and_shows_its_default(capsys):
    from deter.analysis.config import AnalysisConfig, SelectionCriteria

    config = _config(_analyse_args(
        "--window-days", "400", "--half-life-days", "90", "--resolution", "0.5", "--seed", "7",
        "--violent-within-days", "0", "--min-harm", "10", "--min-rfgv", "6", "--combine", "any",
    ))
    assert (config.window_days, config.half_life_days, config.resolution, config.seed) == (
        400, 90.0, 0.5, 7)
    assert config.criteria == SelectionCriteria(
        violent_within_days=None, min_harm_score=10.0, min_rfgv_score=6.0, combine="any")
    local = _config(_analyse_args("--timezone", "America/New_York", "--disruption-top", "3"))
    assert (local.timezone, local.disruption_top) == ("America/New_York", 3)
    with pytest.raises(UserError, match="unknown time zone 'Mars/Olympus'"):
        _config(_analyse_args("--timezone", "Mars/Olympus"))
    with pytest.raises(SystemExit):
        main(["analyse", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    defaults = AnalysisConfig()
    assert f"(default {defaults.window_days})" in shown
    assert f"(default {defaults.criteria.violent_within_days})" in shown
    assert f"(default {defaults.harm_table})" in shown


def test_synth_accepts_every_scale_the_synthesiser_has():
    from deter.analysis.synth import SCALES

    for scale in SCALES:
        assert build_parser().parse_args(["synth", "--out", "x", "--scale", scale]).scale == scale
    assert "national" in SCALES


# --- deter retention run ---------------------------------------------------------------------


def _rejected_six_months_ago():
    """A programme and one proposal rejected six months ago today, as the panel would leave it."""
    from datetime import date, datetime, time

    from django.contrib.auth.models import User
    from django.utils import timezone

    from deter.web.domain.retention import add_months
    from deter.web.models import Agency, CohortEntry, Programme

    agency = Agency.objects.create(name="Testshire VRU", kind="vru")
    programme = Programme.objects.create(name="Knife crime", problem="Knives", area="Testshire",
                                         start=date(2026, 1, 1))
    programme.agencies.set([agency])
    person = Person.objects.create(person_id="P-REJECTED")
    coordinator = User.objects.create_user("coordinator")
    decided = timezone.make_aware(datetime.combine(add_months(timezone.localdate(), -6), time(9)))
    return CohortEntry.objects.create(
        programme=programme, person=person, status="rejected", rationale="Proposed",
        review_date=timezone.localdate(), decided_at=decided, decided_by=coordinator)


@pytest.mark.django_db(transaction=True)
def test_retention_dry_run_reports_and_the_real_run_deletes(capsys):
    from deter.web.models import AuditEvent, CohortEntry, DeletionConfirmation, RetentionRun

    entry = _rejected_six_months_ago()
    assert main(["retention", "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(dry run: nothing changed)" in out
    assert "Rejected proposals (Knife crime): 1 dated" in out
    assert f"would be deleted: {entry.pk}" in out
    assert CohortEntry.objects.filter(pk=entry.pk).exists()
    assert main(["retention", "run"]) == 0
    out = capsys.readouterr().out
    assert f"were deleted: {entry.pk}" in out
    assert "1 deletion confirmations asked of 1 partner agencies" in out
    assert not CohortEntry.objects.filter(pk=entry.pk).exists()
    assert DeletionConfirmation.objects.count() == 1
    assert AuditEvent.objects.filter(action="retention_delete", actor=None).count() == 1
    assert main(["retention", "run"]) == 0
    assert "nothing falls due" in capsys.readouterr().out
    assert list(RetentionRun.objects.order_by("pk").values_list("dry_run", flat=True)) == [
        True, False, False]


@pytest.mark.django_db(transaction=True)
def test_retention_refuses_a_bad_or_future_date_and_changes_nothing(capsys):
    from deter.web.models import CohortEntry, RetentionRun

    entry = _rejected_six_months_ago()
    with pytest.raises(SystemExit) as done:
        main(["retention", "run", "--as-of", "31/01/2027"])
    assert done.value.code == 2
    assert "'31/01/2027' is not a date (YYYY-MM-DD)" in capsys.readouterr().err
    assert main(["retention", "run", "--as-of", "2999-01-01"]) == 2
    err = capsys.readouterr().err
    assert "error: The as-of day 2999-01-01 is after today" in err
    assert "Nothing was changed." in err
    assert CohortEntry.objects.filter(pk=entry.pk).exists() and not RetentionRun.objects.exists()
    assert main(["retention", "run", "--dry-run", "--as-of", "2999-01-01"]) == 0


# --- deter export evaluation ---------------------------------------------------------------------


def _evaluated_programme():
    """A programme of twelve accepted people and an evaluation agreement in force with a
    university, whose evaluator takes the export."""
    from datetime import date, datetime, time, timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from deter.web.models import (
        Agency,
        AgreementParty,
        CohortDecision,
        CohortEntry,
        DataSharingAgreement,
        Programme,
        StaffRole,
    )

    police = Agency.objects.create(name="Testshire Police", kind="police")
    university = Agency.objects.create(name="Testshire University", kind="community")
    programme = Programme.objects.create(name="Knife crime", problem="Knives", area="Testshire",
                                         start=date(2025, 1, 1), lead_agency=police)
    programme.agencies.set([police])
    coordinator = User.objects.create_user("coordinator")
    evaluator = User.objects.create_user("evaluator")
    StaffRole.objects.create(user=evaluator, agency=university, role="evaluator")
    agreement = DataSharingAgreement.objects.create(
        programme=programme, title="Evaluation", purpose="evaluation", purpose_detail="Evaluate",
        status="active", starts=date(2025, 1, 1), review_date=date(2027, 1, 1),
        created_by=coordinator)
    AgreementParty.objects.create(agreement=agreement, agency=university)
    for i in range(12):
        person = Person.objects.create(person_id=f"P-CLI-{i:02}", sex="male",
                                       date_of_birth=date(2008, 6, 1))
        entry = CohortEntry.objects.create(programme=programme, person=person, status="active",
                                           rationale="Proposed",
                                           review_date=timezone.localdate() + timedelta(90))
        decision = CohortDecision.objects.create(entry=entry, to_status="active", reason="Panel",
                                                 decided_by=coordinator)
        CohortDecision.objects.filter(pk=decision.pk).update(
            decided_at=timezone.make_aware(datetime.combine(date(2025, 2, 10), time(10))))
    return programme, agreement


@pytest.mark.django_db(transaction=True)
def test_export_evaluation_writes_the_files_and_reports_k(tmp_path, capsys):
    from deter.web.models import AuditEvent

    programme, agreement = _evaluated_programme()
    out = tmp_path / "export"
    assert main(["export", "evaluation", "--programme", str(programme.pk), "--evaluator",
                 "evaluator", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "12 rows released, 0 suppressed, k = 12 (required 5)" in printed
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "manifest.json", "people.csv",
                                                     "summary.csv"]
    people = (out / "people.csv").read_text().splitlines()
    assert len(people) == 13 and "P-CLI" not in (out / "people.csv").read_text()
    assert json.loads((out / "manifest.json").read_text())["k"] == 12
    row = AuditEvent.objects.get(action="export_evaluation")
    assert row.actor_name == "evaluator" and row.detail["via"] == "cli"


@pytest.mark.django_db(transaction=True)
def test_export_evaluation_refuses_without_an_agreement_and_writes_nothing(tmp_path, capsys):
    from deter.web.models import AuditEvent, DataSharingAgreement

    programme, agreement = _evaluated_programme()
    DataSharingAgreement.objects.filter(pk=agreement.pk).update(purpose="delivery")
    out = tmp_path / "export"
    args = ["export", "evaluation", "--programme", str(programme.pk), "--out", str(out)]
    assert main([*args, "--evaluator", "evaluator"]) == 2
    err = capsys.readouterr().err
    assert "Knife crime has no evaluation agreement in force" in err
    assert "Nothing was exported." in err and not out.exists()
    assert AuditEvent.objects.get(action="export_evaluation").outcome == "denied"
    assert main([*args, "--evaluator", "nobody"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    out.mkdir()
    (out / "old.csv").write_text("x")
    assert main([*args, "--evaluator", "evaluator"]) == 2
    assert "is not an empty folder" in capsys.readouterr().err
# --- deter sar ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sar_writes_one_archive_of_the_person_and_audits_it(tmp_path, capsys):
    import io
    import zipfile

    from django.utils import timezone

    from deter.web.models import AuditEvent, Involvement

    entry = _rejected_six_months_ago()
    event = Event.objects.create(event_id="E-1", occurred_at=timezone.now())
    other = Person.objects.create(person_id="P-OTHER")
    Involvement.objects.create(event=event, person=entry.person, role="suspect")
    Involvement.objects.create(event=event, person=other, role="victim")
    out = tmp_path / "sar"

    assert main(["sar", "P-REJECTED", "--out", str(out)]) == 0

    path = out / "subject-access-P-REJECTED.zip"
    assert f"wrote {path}" in capsys.readouterr().out
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    found = json.loads(archive.read("subject-access.json"))
    events = found["sections"]["events"]["records"]
    assert [(e["event_id"], e["others_involved"]) for e in events] == [
        ("E-1", "another person (victim)")]
    assert found["sections"]["cohort_entries"]["records"][0]["status"] == "Rejected"
    assert not any(b"P-OTHER" in archive.read(name) for name in archive.namelist())
    row = AuditEvent.objects.get(action="export_subject_access")
    assert (row.actor, row.object_id, row.detail["via"]) == (None, str(entry.person.pk),
                                                              "command line")


@pytest.mark.django_db(transaction=True)
def test_sar_for_an_unknown_person_writes_nothing(tmp_path, capsys):
    assert main(["sar", "P-NOBODY", "--out", str(tmp_path / "sar")]) == 2
    assert "no person with the id 'P-NOBODY'. Nothing was written." in capsys.readouterr().err
    assert not (tmp_path / "sar").exists()


def _deter(database: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run([sys.executable, "-m", "deter.cli", *arguments], env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=300)


def test_migrate_on_an_inconsistent_history_says_so_and_changes_nothing(tmp_path):
    database = tmp_path / "deter.sqlite3"
    assert _deter(database, "migrate").returncode == 0
    with sqlite3.connect(database) as connection:
        connection.execute(
            "DELETE FROM django_migrations WHERE app = 'deter' AND name = '0014_accounts'")
        before = connection.execute("SELECT count(*) FROM django_migrations").fetchone()
    result = _deter(database, "migrate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "inconsistent" in result.stderr and "0015_sso_identity" in result.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM django_migrations").fetchone() == before


def test_synth_plants_a_programme_with_its_counterfactual(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path), "--scale", "small", "--programme-groups", "2",
                 "--programme-effect", "0.5"]) == 0
    truth = json.loads((tmp_path / "ground_truth" / "programme.json").read_text())
    assert truth["rate_ratio"] == 0.5 and len(truth["treated_groups"]) == 2
    removed = (tmp_path / "ground_truth" / "removed_events.csv").read_text().splitlines()
    assert len(removed) - 1 == truth["removed_events"] > 0
    events = (tmp_path / "events.csv").read_text()
    assert removed[1].split(",")[0] not in events
    assert f"{truth['removed_events']} violent events prevented" in capsys.readouterr().out


def test_synth_plants_the_emerging_group_with_its_truth(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path), "--scale", "small", "--emerging-group"]) == 0
    truth = json.loads((tmp_path / "ground_truth" / "emerging_group.json").read_text())
    assert truth["incidents"] == 93 and len(truth["members"]) == 8
    people = (tmp_path / "people.csv").read_text()
    assert all(member in people for member in truth["members"])
    events = (tmp_path / "events.csv").read_text()
    assert events.count("anti-social behaviour") == 93
    assert "93 anti-social behaviour incidents" in capsys.readouterr().out


def test_synth_refuses_a_bad_programme_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "county"
    assert main(["synth", "--out", str(out), "--scale", "small", "--programme-groups", "2",
                 "--programme-effect", "2"]) == 2
    assert "rate ratio must be between 0 and 1" in capsys.readouterr().err
    assert not out.exists()
