"""The problem profile (report.html) and the GraphML export, on the small synthetic county."""

import re
from html import escape
from html.parser import HTMLParser

import igraph as ig
import polars as pl
import pytest

from deter.analysis.pipeline import analyse, write_outputs
from deter.analysis.report import render_report
from deter.analysis.synth import synthesise
from shared_data import needs_shared, shared_path


@pytest.fixture(scope="module")
def county():
    return synthesise(seed=2, scale="small")


@pytest.fixture(scope="module")
def result(county):
    return analyse(county.extract)


@pytest.fixture(scope="module")
def html(result):
    return render_report(result)


class Resources(HTMLParser):
    """Every URL the page would fetch (src, href of link, url() in styles) and its scripts."""

    def __init__(self):
        super().__init__()
        self.fetched: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("img", "iframe", "source", "embed") and values.get("src"):
            self.fetched.append(values["src"])
        if tag == "link" and values.get("href"):
            self.fetched.append(values["href"])


def test_the_report_is_self_contained_and_offline(html):
    page = Resources()
    page.feed(html)
    assert page.fetched == [] and page.scripts == 0
    # url() only ever points inside the page (SVG clip paths: url(#id))
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {
        ref for ref in re.findall(r"url\(([^)]*)\)", html) if ref.startswith("#")
    }
    assert "@import" not in html and "@font-face" not in html
    # links go to sections of the page itself; charts are inline SVG with a text alternative
    assert all(href.startswith("#") for href in re.findall(r'<a href="([^"]+)"', html))
    assert html.count('<svg role="img" aria-label=') >= 4


def test_the_report_lists_the_proposed_people_with_the_criteria_they_met(result, html):
    proposed = result.people.filter(pl.col("proposed")).sort("rank")
    assert proposed.height > 0
    first = proposed.row(0, named=True)
    assert f"<td>{first['person_id']}</td>" in html
    assert escape(first["criteria_met"].replace(",", "; ")) in html
    never = result.people.filter(~pl.col("proposed") & (pl.col("harm_score") > 0))
    section = html[html.index('<section id="people">'):html.index('<section id="key-players">')]
    rows = re.findall(r'<td class="num">\d+</td>\s*<td>(P\d+)</td>', section)
    assert rows and not set(rows) & set(never["person_id"].to_list())


def test_the_report_shows_rivalries_with_their_evidence(result, html):
    rivalry = result.relations.filter(pl.col("relation") == "rivalry").sort(
        "weight", descending=True).row(0, named=True)
    assert f"{rivalry['group_a']} – {rivalry['group_b']}" in html
    assert rivalry["evidence_event_ids"].replace(",", ", ") in html


def test_the_report_escapes_what_comes_from_the_extract(county):
    extract = county.extract
    hostile = '<script>alert("x")</script>'
    events = extract.events.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(hostile)).otherwise("offence_code")
        .alias("offence_code")
    )
    html = render_report(analyse(type(extract).from_frames(
        people=extract.people, events=events, involvements=extract.involvements,
        associations=extract.associations, groups=extract.groups,
        memberships=extract.memberships,
    )))
    assert "<script>" not in html


def test_graphml_holds_the_linked_network_with_scores(result, tmp_path):
    write_outputs(result, tmp_path, report=False)
    graph = ig.Graph.Read_GraphML(str(tmp_path / "network.graphml"))
    linked = sum(1 for degree in result.graph.degree() if degree > 0)
    assert graph.vcount() == linked and graph.ecount() == result.graph.ecount()
    top = result.people.row(0, named=True)
    vertex = graph.vs.find(label=top["person_id"])
    assert vertex["harm_score"] == pytest.approx(top["harm_score"])
    assert vertex["group_id"] == (top["group_id"] or "")
    assert not (tmp_path / "report.html").exists()


WEST_YORKSHIRE = shared_path("police_uk_west_yorkshire_street")


@needs_shared(WEST_YORKSHIRE)
def test_a_real_events_only_extract_gives_an_honest_profile():
    """Three police.uk months a year apart (SOURCE.md: 87,348 rows): no people, no invented
    trend across the empty months between them, hotspots in Leeds city centre."""
    from deter.analysis.police_uk import read_police_uk

    result = analyse(read_police_uk(sorted(WEST_YORKSHIRE.glob("*.csv"))))
    assert result.summary["events"] == 87_348 and result.people.height == 0
    assert result.trend["trend"].is_null().all()
    assert result.trend["method"][0] == "gaps"
    assert result.hour_weekday.height == 0  # police.uk gives months, not times
    top = result.places.filter(pl.col("place_kind") == "lsoa").sort("rank").row(0, named=True)
    assert top["place_id"] == "E01033010"  # Leeds 111B, the city centre (test_real_places)
    html = render_report(result)
    assert "names no people" in html and "not a continuous monthly series" in html
    # no times of day: a sentence, not a flat heat map captioned "Peak hours: ."
    html = " ".join(html.split())
    assert "dates only, with no time of day" in html
    assert 'aria-label="Harm by weekday' not in html and "Peak hours" not in html
    assert "Nothing to compare: the extract names no people" in html
    assert "<th>characteristic</th>" not in html
    # the LSOA is named from the packaged lookup, not only by its code
    assert "<td>E01033010</td><td>Leeds 111B</td>" in html


def test_the_settings_are_a_readable_table(result, html):
    from deter.analysis.config import flatten
    from deter.analysis.report import SETTING_NOTES

    table = html[html.index("<caption>Every setting that changes a result"):]
    table = table[: table.index("</table>")]
    # no Python dicts, lists or quotes
    assert not re.search(r"[{}\[\]]|&#39;|'", table)
    rows = re.findall(r'<th scope="row"><code>([^<]+)</code></th><td>([^<]*)</td>', table)
    saved = flatten(result.summary["config"])
    assert [key for key, _ in rows] == list(saved)
    assert set(saved) <= set(SETTING_NOTES)  # every setting says what it does
    values = dict(rows)
    assert values["as_of"] == "not set" and values["window_days"] == "1095"
    assert values["rfg.recency_bands"].startswith("30 → 5; 91 → 4")
    assert values["association_weights"] == "none"
    assert values["alliance_association_kinds"] == "meeting, summit, alliance"


def test_a_national_number_of_cells_is_merged_for_the_map():
    """One SVG square per cell made a national hotspot map 59 MB; beyond MAX_MAP_SQUARES
    neighbouring cells are merged for drawing, harm summed, and the map stays small."""
    from benchmarks.report_size import cells

    from deter.analysis import charts

    grid = cells(30_000)
    drawn, factor = charts.map_squares(grid)
    assert factor > 1 and drawn.height <= charts.MAX_MAP_SQUARES
    assert drawn["harm"].sum() == pytest.approx(grid["harm"].sum())
    assert drawn["latitude"].is_between(50.2, 55.6).all()
    svg = charts.hotspot_map(grid)
    assert len(svg.encode()) < 1_500_000
    small = grid.head(500)
    same, factor = charts.map_squares(small)
    assert factor == 1 and same.equals(small.select("longitude", "latitude", "harm"))
