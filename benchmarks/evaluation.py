"""Time each evaluation method at force scale beside the library a user would otherwise use.

    .venv/bin/python -m benchmarks.evaluation
    .venv/bin/python -m benchmarks.evaluation --library-python /path/to/venv/bin/python

- Staggered DiD: 500 units x 60 months, cohorts first treated in months 20, 30, 40 and 50 and
  a never-treated quarter; group-time ATTs and all four aggregations.  Library: ``csdid``
  (``ATTgt(..., bstrap=False)`` and ``aggte`` of each type), the Python port of R's ``did``.
- Synthetic control: one treated area and 50 donors over 60 months, the outcome's means over
  five pre-period windows as predictors.  Library: ``pysyncon`` (``Synth.fit``, Nelder-Mead
  from equal weights, the same nested optimisation).  Ours also runs the 50 placebos.
- Interrupted time series (120 months) and the meta-analysis (24 studies, REML) have no
  competing library step worth timing; their times are reported alone.

The libraries are not Deter's dependencies (csdid pulls twine and plotnine): give a Python
that has ``csdid``, ``pysyncon`` and pandas installed with ``--library-python``; it runs them
in a child process on the same data, written to a temporary CSV, and times only the fit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from deter.analysis.evaluation.did import aggregate, group_time_att
from deter.analysis.evaluation.its import interrupted_time_series
from deter.analysis.evaluation.meta import random_effects
from deter.analysis.evaluation.synthetic_control import (
    Predictor,
    placebo_in_space,
    synthetic_control,
)

WINDOWS = [tuple(range(a, a + 8)) for a in range(0, 40, 8)]


def did_panel(units: int = 500, periods: int = 60, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    cohort = rng.choice([0, 20, 30, 40, 50], size=units)
    unit_effect = rng.normal(0, 1, units)
    t = np.arange(periods)
    rows = []
    for i in range(units):
        effect = np.where((cohort[i] > 0) & (t >= cohort[i]), -0.1, 0.0)
        y = unit_effect[i] + 0.01 * t + effect + rng.normal(0, 0.2, periods)
        rows.append(pl.DataFrame({"unit": i, "period": t, "y": y, "cohort": int(cohort[i])}))
    return pl.concat(rows)


def sc_panel(donors: int = 50, periods: int = 60, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    paths = rng.normal(0, 1, (donors, periods)).cumsum(axis=1) + 50
    # noise keeps the treated area outside the donors' hull, so the weights are unique (an exact
    # mix is fitted perfectly by a continuum of weights, and solvers then disagree)
    treated = 0.5 * paths[3] + 0.3 * paths[7] + 0.2 * paths[11] + rng.normal(0, 0.5, periods)
    treated = np.where(np.arange(periods) >= 40, treated - 3, treated)
    names = [f"area{i:02d}" for i in range(donors)] + ["treated"]
    all_paths = np.vstack([paths, treated])
    return pl.DataFrame(
        {
            "area": np.repeat(names, periods),
            "month": np.tile(np.arange(periods), donors + 1),
            "y": all_paths.ravel(),
        }
    )


def _time(function, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def ours(did: pl.DataFrame, sc: pl.DataFrame) -> tuple[dict[str, float], dict]:
    answers: dict = {}

    def run_did():
        result = group_time_att(did, unit="unit", time="period", outcome="y", group="cohort")
        for kind in ("simple", "group", "dynamic", "calendar"):
            agg = aggregate(result, kind)
            answers[f"did_{kind}"] = [agg.att, agg.se]

    spec = {
        "unit": "area",
        "time": "month",
        "outcome": "y",
        "predictors": [Predictor("y", w) for w in WINDOWS],
        "optimise_periods": range(40),
    }
    fit_holder = {}

    def run_sc():
        fit_holder["fit"] = synthetic_control(sc, treated="treated", treatment_start=40, **spec)

    rng = np.random.default_rng(3)
    counts = pl.DataFrame({"y": rng.poisson(40, 120), "population": np.full(120, 2e5)})
    studies = pl.DataFrame({"yi": rng.normal(-0.3, 0.3, 24), "vi": rng.uniform(0.01, 0.1, 24)})
    times = {
        "did": _time(run_did, 3),
        "synthetic_control": _time(run_sc, 3),
    }
    times["placebo_in_space_50"] = _time(lambda: placebo_in_space(fit_holder["fit"], sc, **spec))
    times["its_120_months"] = _time(
        lambda: interrupted_time_series(
            counts, count="y", interruption_index=60, population="population"
        ),
        5,
    )
    times["meta_reml_24"] = _time(lambda: random_effects(studies, method="REML"), 5)
    fit = fit_holder["fit"]
    answers["weights"] = dict(zip(fit.donors, fit.weights, strict=True))
    answers["pre_mspe"] = fit.pre_rmspe**2
    return times, answers


LIBRARY_SCRIPT = r"""
import json, sys, time, io, contextlib
import pandas as pd
did = pd.read_csv(sys.argv[1]); sc = pd.read_csv(sys.argv[2])
out = {}
from csdid.att_gt import ATTgt
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        fit = ATTgt(yname="y", gname="cohort", idname="unit", tname="period", xformla=None,
                    data=did, bstrap=False).fit(est_method="dr", bstrap=False)
        for kind in ("simple", "group", "dynamic", "calendar"):
            agg = fit.aggte(kind, bstrap=False)
            out[f"did_{kind}"] = [agg.atte["overall_att"], agg.atte["overall_se"]]
    best = min(best, time.perf_counter() - start)
out["did"] = best
from pysyncon import Dataprep, Synth
windows = [list(range(a, a + 8)) for a in range(0, 40, 8)]
prep = Dataprep(foo=sc, predictors=[], predictors_op="mean", time_predictors_prior=range(40),
    special_predictors=[("y", w, "mean") for w in windows], dependent="y",
    unit_variable="area", time_variable="month", treatment_identifier="treated",
    controls_identifier=[a for a in sc.area.unique() if a != "treated"],
    time_optimize_ssr=range(40))
start = time.perf_counter()
synth = Synth(); synth.fit(dataprep=prep, optim_method="Nelder-Mead", optim_initial="equal")
out["synthetic_control"] = time.perf_counter() - start
out["weights"] = {str(k): float(v) for k, v in synth.weights(round=9).items()}
out["pre_mspe"] = float(synth.loss_V)
print(json.dumps(out))
"""


def library(python: str, did: pl.DataFrame, sc: pl.DataFrame) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        did_path, sc_path = Path(work, "did.csv"), Path(work, "sc.csv")
        did.write_csv(did_path)
        sc.write_csv(sc_path)
        done = subprocess.run(  # noqa: S603 (the Python the user named)
            [python, "-c", LIBRARY_SCRIPT, str(did_path), str(sc_path)],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library-python", help="a Python with csdid and pysyncon installed")
    args = parser.parse_args()
    did, sc = did_panel(), sc_panel()
    mine, answers = ours(did, sc)
    theirs = library(args.library_python, did, sc) if args.library_python else {}
    if theirs:
        for kind in ("simple", "group", "dynamic", "calendar"):
            a, b = np.array(answers[f"did_{kind}"]), np.array(theirs[f"did_{kind}"])
            print(
                f"DiD {kind}: largest relative difference in ATT and SE "
                f"{np.max(np.abs(a - b) / np.abs(b)):.1e}"
            )
        gap = max(abs(answers["weights"][k] - theirs["weights"][k]) for k in answers["weights"])
        print(
            f"synthetic control: largest donor-weight difference {gap:.1e}; pre-period MSPE "
            f"deter {answers['pre_mspe']:.4f}, library {theirs['pre_mspe']:.4f}"
        )
    print(f"{'method':<24}{'deter s':>10}{'library s':>12}{'ratio':>8}")
    for name, seconds in mine.items():
        other = theirs.get(name) if isinstance(theirs.get(name), float) else None
        ratio = f"{other / seconds:7.1f}x" if other else ""
        shown = f"{other:12.3f}" if other else f"{'':12}"
        print(f"{name:<24}{seconds:10.3f}{shown}{ratio}")


if __name__ == "__main__":
    main()
