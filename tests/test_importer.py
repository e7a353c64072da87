"""Loading extracts into the database: all or nothing, and the same records read back."""

import polars as pl
import pytest
from django.db.models import Count
from django.db.models.functions import TruncMonth

from deter.analysis.extract import ExtractError, read_extract
from deter.analysis.police_uk import read_police_uk
from deter.web.ingest.dataset import extract_from_database
from deter.web.ingest.importer import Change, load_extract
from deter.web.models import AuditEvent, Event, Involvement, Location, Membership, Person
from shared_data import needs_shared, shared_path

WEST_YORKSHIRE = shared_path("police_uk_west_yorkshire_street")

pytestmark = pytest.mark.django_db

TABLES = {
    "people": "person_id,date_of_birth,sex,ethnicity\nP1,2008-02-29,male,black\nP2,,,\n"
              "P3,1990-01-01,female,white\n",
    "events": "event_id,occurred_at,offence_code,offence_category,latitude,longitude,lsoa_code\n"
              "E1,2025-06-01T23:15:00Z,8N,violence and sexual offences,53.5,-1.5,E01000001\n"
              "E2,2025-06-02T10:00:00Z,34B,robbery,53.5,-1.5,E01000001\n"
              "E3,2025-06-03T10:00:00Z,46,,,,\n",
    "involvements": "event_id,person_id,role\nE1,P1,suspect\nE1,P2,victim\nE2,P1,suspect\n"
                    "E2,P3,victim\nE3,P3,suspect\n",
    "associations": "person_a,person_b,kind,weight,observed_at,source\n"
                    "P1,P2,seen_together,2,2025-01-01,stop_search\n",
    "groups": "group_id,name,kind\nG1,Northgate,street_group\n",
    "memberships": "person_id,group_id,start,end,source,confidence\n"
                   "P1,G1,2024-01-01,,police_intelligence,0.8\n",
}


@pytest.fixture
def folder(tmp_path):
    for name, text in TABLES.items():
        (tmp_path / f"{name}.csv").write_text(text)
    return tmp_path


def sort_all(extract):
    return {name: frame.sort(frame.columns) for name, frame in extract.tables().items()}


def test_it_loads_every_table_and_reads_back_the_same_records(folder):
    extract = read_extract(folder)
    summary = load_extract(extract, source="test")
    assert summary.counts == {"people": 3, "events": 3, "involvements": 5, "associations": 1,
                              "groups": 1, "memberships": 1}
    assert Location.objects.count() == 1  # E1 and E2 share a place; E3 has none
    assert Event.objects.get(event_id="E3").location is None
    assert Membership.objects.get().group.name == "Northgate"
    back = sort_all(extract_from_database())
    for name, frame in sort_all(extract).items():
        assert back[name].equals(frame), name


def test_an_import_is_audited(folder):
    load_extract(read_extract(folder), source="extract: x")
    event = AuditEvent.objects.get(action="import_extract")
    assert event.detail["people"] == 3 and event.object_id == "extract: x"


def test_a_reference_to_a_record_held_nowhere_names_the_row_and_changes_nothing(folder):
    load_extract(read_extract(folder), source="first")
    (folder / "people.csv").write_text("person_id,sex\nP8,female\nP1,female\n")
    for name in ("associations", "memberships", "groups"):
        (folder / f"{name}.csv").unlink()
    (folder / "events.csv").write_text("event_id,occurred_at\nE9,2025-07-01\n")
    (folder / "involvements.csv").write_text(
        "event_id,person_id,role\nE9,P8,victim\nE9,P1,suspect\nE9,P404,suspect\n")
    with pytest.raises(ExtractError) as caught:
        load_extract(read_extract(folder, references=False), source="second")
    assert (caught.value.file, caught.value.row, caught.value.column) == (
        "involvements.csv", 4, "person_id")
    assert "'P404' refers to no person_id in people, in this extract or the database" in str(
        caught.value)
    assert not Person.objects.filter(person_id="P8").exists()
    assert not Event.objects.filter(event_id="E9").exists()
    assert Person.objects.get(person_id="P1").sex == "male"
    assert AuditEvent.objects.filter(action="import_extract").count() == 1


def test_a_failure_half_way_rolls_everything_back(folder, monkeypatch):
    import deter.web.ingest.importer as importer

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_memberships", broken)
    with pytest.raises(RuntimeError):
        load_extract(read_extract(folder), source="test")
    assert Person.objects.count() == Event.objects.count() == Involvement.objects.count() == 0


def test_an_events_only_extract_loads(tmp_path):
    (tmp_path / "events.csv").write_text(TABLES["events"])
    summary = load_extract(read_extract(tmp_path), source="events only")
    assert summary.counts["events"] == 3 and summary.counts["people"] == 0
    assert extract_from_database().events.height == 3
    assert isinstance(extract_from_database().people, pl.DataFrame)


def test_a_reference_refused_in_a_parquet_table_names_the_parquet_file(folder,
                                                                      tmp_path_factory):
    load_extract(read_extract(folder), source="first")
    again = tmp_path_factory.mktemp("again")
    pl.DataFrame({"event_id": ["E1", "E1"], "person_id": ["P3", "P7"],
                  "role": ["witness", "victim"]}).write_parquet(again / "involvements.parquet")
    with pytest.raises(ExtractError) as caught:
        load_extract(read_extract(again, references=False), source="second")
    assert (caught.value.file, caught.value.row) == ("involvements.parquet", 3)
    assert Involvement.objects.count() == 5


def test_a_second_import_counts_only_its_own_records(folder, tmp_path_factory):
    load_extract(read_extract(folder), source="first")
    second = tmp_path_factory.mktemp("second")
    (second / "people.csv").write_text("person_id\nP7\n")
    (second / "events.csv").write_text("event_id,occurred_at\nE7,2025-07-01\n")
    (second / "involvements.csv").write_text("event_id,person_id,role\nE7,P7,victim\n")
    summary = load_extract(read_extract(second), source="second")
    assert summary.counts["people"] == 1 and summary.counts["events"] == 1
    assert summary.counts["involvements"] == 1
    assert Person.objects.count() == 4


def test_a_later_extract_adds_new_records_and_updates_changed_ones(folder, tmp_path_factory):
    """The weekly refresh: new events of people held already, a corrected birth date, a new
    person, a membership that ended, an association re-weighted; the rest unchanged."""
    load_extract(read_extract(folder), source="first")
    week = tmp_path_factory.mktemp("week")
    (week / "people.csv").write_text(
        "person_id,date_of_birth,sex,ethnicity\nP1,2008-03-01,male,black\nP2,,,\n"
        "P4,2009-05-05,female,asian\n")
    (week / "events.csv").write_text(
        "event_id,occurred_at,offence_code,offence_category,latitude,longitude,lsoa_code\n"
        "E1,2025-06-01T23:15:00Z,8N,violence and sexual offences,53.5,-1.5,E01000001\n"
        "E2,2025-06-02T10:00:00Z,34B,robbery,53.6,-1.4,E01000002\n"
        "E4,2025-07-01T10:00:00Z,8N,violence and sexual offences,53.5,-1.5,E01000001\n")
    (week / "involvements.csv").write_text(
        "event_id,person_id,role\nE1,P1,suspect\nE4,P1,suspect\nE4,P3,victim\n"
        "E4,P4,witness\n")
    (week / "associations.csv").write_text(
        "person_a,person_b,kind,weight,observed_at,source\n"
        "P1,P2,seen_together,5,2025-01-01,stop_search\nP1,P4,seen_together,1,2025-07-01,\n")
    (week / "memberships.csv").write_text(
        "person_id,group_id,start,end,source,confidence\n"
        "P1,G1,2024-01-01,2025-06-30,police_intelligence,0.8\n")
    summary = load_extract(read_extract(week, references=False), source="week 27")
    assert summary.as_detail() == {
        "people": {"added": 1, "updated": 1, "unchanged": 1},
        "events": {"added": 1, "updated": 1, "unchanged": 1},
        "involvements": {"added": 3, "updated": 0, "unchanged": 1},
        "associations": {"added": 1, "updated": 1, "unchanged": 0},
        "groups": {"added": 0, "updated": 0, "unchanged": 0},
        "memberships": {"added": 0, "updated": 1, "unchanged": 0},
    }
    assert str(Person.objects.get(person_id="P1").date_of_birth) == "2008-03-01"
    moved = Event.objects.get(event_id="E2")
    assert (moved.location.lsoa_code, moved.source) == ("E01000002", "week 27")
    assert Event.objects.get(event_id="E1").source == "first"
    assert Event.objects.get(event_id="E4").location == Event.objects.get(
        event_id="E1").location  # the place held is reused
    assert Location.objects.count() == 2
    assert str(Membership.objects.get().end) == "2025-06-30"
    assert Person.objects.count() == 4 and Event.objects.count() == 4
    assert Involvement.objects.filter(person__person_id="P1").count() == 3
    row = AuditEvent.objects.filter(action="import_extract").latest("id")
    assert row.detail["changes"]["people"] == {"added": 1, "updated": 1, "unchanged": 1}


def test_the_same_extract_imported_again_changes_nothing(folder):
    load_extract(read_extract(folder), source="first")
    before = sort_all(extract_from_database())
    summary = load_extract(read_extract(folder), source="again")
    assert not summary.changed
    assert str(summary).startswith("nothing changed (people 0 added, 0 updated, 3 unchanged")
    assert summary.changes["involvements"].unchanged == 5
    after = sort_all(extract_from_database())
    assert all(after[name].equals(frame) for name, frame in before.items())
    assert set(Event.objects.values_list("source", flat=True)) == {"first"}


def test_a_column_a_later_file_leaves_out_keeps_what_is_held(folder, tmp_path_factory):
    """people.csv with only person_id and sex must not blank the birth dates held."""
    load_extract(read_extract(folder), source="first")
    later = tmp_path_factory.mktemp("later")
    (later / "people.csv").write_text("person_id,sex\nP1,male\nP3,other\n")
    summary = load_extract(read_extract(later), source="later")
    assert summary.changes["people"] == Change(added=0, updated=1, unchanged=1)
    p3 = Person.objects.get(person_id="P3")
    assert (str(p3.date_of_birth), p3.sex, p3.ethnicity) == ("1990-01-01", "other", "white")
    assert str(Person.objects.get(person_id="P1").date_of_birth) == "2008-02-29"


def test_a_refused_update_changes_nothing_already_written(folder, tmp_path_factory,
                                                          monkeypatch):
    import deter.web.ingest.importer as importer

    load_extract(read_extract(folder), source="first")
    later = tmp_path_factory.mktemp("later")
    (later / "people.csv").write_text("person_id,sex\nP1,female\nP9,male\n")
    (later / "memberships.csv").write_text("person_id,group_id,start,confidence\n"
                                           "P1,G1,2024-01-01,0.1\n")

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_memberships", broken)
    with pytest.raises(RuntimeError):
        load_extract(read_extract(later, references=False), source="later")
    assert Person.objects.get(person_id="P1").sex == "male"
    assert not Person.objects.filter(person_id="P9").exists()


def test_a_police_uk_file_at_places_already_held_reuses_them(tmp_path):
    """The IntegrityError on deter_location: a second month at the same spot."""
    header = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
              "LSOA name,Crime type,Last outcome category,Context\n")
    may, june = tmp_path / "2024-05-x-street.csv", tmp_path / "2024-06-x-street.csv"
    may.write_text(header + "a1,2024-05,F,F,-1.5,53.6,On or near X,E01000001,A,Robbery,,\n"
                   ",2024-05,F,F,,,No location,,,Anti-social behaviour,,\n")
    june.write_text(header + "b1,2024-06,F,F,-1.5,53.6,On or near X,E01000001,A,Robbery,,\n"
                    "b2,2024-06,F,F,-1.2,53.1,On or near Y,E01000009,B,Robbery,,\n")
    load_extract(read_police_uk([may]), source="may")
    summary = load_extract(read_police_uk([june, may]), source="june")
    assert summary.changes["events"] == Change(added=2, updated=0, unchanged=2)
    assert Location.objects.count() == 2
    assert Event.objects.get(event_id="a1").location == Event.objects.get(event_id="b1").location


@needs_shared(WEST_YORKSHIRE)
def test_every_published_west_yorkshire_month_imports_together_with_its_row_count():
    """The three months as data.police.uk publishes them, in one import; counts per month are
    SOURCE.md's, and the database holds each row once."""
    files = sorted(WEST_YORKSHIRE.glob("*-west-yorkshire-street.csv"))
    summary = load_extract(read_police_uk(files), source="police.uk: west yorkshire")
    assert summary.counts["events"] == 27176 + 28537 + 31635
    months = dict(
        Event.objects.annotate(month=TruncMonth("occurred_at")).values("month")
        .annotate(n=Count("id")).values_list("month", "n"))
    assert {m.strftime("%Y-%m"): n for m, n in months.items()} == {
        "2016-07": 27176, "2017-07": 28537, "2018-07": 31635}
