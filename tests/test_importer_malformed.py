"""Malformed extracts, each made from one valid small extract by one change: every one is
refused by `deter import` with exit code 2 and a message naming its file, row and column (or
accepted, where the format allows it), never with a traceback, and the database is unchanged.
Run on SQLite and on PostgreSQL (DATABASE_URL): the outcomes must not differ."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from deter.analysis.extract import TABLES as FORMAT
from deter.cli import main
from deter.web.models import (
    Association,
    Event,
    Involvement,
    Location,
    Membership,
    Person,
    RecordedGroup,
)
from test_importer import TABLES

MODELS = (Person, Event, Location, Involvement, Association, RecordedGroup, Membership)


def replace(table: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / f"{table}.csv"
        text = path.read_text()
        assert old in text, (table, old)
        path.write_text(text.replace(old, new, 1))
    return change


def write(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text)


def parquet(table: str, **columns: pl.Series) -> Callable[[Path], None]:
    """The table as Parquet, with some columns replaced by the given typed ones."""
    def change(folder: Path) -> None:
        csv = folder / f"{table}.csv"
        frame = pl.read_csv(csv, infer_schema=False).with_columns(**columns)
        csv.unlink()
        frame.write_parquet(folder / f"{table}.parquet")
    return change


def both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        for one in changes:
            one(folder)
    return change


@dataclass(frozen=True)
class Refused:
    file: str
    row: int | None
    column: str | None
    says: str

    def where(self) -> str:
        where = self.file + (f", row {self.row}" if self.row else "")
        return where + (f", column {self.column}" if self.column else "")


LONG = "x" * 65
CASES: dict[str, tuple[Callable[[Path], None], Refused | None]] = {
    # accepted: what the format allows
    "memberships without the optional start and end columns": (
        write("memberships.csv", "person_id,group_id,source,confidence\n"
                                 "P1,G1,police_intelligence,0.8\n"), None),
    "a CSV ending in a blank line": (replace("people", "white\n", "white\n\n"), None),
    "a CSV ending in blank lines with spaces and CRLF": (
        replace("events", ",,,\n", ",,,\r\n  \r\n\r\n"), None),
    "an event after today but within a declared as-of": (
        both(replace("events", "2025-06-03T10:00:00Z", "2099-01-01T10:00:00Z"),
             write("extract.json", '{"as_of": "2099-06-01"}')), None),
    # dates
    "a date of birth of 0000-01-01": (
        replace("people", "1990-01-01", "0000-01-01"),
        Refused("people.csv", 4, "date_of_birth", "'0000-01-01'")),
    "a date of birth in 1850": (
        replace("people", "1990-01-01", "1850-01-01"),
        Refused("people.csv", 4, "date_of_birth", "before 1900")),
    "a birth date in 2090": (
        replace("people", "1990-01-01", "2090-01-01"),
        Refused("people.csv", 4, "date_of_birth", "a birth after the extract's as-of date")),
    "a birth after the declared as-of date": (
        both(replace("people", "1990-01-01", "2025-07-01"),
             write("extract.json", '{"as_of": "2025-06-30"}')),
        Refused("people.csv", 4, "date_of_birth", "a birth after")),
    "an event dated 2099": (
        replace("events", "2025-06-03T10:00:00Z", "2099-06-03T10:00:00Z"),
        Refused("events.csv", 4, "occurred_at", "after the extract's as-of date")),
    "an event dated 9999-12-31": (
        replace("events", "2025-06-02T10:00:00Z", "9999-12-31"),
        Refused("events.csv", 3, "occurred_at", "after the extract's as-of date")),
    "an event after the declared as-of date": (
        write("extract.json", '{"as_of": "2025-05-01"}'),
        Refused("events.csv", 2, "occurred_at", "as-of date 2025-05-01")),
    "an event dated 0000-01-01": (
        replace("events", "2025-06-02T10:00:00Z", "0000-01-01"),
        Refused("events.csv", 3, "occurred_at", "'0000-01-01'")),
    "a membership starting in 1066": (
        replace("memberships", "2024-01-01", "1066-10-14"),
        Refused("memberships.csv", 2, "start", "before 1900")),
    "an unreadable extract.json": (
        write("extract.json", '{"as_of": "soon"}'),
        Refused("extract.json", None, "as_of", "'soon' is not a date")),
    # numbers
    **{f"an association weight of {value}": (
        replace("associations", "seen_together,2,", f"seen_together,{value},"),
        Refused("associations.csv", 2, "weight", says))
       for value, says in (("NaN", "not a finite number"), ("nan", "not a finite number"),
                           ("inf", "not a finite number"), ("-inf", "not a finite number"),
                           ("1e308", "at most 1e+06"), ("-1", "at least 0"))},
    "a membership confidence of NaN": (
        replace("memberships", ",0.8", ",NaN"),
        Refused("memberships.csv", 2, "confidence", "not a finite number")),
    "a latitude of NaN": (
        replace("events", ",53.5,-1.5,", ",NaN,-1.5,"),
        Refused("events.csv", 2, "latitude", "not a finite number")),
    # lengths: the database's limits, alike on both backends
    "an ethnicity longer than the database column": (
        replace("people", "female,white", f"female,{LONG}"),
        Refused("people.csv", 4, "ethnicity", "longer than 64 characters")),
    "a group name longer than the database column": (
        replace("groups", "Northgate", "N" * 201),
        Refused("groups.csv", 2, "name", "longer than 200 characters")),
    "an LSOA code longer than the database column": (
        replace("events", "E01000001\nE2", "E01000001E01000001\nE2"),
        Refused("events.csv", 2, "lsoa_code", "longer than 16 characters")),
    "an event id longer than the database column": (
        both(replace("events", "E3,", "E" * 81 + ","),
             replace("involvements", "E3,", "E" * 81 + ",")),
        Refused("events.csv", 4, "event_id", "longer than 80 characters")),
    "a NUL character in a name": (
        replace("groups", "Northgate", "North\x00gate"),
        Refused("groups.csv", 2, "name", "NUL")),
    # malformed CSV
    "a row with missing trailing fields": (
        replace("events", "E3,2025-06-03T10:00:00Z,46,,,,", "E3,2025-06-03T10:00:00Z,46"),
        Refused("events.csv", 4, None, "has 3 fields, fewer than the header's 7")),
    "a row with an extra field": (
        replace("people", "P2,,,", "P2,,,,"),
        Refused("people.csv", 3, None, "has 5 fields, more than the header's 4")),
    "an unbalanced quote": (
        replace("people", "P3,1990-01-01,female,white", 'P3,"1990-01-01,female,white'),
        Refused("people.csv", 4, None, "is a quote left open")),
    "a blank row in the middle": (
        replace("people", "P2,,,\n", "P2,,,\n\nP4,,,\n"),
        Refused("people.csv", 4, None, "blank row")),
    # Parquet types no column holds
    "a Parquet list column": (
        parquet("people", ethnicity=pl.Series([["a"], ["b"], ["c"]])),
        Refused("people.parquet", 1, "ethnicity", "Parquet List")),
    "a Parquet duration column": (
        parquet("events", occurred_at=pl.Series([1, 2, 3]).cast(pl.Duration("us"))),
        Refused("events.parquet", 1, "occurred_at", "Parquet Duration")),
    "a Parquet binary column": (
        parquet("people", person_id=pl.Series([b"P1", b"P2", b"P3"])),
        Refused("people.parquet", 1, "person_id", "Parquet Binary")),
    "a Parquet struct column": (
        parquet("groups", name=pl.Series([{"a": 1}])),
        Refused("groups.parquet", 1, "name", "Parquet Struct")),
    "a NaN weight in a Parquet float column": (
        parquet("associations", weight=pl.Series([float("nan")])),
        Refused("associations.parquet", 2, "weight", "not a finite number")),
    "a Parquet date of year 0": (
        parquet("people", date_of_birth=pl.Series(["2008-02-29", None, "1990-01-01"])
                .str.to_date().dt.offset_by("-1990y")),
        Refused("people.parquet", 2, "date_of_birth", "before 1900")),
}


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def earlier(tmp_path_factory):
    """An earlier import, so "unchanged" is tested on a database that holds records."""
    folder = tmp_path_factory.mktemp("earlier")
    (folder / "people.csv").write_text("person_id\nQ1\n")
    (folder / "events.csv").write_text("event_id,occurred_at\nF1,2025-01-01\n")
    (folder / "involvements.csv").write_text("event_id,person_id,role\nF1,Q1,victim\n")
    assert main(["import", str(folder)]) == 0
    return counts()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_extract_is_refused_by_name_and_changes_nothing(case, tmp_path, earlier,
                                                                     capsys):
    change, refused = CASES[case]
    for name, text in TABLES.items():
        (tmp_path / f"{name}.csv").write_text(text)
    change(tmp_path)
    capsys.readouterr()
    code = main(["import", str(tmp_path)])  # anything but ExtractError would raise here
    err = capsys.readouterr().err
    if refused is None:
        assert code == 0, err
        assert counts()["Person"] == earlier["Person"] + 3
        return
    assert code == 2
    assert f"error: {refused.where()}: " in err, err
    assert refused.says in err, err
    assert "Nothing was imported" in err and "Traceback" not in err
    assert counts() == earlier


DATABASE_FIELDS = {
    ("people", "person_id"): (Person, "person_id"), ("people", "sex"): (Person, "sex"),
    ("people", "ethnicity"): (Person, "ethnicity"), ("events", "event_id"): (Event, "event_id"),
    ("events", "offence_code"): (Event, "offence_code"),
    ("events", "offence_category"): (Event, "offence_category"),
    ("events", "lsoa_code"): (Location, "lsoa_code"),
    ("involvements", "event_id"): (Event, "event_id"),
    ("involvements", "person_id"): (Person, "person_id"),
    ("involvements", "role"): (Involvement, "role"),
    ("associations", "person_a"): (Person, "person_id"),
    ("associations", "person_b"): (Person, "person_id"),
    ("associations", "kind"): (Association, "kind"),
    ("associations", "source"): (Association, "source"),
    ("groups", "group_id"): (RecordedGroup, "group_id"),
    ("groups", "name"): (RecordedGroup, "name"), ("groups", "kind"): (RecordedGroup, "kind"),
    ("memberships", "person_id"): (Person, "person_id"),
    ("memberships", "group_id"): (RecordedGroup, "group_id"),
    ("memberships", "source"): (Membership, "source"),
}


def test_every_text_column_is_checked_against_its_database_limit():
    """The format's limits are the models' (a model widened or narrowed without the format
    fails here), and every text column has one."""
    text = {(t.name, c.name) for t in FORMAT.values() for c in t.columns
            if c.kind in ("id", "text")}
    assert text == set(DATABASE_FIELDS)
    for (table, column), (model, field) in DATABASE_FIELDS.items():
        assert FORMAT[table].column(column).max_length == model._meta.get_field(field).max_length
