"""data.police.uk street files, read as published; facts from the files' SOURCE.md."""


import polars as pl
import pytest

from deter.analysis.extract import ExtractError
from deter.analysis.police_uk import read_police_uk
from shared_data import needs_shared, shared_path

WEST_YORKSHIRE = shared_path("police_uk_west_yorkshire_street")
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context\n")
ROW = ("abc,2024-05,Force,Force,-1.5,53.6,On or near X,E01000001,Area 001A,Robbery,"
       "Under investigation,\n")

needs_real = needs_shared(WEST_YORKSHIRE)


@needs_real
def test_west_yorkshire_row_counts_and_top_types_match_the_source():
    files = sorted(WEST_YORKSHIRE.glob("*-west-yorkshire-street.csv"))
    events = read_police_uk(files).events
    by_month = events.group_by(pl.col("occurred_at").dt.strftime("%Y-%m")).len()
    assert dict(by_month.iter_rows()) == {"2016-07": 27176, "2017-07": 28537, "2018-07": 31635}
    top = (events.filter(pl.col("occurred_at").dt.year() == 2016)
           .group_by("offence_category").len().sort("len", descending=True).head(2))
    assert top.rows() == [("anti-social behaviour", 7429), ("violence and sexual offences", 6000)]
    assert events["event_id"].n_unique() == events.height  # ASB rows get their own stable ids


def test_it_reads_one_file(tmp_path):
    path = tmp_path / "2024-05-x-street.csv"
    path.write_text(HEADER + ROW + ROW.replace("abc", "", 1))
    events = read_police_uk([path]).events
    assert events["event_id"].to_list() == ["abc", "2024-05-x-street-row3"]
    assert events["offence_category"].to_list() == ["robbery", "robbery"]
    assert str(events["occurred_at"][0]) == "2024-05-01 00:00:00+00:00"


def test_a_bad_month_names_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + ROW + ROW.replace("2024-05", "May 2024").replace("abc", "def"))
    with pytest.raises(ExtractError) as caught:
        read_police_uk([path])
    assert (caught.value.file, caught.value.row, caught.value.column) == ("bad.csv", 3, "Month")


def test_a_file_in_another_format_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("event_id,occurred_at\nE1,2024-01-01\n")
    with pytest.raises(ExtractError, match="not a data.police.uk street file"):
        read_police_uk([path])


def test_the_same_month_twice_is_refused(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(HEADER + ROW)
    b.write_text(HEADER + ROW)
    with pytest.raises(ExtractError, match="the same month given twice"):
        read_police_uk([a, b])


def _published_rows(count: int) -> tuple[str, list[str]]:
    """The header and the first ``count`` rows with a Crime ID of a real published month."""
    lines = (WEST_YORKSHIRE / "2016-07-west-yorkshire-street.csv").read_text(
        encoding="utf-8-sig").splitlines()
    return lines[0] + "\n", [line for line in lines[1:] if not line.startswith(",")][:count]


@needs_real
def test_a_crime_id_repeated_within_a_month_keeps_distinct_rows_and_merges_identical_ones(
        tmp_path):
    """As data.police.uk publishes them: a Crime ID on rows at different locations (kept, one
    event each, keyed Crime ID#n) and a row printed twice (merged)."""
    header, rows = _published_rows(50)
    crime_id = rows[3].split(",")[0]
    fields = rows[3].split(",")
    fields[4], fields[5], fields[6] = "-1.6", "53.7", "On or near Elsewhere"
    moved = ",".join(fields)
    path = tmp_path / "2016-07-west-yorkshire-street.csv"
    path.write_text(header + "\n".join([*rows, moved, rows[3], rows[10]]) + "\n")
    extract = read_police_uk([path])
    events = extract.events
    assert events.height == 51  # 53 rows: two exact repeats merged, the moved row kept
    assert events["event_id"].n_unique() == 51
    assert sorted(events.filter(pl.col("event_id").str.starts_with(crime_id))["event_id"]) == [
        f"{crime_id}#1", f"{crime_id}#2"]
    assert events.filter(pl.col("event_id") == f"{crime_id}#2")["latitude"].to_list() == [53.7]
    assert rows[10].split(",")[0] in events["event_id"].to_list()  # merged: keeps its plain id
    assert "2 row(s) repeat an earlier row exactly" in extract.notes[0]
    assert "1 Crime ID(s) appear on 2 distinct rows" in extract.notes[1]


def test_one_crime_id_in_two_months_is_not_a_month_given_twice(tmp_path):
    a, b = tmp_path / "2024-05-x-street.csv", tmp_path / "2024-06-x-street.csv"
    a.write_text(HEADER + ROW)
    b.write_text(HEADER + ROW.replace("2024-05", "2024-06"))
    events = read_police_uk([a, b]).events
    assert sorted(events["event_id"]) == ["abc#1", "abc#2"]


def test_the_same_month_twice_names_both_files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(HEADER + ROW)
    b.write_text(HEADER + ROW.replace("abc", "xyz"))
    with pytest.raises(ExtractError) as caught:
        read_police_uk([a, b])
    assert (caught.value.file, caught.value.row, caught.value.column) == ("b.csv", 2, "Month")
    assert "holds Force's 2024-05 as a.csv does" in str(caught.value)


def test_two_forces_in_the_same_month_are_not_a_month_given_twice(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(HEADER + ROW)
    b.write_text(HEADER + ROW.replace("Force,Force", "BTP,BTP").replace("abc", "xyz"))
    assert read_police_uk([a, b]).events.height == 2
