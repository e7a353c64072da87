"""The extract reader: good extracts load typed; every malformed one names file, row, column."""

from datetime import UTC, date, datetime

import polars as pl
import pytest

from deter.analysis.extract import Extract, ExtractError, read_extract, write_extract

PEOPLE = "person_id,date_of_birth,sex,ethnicity\nP1,2008-02-29,male,black\nP2,,Female,\n"
EVENTS = (
    "event_id,occurred_at,offence_code,offence_category,latitude,longitude,lsoa_code\n"
    "E1,2025-06-01T23:15:00Z,8N,violence and sexual offences,53.5,-1.5,E01000001\n"
    "E2,2025-06-02 10:00,105A,,,,\n"
)
INVOLVEMENTS = "event_id,person_id,role\nE1,P1,suspect\nE1,P2,victim\nE2,P1,Victim\n"


def write(folder, **tables):
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def good(tmp_path):
    return write(tmp_path, people=PEOPLE, events=EVENTS, involvements=INVOLVEMENTS)


def fault(folder) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        read_extract(folder)
    return caught.value


def test_it_reads_typed_tables(good):
    extract = read_extract(good)
    assert extract.people["date_of_birth"].to_list() == [date(2008, 2, 29), None]
    assert extract.people["sex"].to_list() == ["male", "female"]
    assert extract.events["occurred_at"].to_list() == [
        datetime(2025, 6, 1, 23, 15, tzinfo=UTC), datetime(2025, 6, 2, 10, 0, tzinfo=UTC)]
    assert extract.events["latitude"].to_list() == [53.5, None]
    assert extract.involvements["role"].to_list() == ["suspect", "victim", "victim"]
    assert extract.associations.height == 0
    assert extract.associations.columns[:3] == ["person_a", "person_b", "kind"]


def test_an_extract_may_hold_only_associations(tmp_path):
    write(tmp_path, people="person_id\nA\nB\n",
          associations="person_a,person_b,kind\nA,B,seen_together\n")
    extract = read_extract(tmp_path)
    assert extract.associations["kind"].to_list() == ["seen_together"]
    assert extract.events.height == 0


def test_it_round_trips_through_csv_and_parquet(good, tmp_path_factory):
    extract = read_extract(good)
    for fmt in ("csv", "parquet"):
        out = tmp_path_factory.mktemp(fmt)
        write_extract(extract, out, fmt=fmt)
        again = read_extract(out)
        for name, frame in extract.tables().items():
            assert again.tables()[name].equals(frame), (fmt, name)


@pytest.mark.parametrize(
    ("table", "text", "row", "column", "words"),
    [
        ("people", "person_id,sex\nP1,male\nP2,boy\n", 3, "sex", "must be one of"),
        ("people", "person_id,date_of_birth\nP1,2008-13-01\n", 2, "date_of_birth", "not a date"),
        ("people", "person_id,nickname\nP1,x\n", 1, "nickname", "unknown column"),
        ("people", "date_of_birth\n2001-01-01\n", 1, "person_id", "required column is missing"),
        ("people", "person_id\nP1\nP2\nP1\n", 4, "person_id", "duplicate"),
        ("people", "person_id,sex\nP1,male\n,female\n", 3, "person_id", "value is required"),
        ("people", "person_id\nP1\n\nP2\n", 3, None, "blank row"),
        ("people", "person_id,person_id\nP1,P1\n", 1, "person_id", "column given twice"),
        ("events", "event_id,occurred_at\nE1,yesterday\n", 2, "occurred_at", "not a date-time"),
        ("events", "event_id,occurred_at,latitude\nE1,2025-01-01T00:00,91\n", 2, "latitude",
         "at most 90"),
        ("involvements", "event_id,person_id,role\nE1,P1,bystander\n", 2, "role",
         "must be one of"),
        ("involvements", "event_id,person_id,role\nE1,P9,suspect\n", 2, "person_id",
         "refers to no person_id"),
        ("associations", "person_a,person_b,kind\nP1,P1,sibling\n", 2, "person_b", "themselves"),
        ("associations", "person_a,person_b,kind,weight\nP1,P2,sibling,-1\n", 2, "weight",
         "at least 0"),
    ],
)
def test_malformed_input_names_file_row_and_column(tmp_path, table, text, row, column, words):
    base = {"people": "person_id\nP1\nP2\n", "events": "event_id,occurred_at\nE1,2025-01-01\n"}
    write(tmp_path, **{**base, table: text})
    error = fault(tmp_path)
    assert (error.file, error.row, error.column) == (f"{table}.csv", row, column)
    assert words in str(error)
    where = f"{table}.csv, row {row}" + (f", column {column}" if column else "")
    assert str(error).startswith(where + ": ")


def test_wrong_encoding_names_the_row(tmp_path):
    (tmp_path / "people.csv").write_bytes("person_id,ethnicity\nP1,white\nP2,caf\xe9\n"
                                          .encode("latin-1"))
    error = fault(tmp_path)
    assert (error.file, error.row) == ("people.csv", 3)
    assert "UTF-8" in str(error)


def test_unknown_table_and_empty_file_are_errors(tmp_path):
    write(tmp_path, person="person_id\nP1\n")
    assert "unknown table" in str(fault(tmp_path))
    (tmp_path / "person.csv").unlink()
    write(tmp_path, people="")
    assert "empty" in str(fault(tmp_path))


def test_ragged_csv_is_an_error(tmp_path):
    write(tmp_path, people="person_id,sex\nP1,male,extra,cells\n")
    assert fault(tmp_path).file == "people.csv"


def test_a_missing_folder_is_an_error(tmp_path):
    assert "not a folder" in str(fault(tmp_path / "nope"))


def test_from_frames_fills_absent_columns():
    extract = Extract.from_frames(people=pl.DataFrame({"person_id": ["A"]}))
    assert extract.people.schema["date_of_birth"] == pl.Date
    assert extract.people["sex"].to_list() == [None]


def test_zoned_parquet_times_are_read_as_utc(tmp_path):
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo

    local = dt(2025, 7, 1, 12, 0, tzinfo=ZoneInfo("Europe/London"))  # BST, UTC+1
    pl.DataFrame({"event_id": ["E1"], "occurred_at": [local]}).write_parquet(
        tmp_path / "events.parquet")
    assert read_extract(tmp_path).events["occurred_at"].to_list() == [
        datetime(2025, 7, 1, 11, 0, tzinfo=UTC)]


def test_rewriting_a_folder_leaves_no_stale_table(good, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    write_extract(read_extract(good), out, fmt="csv")
    write_extract(Extract.from_frames(people=pl.DataFrame({"person_id": ["Z"]})), out,
                  fmt="parquet")
    again = read_extract(out)
    assert again.people["person_id"].to_list() == ["Z"]
    assert again.events.height == 0


FRACTIONAL = datetime(2025, 6, 1, 23, 15, 0, 123456, tzinfo=UTC)


def _typed_and_text_parquet(tmp_path, name, frame):
    """The same table written twice as Parquet: with its typed columns, and all as text."""
    typed, text = tmp_path / "typed", tmp_path / "text"
    as_text = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.f"))
    for folder, table in ((typed, frame), (text, as_text.select(pl.all().cast(pl.String)))):
        folder.mkdir()
        table.write_parquet(folder / f"{name}.parquet")
    return typed, text


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("latitude", [53.5, 91.25], "events.parquet, row 3, column latitude: '91.25' must be "
                                    "at most 90"),
        ("longitude", [-1, -181], "events.parquet, row 3, column longitude: '-181' must be at "
                                  "least -180"),
    ],
)
def test_typed_parquet_columns_fail_as_their_text_would(tmp_path, column, values, expected):
    frame = pl.DataFrame({
        "event_id": ["E1", "E2"],
        "occurred_at": [FRACTIONAL, datetime(2025, 6, 2, tzinfo=UTC)],
        column: values,
    })
    typed, text = _typed_and_text_parquet(tmp_path, "events", frame)
    assert str(fault(typed)) == str(fault(text)) == expected


def test_typed_parquet_columns_read_as_their_text_would(tmp_path):
    frame = pl.DataFrame({
        "event_id": ["E1", "E2", "E3"],
        "occurred_at": [FRACTIONAL, datetime(2025, 6, 2, tzinfo=UTC), None],
        "latitude": [53.5, None, 50.0],
    })
    typed, text = _typed_and_text_parquet(tmp_path, "events", frame.head(2))
    assert read_extract(typed).events.equals(read_extract(text).events)
    assert read_extract(typed).events["occurred_at"][0] == FRACTIONAL
    missing = tmp_path / "missing"
    missing.mkdir()
    frame.write_parquet(missing / "events.parquet")
    assert str(fault(missing)) == "events.parquet, row 4, column occurred_at: value is required"
