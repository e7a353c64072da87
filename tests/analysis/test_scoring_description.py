"""What the scoring page is generated from: the harm table's weights, what changed between two
tables and two saved configs, and the RFGV bands in words."""

from deter.analysis.config import AnalysisConfig, RFGConfig, SelectionCriteria, diff_settings
from deter.analysis.harm_tables import cchi_2026, diff_tables, read_user_table, weights
from deter.analysis.rfg import describe


def user_table(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return read_user_table(path)


def test_the_built_in_weights_are_listed_in_natural_order_without_aliases():
    rows = weights(cchi_2026())
    codes = [r["key"] for r in rows if r["kind"] == "offence code"]
    assert codes.index("2") < codes.index("10A") < codes.index("105A")
    assert "8N" in codes and next(r for r in rows if r["key"] == "8N")["violent"]
    categories = [r["key"] for r in rows if r["kind"] == "offence category"]
    assert "shoplifting" in categories and "violent crime" not in categories  # an alias
    shoplifting = next(r for r in rows if r["key"] == "shoplifting")
    assert (shoplifting["weight"], shoplifting["violent"]) == (1.0, False)


def test_diff_tables_finds_added_removed_reweighted_and_reclassified_offences(tmp_path):
    old = user_table(tmp_path, "old.csv", "offence_code,weight,description,violent\n"
                     "8N,365,Assault with injury,yes\n46,1,Shoplifting,no\n8R,10,Malicious,\n")
    new = user_table(tmp_path, "new.csv", "offence_code,weight,violent\n"
                     "8N,730,yes\n8R,10,no\n99Z,42,no\n")
    diff = diff_tables(old, new)
    assert [r["key"] for r in diff["added"]] == ["99Z"]
    assert [(r["key"], r["weight"]) for r in diff["removed"]] == [("46", 1.0)]
    assert [(r["key"], r["old_weight"], r["weight"], r["description"])
            for r in diff["reweighted"]] == [("8N", 365.0, 730.0, "Assault with injury")]
    assert [(r["key"], r["violent"]) for r in diff["reclassified"]] == [("8R", False)]
    assert diff_tables(new, new) == {"added": [], "removed": [], "reweighted": [],
                                     "reclassified": []}


def test_diff_settings_names_each_changed_setting_and_ignores_the_date():
    old = AnalysisConfig().as_dict()
    new = AnalysisConfig(
        half_life_days=300, rfg=RFGConfig(recency_bands=((30, 6), (91, 4))),
        criteria=SelectionCriteria(min_harm_score=500.0),
    ).as_dict()
    new["as_of"] = "2026-09-30T00:00:00+00:00"
    changes = {name: (before, after) for name, before, after in diff_settings(old, new)}
    assert changes == {
        "half_life_days": (365.0, 300),
        "rfg.recency_bands": (old["rfg"]["recency_bands"], [[30.0, 6.0], [91.0, 4.0]]),
        "criteria.min_harm_score": (365.0, 500.0),
    }
    assert diff_settings(old, dict(old)) == []
    # a setting saved by an older version, which lacked it, shows as None
    del old["exposure_days"]
    assert diff_settings(old, AnalysisConfig().as_dict()) == [("exposure_days", None, 365)]


def test_describe_gives_each_rfgv_band_from_the_config():
    parts = describe(RFGConfig(gravity_bands=((1, 1), (1825, 5))), "days")
    assert [p["letter"] for p in parts] == ["R", "F", "G", "V"]
    assert parts[0]["bands"][0] == ("at most 30 days", 5.0)
    assert parts[2]["bands"] == [("1 days or more", 1.0), ("1,825 days or more", 5.0)]
    assert "largest harm weight" in parts[2]["measures"]
