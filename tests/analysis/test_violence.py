"""The shared definition of violence gives, offence by offence, the harm table's own answer."""

import itertools

import polars as pl
import pytest

from deter.analysis.harm_tables import cchi_2026, read_user_table
from deter.analysis.violence import Violence

CODES = [None, "", "8N", " 8n ", "46", "34B", "8L", "105A", "XYZ", "1/4.1/4.10/4.2"]
CATEGORIES = [None, "", "Robbery", "robbery", "violent-crime", "Violence and sexual offences",
              "Burglary", "possession of weapons", "anti-social behaviour"]


def agrees(table) -> None:
    pairs = list(itertools.product(CODES, CATEGORIES))
    frame = pl.DataFrame(pairs, schema={"offence_code": pl.String,
                                        "offence_category": pl.String}, orient="row")
    expected = frame.select(table.is_violent()).to_series().to_list()
    violence = Violence.from_json(Violence.of(table).to_json())  # as a run stores it
    assert [violence.counts(code, category) for code, category in pairs] == expected
    assert any(expected) and not all(expected)


def test_it_agrees_with_the_default_table():
    agrees(cchi_2026())


def test_it_agrees_with_a_users_table_that_overrides_the_home_office(tmp_path):
    path = tmp_path / "harm.csv"
    path.write_text("offence_code,offence_category,weight,description,violent\n"
                    "46,,10,Shoplifting,yes\n8L,,100,Harassment,no\n"
                    ",Burglary,50,Burglary,yes\n")
    table = read_user_table(path)
    agrees(table)
    violence = Violence.of(table)
    assert violence.counts("46", "") and not violence.counts("8L", "Violence and sexual offences")
    assert violence.counts("", "burglary")


@pytest.mark.parametrize("data", [{}, {"violent_codes": ["8N"]}])
def test_a_stored_definition_reads_back_whole(data):
    violence = Violence.from_json(data)
    assert Violence.from_json(violence.to_json()) == violence
