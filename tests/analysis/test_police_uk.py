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
    with pytest.raises(ExtractError, match="appears twice"):
        read_police_uk([a, b])
