"""The problem profile's size at national scale: the hotspot map, drawn from every grid cell,
was 59 MB of a 60 MB report.  Beyond ``charts.MAX_MAP_SQUARES`` cells the map merges
neighbouring cells into coarser squares; this measures the map's SVG with and without that cap,
and (``--scale``) the whole report of an analysed synthetic extract.

    .venv/bin/python -m benchmarks.report_size                      # 300,000 cells, ~1 minute
    .venv/bin/python -m benchmarks.report_size --cells 50000
    .venv/bin/python -m benchmarks.report_size --scale force        # analyse, then render

The cells are spread over England's box (the synthetic national scale's), 250 m apart, with
heavy-tailed harm (Pareto), seeded.  Sizes are bytes of UTF-8; times are wall seconds.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import polars as pl


def cells(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` distinct 250 m grid cells over England's box, as places_table gives them."""
    rng = np.random.default_rng(seed)
    south, north, west, east = 50.2, 55.6, -5.5, 1.6
    lat_step, lon_step = 250 / 111_320, 250 / (111_320 * np.cos(np.radians(53)))
    rows = int((north - south) / lat_step)
    columns = int((east - west) / lon_step)
    chosen = rng.choice(rows * columns, size=n, replace=False)
    harm = rng.pareto(1.2, size=n) * 10
    frame = pl.DataFrame({
        "place_kind": ["grid"] * n,
        "latitude": south + (chosen // columns + 0.5) * lat_step,
        "longitude": west + (chosen % columns + 0.5) * lon_step,
        "harm": harm,
    })
    return frame.sort("harm", descending=True).with_row_index("rank", offset=1)


def measure_map(n: int) -> dict:
    from deter.analysis import charts

    frame = cells(n)
    result = {"cells": n}
    for label, cap in (("capped", charts.MAX_MAP_SQUARES), ("uncapped", n + 1)):
        started = time.perf_counter()
        svg = charts.hotspot_map(frame, max_squares=cap)
        result[label] = {"bytes": len(svg.encode()), "seconds": round(time.perf_counter() -
                                                                       started, 2)}
    result["squares_drawn"] = charts.map_squares(frame)[0].height
    return result


def measure_report(scale: str) -> dict:
    from deter.analysis.pipeline import analyse
    from deter.analysis.report import render_report
    from deter.analysis.synth import synthesise

    county = synthesise(seed=1, scale=scale)
    started = time.perf_counter()
    result = analyse(county.extract)
    analysed = time.perf_counter() - started
    started = time.perf_counter()
    html = render_report(result)
    grid = result.places.filter(pl.col("place_kind") == "grid").height
    return {"scale": scale, "grid_cells": grid, "analyse_seconds": round(analysed, 1),
            "render_seconds": round(time.perf_counter() - started, 1),
            "report_bytes": len(html.encode())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=300_000)
    parser.add_argument("--scale", help="also analyse this synthetic scale and render its report")
    args = parser.parse_args()
    print(json.dumps(measure_map(args.cells)))
    if args.scale:
        print(json.dumps(measure_report(args.scale)))


if __name__ == "__main__":
    main()
