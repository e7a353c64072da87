"""Speed and memory of Deter's analysis against pandas + networkx and the floor of reading.

On one synthetic extract (``deter.analysis.synth``, written once as Parquet and reused while the
generator is unchanged), each contender runs in a fresh Python process of its own, so its peak
memory is that process's alone:

* ``floor-polars`` / ``floor-pandas``: read every table of the extract once, nothing else: no
  analysis can be faster than this;
* ``deter``: ``read_extract`` (which validates every key, reference and value) and
  ``analyse(extract, AnalysisConfig())``, the whole analysis as the CLI and web app run it;
* ``pandas-networkx``: the same steps written with pandas and networkx
  (``benchmarks/pandas_networkx.py``), stopped after ``--pandas-timeout`` minutes, keeping the
  times of the steps that finished.

Wall time is measured inside the process from the first read to the end (interpreter start-up and
imports excluded, about a second); peak memory is the process's maximum resident set size as the
kernel reports it to the parent (``os.wait4``), also for a process stopped by the timeout.
``--deter-limit-gib N`` adds a run of Deter with its address space capped at N GiB
(``RLIMIT_AS``); a cap on address space is stricter than one on memory used, since allocators
reserve more address space than they touch.

    .venv/bin/python -m benchmarks.analysis_speed --scale force
    .venv/bin/python -m benchmarks.analysis_speed --scale national --contenders floor-polars,deter
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(ROOT))

CONTENDERS = ("floor-polars", "floor-pandas", "deter", "pandas-networkx")
# Deter's steps (analyse()'s summary["seconds"]) that pandas_networkx also does; "network
# analysis" holds the sampled betweenness of the key players.
COMMON_STEPS = ("read", "harm", "network", "groups", "network analysis")
GIB = 1024**3


# --- the extract ---------------------------------------------------------------------------


def fingerprint(scale: str, seed: int) -> str:
    """Changes whenever the generator, the extract writer or Polars changes."""
    import polars as pl

    digest = hashlib.sha256(f"{scale}:{seed}:{pl.__version__}".encode())
    analysis = ROOT / "src" / "deter" / "analysis"
    for part in [*sorted((analysis / "synth").glob("*.py")), analysis / "extract.py"]:
        digest.update(part.read_bytes())
    return digest.hexdigest()[:16]


def ensure_extract(scale: str, seed: int, work: Path) -> tuple[Path, dict[str, Any]]:
    """The extract's Parquet folder, built in a child process unless a current one exists."""
    folder = work / f"{scale}-seed{seed}"
    marker = folder / "benchmark.json"
    current = fingerprint(scale, seed)
    if marker.exists():
        built = json.loads(marker.read_text())
        if built.get("fingerprint") == current:
            return folder, built | {"reused": True}
    result = _run_child(["build", scale, str(seed), str(folder)], timeout=None)
    if result.get("error"):
        raise SystemExit(f"building the {scale} extract failed: {result['error']}")
    built = result["report"] | {"fingerprint": current, "peak_rss_gib": result["peak_rss_gib"]}
    marker.write_text(json.dumps(built, indent=2))
    return folder, built | {"reused": False}


def _build(scale: str, seed: int, folder: Path, report: Path) -> None:
    from deter.analysis.extract import write_extract
    from deter.analysis.synth import synthesise

    started = time.perf_counter()
    county = synthesise(seed, scale)
    synthesised = time.perf_counter() - started
    write_extract(county.extract, folder, "parquet")
    e = county.extract
    _write(report, {
        "scale": scale, "seed": seed, "synthesise_seconds": round(synthesised, 2),
        "write_seconds": round(time.perf_counter() - started - synthesised, 2),
        "events": e.events.height, "involvements": e.involvements.height,
        "people": e.people.height, "associations": e.associations.height,
        "memberships": e.memberships.height,
        "parquet_mb": round(sum(p.stat().st_size for p in folder.glob("*.parquet")) / 1e6, 1),
    })


# --- the contenders (each runs in its own process) -----------------------------------------


def _floor_polars(folder: Path, report: Path) -> None:
    import polars as pl

    started, started_cpu = time.perf_counter(), time.process_time()
    rows = {p.stem: pl.read_parquet(p).height for p in sorted(folder.glob("*.parquet"))}
    _write(report, {"seconds": {"read": round(time.perf_counter() - started, 3)},
                    "cpu": round(time.process_time() - started_cpu, 3),
                    "rows": rows, "done": True})


def _floor_pandas(folder: Path, report: Path) -> None:
    import pandas as pd

    started, started_cpu = time.perf_counter(), time.process_time()
    rows = {p.stem: len(pd.read_parquet(p)) for p in sorted(folder.glob("*.parquet"))}
    _write(report, {"seconds": {"read": round(time.perf_counter() - started, 3)},
                    "cpu": round(time.process_time() - started_cpu, 3),
                    "rows": rows, "done": True})


def _deter(folder: Path, report: Path) -> None:
    import polars as pl

    from deter.analysis.config import AnalysisConfig
    from deter.analysis.extract import read_extract
    from deter.analysis.pipeline import analyse

    started, started_cpu = time.perf_counter(), time.process_time()
    extract = read_extract(folder)
    read, read_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    _write(report, {"seconds": {"read": round(read, 3)}})
    result = analyse(extract, AnalysisConfig())
    steps = {k: v for k, v in result.summary["seconds"].items() if k != "total"}
    cpu_steps = {k: v for k, v in result.summary["cpu_seconds"].items() if k != "total"}
    result.people.select("person_id", "group_id",
                         pl.col("betweenness_raw").alias("betweenness")).write_parquet(
        outputs_path(folder, "deter")
    )
    _write(report, {
        "seconds": {"read": round(read, 3), **steps},
        "cpu_seconds": {"read": round(read_cpu, 3), **cpu_steps},
        "wall": round(time.perf_counter() - started, 3),
        "cpu": round(time.process_time() - started_cpu, 3),
        "people": result.people.height, "edges": result.graph.ecount(),
        "groups": result.groups.height, "done": True,
    })


def _pandas_networkx(folder: Path, report: Path) -> None:
    from benchmarks.pandas_networkx import BETWEENNESS_SAMPLES, run
    from deter.analysis.config import AnalysisConfig

    # as many betweenness sources as Deter samples (imported before the clock starts)
    k = getattr(AnalysisConfig(), "betweenness_samples", BETWEENNESS_SAMPLES)
    outputs: dict[str, dict] = {}
    started, started_cpu = time.perf_counter(), time.process_time()
    seconds = run(folder, k, report=lambda so_far: _write(report, {"seconds": so_far}),
                  outputs=outputs)
    seconds.pop("total", None)
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    _pandas_outputs(outputs).write_parquet(outputs_path(folder, "pandas-networkx"))
    _write(report, {"seconds": seconds, "wall": round(wall, 3), "cpu": round(cpu, 3),
                    "done": True})


def outputs_path(folder: Path, contender: str) -> Path:
    """Where a contender leaves its groups and betweenness for the comparison."""
    out = folder.parent / f"{folder.name}-outputs"
    out.mkdir(exist_ok=True)
    return out / f"{contender}.parquet"


def _pandas_outputs(outputs: dict[str, dict]):
    import polars as pl

    betweenness = outputs["betweenness"]
    groups = outputs["groups"]
    people = list(betweenness)
    return pl.DataFrame({
        "person_id": people,
        "group_id": [None if groups.get(p) is None else str(groups[p]) for p in people],
        "betweenness": [betweenness[p] for p in people],
    }, schema={"person_id": pl.String, "group_id": pl.String, "betweenness": pl.Float64})


def agreement_note(folder: Path, results: dict[str, dict[str, Any]]) -> str:
    """Groups (ARI) and betweenness (top-100 overlap, Spearman) of the two pipelines, over
    the people in components of three or more: the outputs of this run, or of the last run of
    a contender not run this time (so the slow pandas pipeline can be run on its own)."""
    import polars as pl

    from benchmarks.agreement import betweenness_agreement, group_agreement

    names = ("deter", "pandas-networkx")
    if any(results.get(n, {}).get("error") for n in names) or not all(
        outputs_path(folder, n).exists() for n in names
    ):
        return ""
    theirs = pl.read_parquet(outputs_path(folder, "pandas-networkx"))
    ours = pl.read_parquet(outputs_path(folder, "deter")).join(
        theirs.select("person_id"), on="person_id", how="semi"
    )
    ari = group_agreement(ours.select("person_id", "group_id"),
                          theirs.select("person_id", "group_id"))
    b = betweenness_agreement(ours, theirs)
    ours_groups = ours["group_id"].drop_nulls().n_unique()
    their_groups = theirs["group_id"].drop_nulls().n_unique()
    return (
        f"\nAgreement over the {b['people']:,} people in components of three or more: groups "
        f"ARI {ari:.3f} (Deter {ours_groups:,} groups, pandas-networkx {their_groups:,}); "
        f"betweenness: {b['top_overlap']} of the top "
        f"{b['top']} in common, Spearman {b['spearman']}.\n"
    )


WORKERS = {
    "floor-polars": _floor_polars,
    "floor-pandas": _floor_pandas,
    "deter": _deter,
    "pandas-networkx": _pandas_networkx,
}


def _write(path: Path, values: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(values))
    os.replace(partial, path)


def _child(argv: list[str]) -> None:
    """A child process: ``REPORT build SCALE SEED FOLDER`` or ``REPORT run CONTENDER FOLDER
    [GIB]``; it writes what it measured to the file REPORT."""
    report, what, *rest = argv
    if what == "build":
        scale, seed, folder = rest
        _build(scale, int(seed), Path(folder), Path(report))
        return
    contender, folder, *limit = rest
    if limit:
        cap = int(float(limit[0]) * GIB)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    WORKERS[contender](Path(folder), Path(report))
    if Path(report).exists():
        values = json.loads(Path(report).read_text())
        _write(Path(report), values | {"peak_rss_kib": _own_peak_kib()})


def _own_peak_kib() -> int | None:
    """This process's peak resident memory since it exec'd (VmHWM). getrusage's ru_maxrss
    also counts the parent's memory the child held between fork and exec, so a child of a
    large process (the test suite) would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def _run_child(args: list[str], timeout: float | None) -> dict[str, Any]:
    """Run a child to the end or the timeout: its report, peak RSS, wall time and any error."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "benchmarks.analysis_speed", "--child", str(report),
                   *args]
        started = time.perf_counter()
        stderr = Path(scratch) / "stderr.txt"
        with stderr.open("wb") as err:
            # the command is this interpreter and this module with our own arguments
            child = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
            )
            timed_out = False
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                if timeout is not None and time.perf_counter() - started > timeout:
                    child.kill()
                    pid, status, usage = os.wait4(child.pid, 0)
                    timed_out = True
                    break
                time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        values = json.loads(report.read_text()) if report.exists() else {}
        error = None
        if timed_out:
            error = f"did not finish in {timeout / 60:g} minutes"
        elif child.returncode != 0:
            lines = stderr.read_text(errors="replace").strip().splitlines()
            error = lines[-1] if lines else f"exit code {child.returncode}"
        peak_kib = values.pop("peak_rss_kib", None) or usage.ru_maxrss  # Linux: kilobytes
        return {
            "report": values,
            "peak_rss_gib": peak_kib * 1024 / GIB,
            # the whole child, start-up and imports included (getrusage of the child)
            "process_cpu": usage.ru_utime + usage.ru_stime,
            "process_seconds": elapsed,
            "error": error,
        }


def run_contender(
    contender: str, folder: Path, timeout: float | None, limit_gib: float | None = None
) -> dict[str, Any]:
    args = ["run", contender, str(folder)]
    if limit_gib:
        args.append(str(limit_gib))
    result = _run_child(args, timeout)
    report = result["report"]
    seconds = report.get("seconds", {})
    result["steps"] = seconds
    result["wall"] = report.get("wall", sum(seconds.values()) if seconds else None)
    result["cpu_steps"] = report.get("cpu_seconds", {})
    # a child stopped by the timeout reports no CPU of its own: the kernel's count stands in
    result["cpu"] = report.get("cpu", result["process_cpu"] if result["error"] else None)
    if not report.get("done") and not result["error"]:
        result["error"] = "stopped before the end"
    return result


# --- the report ----------------------------------------------------------------------------


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    """Wall and CPU seconds (from the first read to the end, in the child), the child's whole
    CPU time (start-up and imports included, from getrusage), peak memory, and each as a
    multiple of Deter's and of the Polars floor."""
    deter = results.get("deter", {}) if not results.get("deter", {}).get("error") else {}
    floor = results.get("floor-polars", {})
    lines = [
        "| contender | wall s | CPU s | whole process CPU s | peak RSS GiB | x Deter wall "
        "| x Deter CPU | x floor wall | steps: wall s (CPU s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        wall, cpu = r.get("wall"), r.get("cpu")
        shown = "-" if wall is None else f"{wall:.2f}"
        if r.get("error"):
            shown = f"{r['error']} (steps that finished: {shown})"
        cpu_steps = r.get("cpu_steps", {})
        steps = ", ".join(
            f"{k} {v:.2f}" + (f" ({cpu_steps[k]:.2f})" if k in cpu_steps else "")
            for k, v in r.get("steps", {}).items()
        )
        lines.append(
            f"| {name} | {shown} | {'-' if cpu is None else f'{cpu:.2f}'} "
            f"| {r['process_cpu']:.2f} | {r['peak_rss_gib']:.2f} "
            f"| {_ratio(wall, deter.get('wall'))} | {_ratio(cpu, deter.get('cpu'))} "
            f"| {_ratio(wall, floor.get('wall'))} | {steps} |"
        )
    return "\n".join(lines)


def _ratio(value: float | None, base: float | None) -> str:
    if not value or not base:
        return "-"
    ratio = value / base
    return f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}" if ratio >= 1 else f"{ratio:.3f}"


def common_steps_note(results: dict[str, dict[str, Any]]) -> str:
    """Deter's time on the steps the pandas pipeline also runs, and the ratio on those alone
    (Deter's whole analysis also ranks, scores RFGV, selects, measures stability...)."""
    deter, pandas = results.get("deter", {}), results.get("pandas-networkx", {})
    if deter.get("error") or not deter.get("steps") or not pandas.get("wall"):
        return ""
    common = sum(v for k, v in deter["steps"].items() if k in COMMON_STEPS)
    common_cpu = sum(v for k, v in deter.get("cpu_steps", {}).items() if k in COMMON_STEPS)
    names = ", ".join(k for k in deter["steps"] if k in COMMON_STEPS)
    finished = "" if not pandas.get("error") else " (pandas-networkx did not finish: at least)"
    return (
        f"\nDeter on the steps pandas-networkx also runs ({names}): {common:.2f} s wall, "
        f"{common_cpu:.2f} s CPU; pandas-networkx takes {_ratio(pandas['wall'], common)} times "
        f"as long in wall time and {_ratio(pandas.get('cpu'), common_cpu)} times the CPU"
        f"{finished}.\n"
    )


def machine() -> str:
    import networkx
    import pandas
    import polars

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    return (
        f"{dt.datetime.now(dt.UTC).date().isoformat()}, {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), {memory:.0f} GiB, "
        f"Python {platform.python_version()}, Polars {polars.__version__}, "
        f"igraph {_version('igraph')}, pandas {pandas.__version__}, "
        f"networkx {networkx.__version__}"
    )


def _load(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.2f}" for value in averages)


def _version(module: str) -> str:
    return getattr(__import__(module), "__version__", "?")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.analysis_speed",
        description="Deter's analysis vs pandas + networkx vs reading the input, each in its own "
        "process, on one synthetic extract.",
    )
    parser.add_argument("--scale", default="force",
                        help="synthetic scale: small, county, force, national (default force)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "deter-benchmark",
                        help="where the Parquet extract is written and reused")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated, from {', '.join(CONTENDERS)}")
    parser.add_argument("--pandas-timeout", type=float, default=60.0, metavar="MINUTES",
                        help="stop pandas-networkx after this many minutes (default 60)")
    parser.add_argument("--deter-limit-gib", type=float, default=None, metavar="GIB",
                        help="also run Deter with its address space capped (RLIMIT_AS)")
    parser.add_argument("--out", type=Path, help="also append the results (Markdown) here")
    args = parser.parse_args(argv)

    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = [c for c in contenders if c not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contender(s) {', '.join(unknown)}; use {', '.join(CONTENDERS)}")
    from deter.analysis.synth import SCALES

    if args.scale not in SCALES:
        parser.error(f"unknown scale {args.scale!r}; use {', '.join(SCALES)}")
    if args.pandas_timeout <= 0:
        parser.error("--pandas-timeout must be positive")
    if args.deter_limit_gib is not None and args.deter_limit_gib <= 0:
        parser.error("--deter-limit-gib must be positive")

    folder, built = ensure_extract(args.scale, args.seed, args.work)
    print(
        f"extract {folder}: {built['events']:,} events, {built['involvements']:,} involvements, "
        f"{built['people']:,} people, {built['associations']:,} associations "
        f"({'reused' if built['reused'] else 'built'}: synthesise {built['synthesise_seconds']} s, "
        f"peak {built['peak_rss_gib']:.2f} GiB)",
        flush=True,
    )
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    for contender in contenders:
        timeout = args.pandas_timeout * 60 if contender == "pandas-networkx" else None
        results[contender] = run_contender(contender, folder, timeout)
        print(f"  {contender}: {results[contender]['wall']} s "
              f"{results[contender]['error'] or ''}", flush=True)
    if args.deter_limit_gib:
        name = f"deter (address space <= {args.deter_limit_gib:g} GiB)"
        results[name] = run_contender("deter", folder, None, args.deter_limit_gib)
        print(f"  {name}: {results[name]['wall']} s {results[name]['error'] or ''}", flush=True)

    text = (
        f"\n{args.scale} extract, seed {args.seed}: {built['events']:,} events, "
        f"{built['involvements']:,} involvements, {built['people']:,} people\n"
        f"{machine()}\nload average (1, 5, 15 min) before {_load(load_before)}, "
        f"after {_load(os.getloadavg())}\n\n{markdown_table(results)}\n"
        f"{common_steps_note(results)}{agreement_note(folder, results)}"
    )
    print(text)
    if args.out:
        with args.out.open("a", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
