"""Harm tables: the built-in CCHI table, user tables (and their errors), the ONS CSS format."""

import hashlib
from pathlib import Path

import polars as pl
import pytest

from deter.analysis.extract import ExtractError
from deter.analysis.harm_tables import (
    cchi_category_table,
    cchi_code_table,
    load_harm_table,
)

# ONS Crime Severity Score: only these three weights are published outside the ONS's own file
# (../shared/data/real/cambridge_crime_harm_index_subgroup/SOURCE.md), so the fixture holds
# just them.  Home Office codes: 1/4.1/4.10/4.2 homicide, 2 attempted murder, 92E possession of
# cannabis.
ONS_ANCHORS = """\
offence_code,weight,description
1/4.1/4.10/4.2,7979,Homicide
2,4663,Attempted murder
92E,3,Possession of cannabis
"""


def write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def frame(code: str | None, category: str | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {"offence_code": [code], "offence_category": [category]},
        schema={"offence_code": pl.String, "offence_category": pl.String},
    )


def weight(table, code: str | None, category: str | None = None) -> float | None:
    events = frame(code, category)
    return events.select(
        pl.coalesce(table.weight_by_code(events), table.weight_by_category(events))
    ).item()


def violent(table, code: str | None, category: str | None = None) -> bool:
    return frame(code, category).select(table.is_violent()).item()


def test_builtin_cchi_table_is_the_shipped_csv():
    table = load_harm_table("cchi-2026")
    assert (table.name, table.unit) == ("cchi-2026", "days")
    assert "Cambridge Crime Harm Index" in table.source
    codes = cchi_code_table()
    # every shipped code (and each part of the combined homicide code) has its CCHI days
    for code, days in zip(codes["offence_code"], codes["cchi_days"], strict=True):
        assert weight(table, code) == days, code
    assert weight(table, "4.10") == 5475.0
    for category, days in cchi_category_table().iter_rows():
        assert weight(table, None, category) == days
    # the version is a content hash of the two shipped files
    data = Path(__file__).resolve().parents[2] / "src/deter/analysis/data"
    digest = hashlib.sha256(
        (data / "harm_cchi_2026.csv").read_bytes()
        + (data / "harm_cchi_2026_by_policeuk_category.csv").read_bytes()
    ).hexdigest()[:12]
    assert table.version == digest
    assert table.summary() == {
        "name": "cchi-2026", "version": digest, "unit": "days", "source": table.source,
        # 132 codes, the combined homicide code also as its 4 parts; 13 categories + 5 aliases
        "offence_codes": codes.height + 4, "offence_categories": 18,
    }


def test_violence_follows_the_home_office_groups():
    table = load_harm_table("cchi-2026")
    for code in ("8N", "34B", "10D", "19C", "4.1", "1/4.1/4.10/4.2", "3B"):
        assert violent(table, code), code
    for code in ("46", "28E", "92A", "58A", "56A", "9A"):
        assert not violent(table, code), code
    # the code decides; the category only when the code is unknown or missing
    assert not violent(table, "46", "Robbery")
    assert violent(table, "XYZ", "robbery")
    assert violent(table, None, "Violence and sexual offences")
    assert violent(table, None, "violent-crime")  # police.uk API slug
    assert not violent(table, None, "Burglary")
    assert not violent(table, None, None)
    shipped = cchi_code_table()
    groups = dict(zip(shipped["offence_code"], shipped["offence_group"], strict=True))
    expected = {"Violence against the person", "Sexual offences", "Robbery",
                "Possession of weapons offences"}
    for code, group in groups.items():
        assert violent(table, code) == (group in expected), code


def test_user_table_with_metadata(tmp_path):
    text = (
        "# name: force-chi\n# unit: days\n# source: Offence-level workbook, 2025 extract\n"
        "offence_code,offence_category,weight,description,violent\n"
        " 8n ,,400,Assault with injury,\n"
        "1/4.1/4.10/4.2,,9000,Homicide,\n"
        "46,,2,Shoplifting,yes\n"
        "8L,,10,Harassment,no\n"
        ",Public order,7.5,fallback,\n"
    )
    table = load_harm_table(str(write(tmp_path, text)))
    assert (table.name, table.unit, table.source) == (
        "force-chi", "days", "Offence-level workbook, 2025 extract",
    )
    assert weight(table, "8N") == 400.0
    assert weight(table, "4.2") == 9000.0
    assert weight(table, None, "public-order") == 7.5
    assert weight(table, "28E") is None  # not in this table: unweighted, not guessed
    assert table.descriptions["8N"] == "Assault with injury"
    # the violent column overrides the Home Office classification; blank keeps it
    assert violent(table, "46") and not violent(table, "8L")
    assert violent(table, "8N") and violent(table, "34B")


def test_user_table_version_is_the_file_hash(tmp_path):
    text = "offence_code,weight\n8N,365\n46,1\n"
    first = load_harm_table(str(write(tmp_path, text, "a.csv")))
    assert first.version == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert (first.name, first.unit, first.source) == ("a", "points", "a.csv")
    same = load_harm_table(str(write(tmp_path, text, "b.csv")))
    assert same.version == first.version
    changed = load_harm_table(str(write(tmp_path, text.replace("365", "366"), "c.csv")))
    assert changed.version != first.version


@pytest.mark.parametrize(
    ("text", "row", "column", "problem"),
    [
        ("offence_code,weight\n8N,abc\n", 2, "weight", "not a number"),
        ("offence_code,weight\n8N,365\n46,-1\n", 3, "weight", "at least 0"),
        ("offence_code,weight\n8N,\n", 2, "weight", "required"),
        ("offence_code,wieght\n8N,1\n", 1, "wieght", "unknown column"),
        ("offence_code,description\n8N,x\n", 1, "weight", "missing"),
        ("description,weight\nx,1\n", 1, "offence_code", "offence_code or an offence_category"),
        ("offence_code,weight\n8N,1\n 8n ,2\n", 3, "offence_code", "given twice (also row 2)"),
        ("offence_code,weight\n1/4.1/4.10/4.2,1\n4.1,2\n", 3, "offence_code", "given twice"),
        ("offence_category,weight\nRobbery,1\nrobbery,2\n", 3, "offence_category", "twice"),
        ("offence_code,offence_category,weight\n,,1\n", 2, "offence_code", "needs an"),
        ("offence_code,weight,violent\n8N,1,maybe\n", 2, "violent", "yes or no"),
        ("# unit: days\n# colour: red\noffence_code,weight\n8N,1\n", 2, None, "unknown setting"),
        ("offence_code,weight\n8N,1\n\n46,1\n", 3, None, "blank row"),
        ("offence_code,weight,weight\n8N,1,2\n", 1, "weight", "twice"),
        ("# unit: days\noffence_code,weight\n", None, None, "no weights"),
        ("", None, None, "no header"),
    ],
)
def test_malformed_user_tables_name_file_row_and_column(tmp_path, text, row, column, problem):
    path = write(tmp_path, text)
    with pytest.raises(ExtractError) as caught:
        load_harm_table(str(path))
    error = caught.value
    assert (error.file, error.row, error.column) == (str(path), row, column)
    assert problem in error.problem


def test_unreadable_tables(tmp_path):
    with pytest.raises(ExtractError, match="cannot read"):
        load_harm_table(str(tmp_path / "missing.csv"))
    path = tmp_path / "latin1.csv"
    path.write_bytes("offence_code,weight\n8N,1\n46,\xa3\n".encode("latin-1"))
    with pytest.raises(ExtractError) as caught:
        load_harm_table(str(path))
    assert caught.value.row == 3 and "UTF-8" in caught.value.problem
    with pytest.raises(ValueError, match="unknown harm table"):
        load_harm_table("cchi-2025")
    with pytest.raises(ValueError):
        load_harm_table("")


def test_ons_css_format_from_the_published_anchors(tmp_path):
    path = write(tmp_path, ONS_ANCHORS, "css_weights.csv")
    table = load_harm_table(f"ons-css:{path}")
    assert (table.name, table.unit) == ("ons-css", "severity points")
    assert "Crime Severity Score" in table.source
    # published ordering: homicide the highest weight, cannabis possession the lowest
    assert weight(table, "1") == 7979 > weight(table, "2") == 4663 > weight(table, "92E") == 3
    assert violent(table, "2") and not violent(table, "92E")


