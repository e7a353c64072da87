"""Loading extracts into the database: all or nothing, and the same records read back."""

import polars as pl
import pytest
from django.db.models import Count
from django.db.models.functions import TruncMonth

from deter.analysis.extract import ExtractError, read_extract
from deter.analysis.police_uk import read_police_uk
from deter.web.ingest.dataset import extract_from_database
from deter.web.ingest.importer import load_extract
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


def test_a_clash_with_earlier_records_names_the_row_and_loads_nothing(folder):
    load_extract(read_extract(folder), source="first")
    (folder / "people.csv").write_text("person_id\nP8\nP9\nP1\n")
    for name in ("involvements", "associations", "memberships", "groups"):
        (folder / f"{name}.csv").unlink()
    (folder / "events.csv").write_text("event_id,occurred_at\nE9,2025-07-01\n")
    with pytest.raises(ExtractError) as caught:
        load_extract(read_extract(folder), source="second")
    assert (caught.value.file, caught.value.row, caught.value.column) == ("people.csv", 4,
                                                                          "person_id")
    assert not Person.objects.filter(person_id__in=["P8", "P9"]).exists()
    assert not Event.objects.filter(event_id="E9").exists()


def test_a_failure_half_way_rolls_everything_back(folder, monkeypatch):
    import deter.web.ingest.importer as importer

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_insert_memberships", broken)
    with pytest.raises(RuntimeError):
        load_extract(read_extract(folder), source="test")
    assert Person.objects.count() == Event.objects.count() == Involvement.objects.count() == 0


def test_an_events_only_extract_loads(tmp_path):
    (tmp_path / "events.csv").write_text(TABLES["events"])
    summary = load_extract(read_extract(tmp_path), source="events only")
    assert summary.counts["events"] == 3 and summary.counts["people"] == 0
    assert extract_from_database().events.height == 3
    assert isinstance(extract_from_database().people, pl.DataFrame)


def test_a_clash_in_a_parquet_table_names_the_parquet_file(folder, tmp_path_factory):
    load_extract(read_extract(folder), source="first")
    again = tmp_path_factory.mktemp("again")
    pl.DataFrame({"person_id": ["P7", "P2"]}).write_parquet(again / "people.parquet")
    with pytest.raises(ExtractError) as caught:
        load_extract(read_extract(again), source="second")
    assert (caught.value.file, caught.value.row) == ("people.parquet", 3)


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
