"""Benchmark `yoc simulate`: the four-band scenario (seed 004 Table 3) with 1,000 Monte Carlo runs,
beside one deterministic run, on the shared 1M × 3 store.

    nice -n 10 .venv/bin/python benchmarks/planning.py --from-store /work/bench/shared \\
        --dir /work/bench/planning/1m

1. Data: the shared benchmark store (benchmarks/shared_store.py: 1,000,000 people × 3 years,
   risk scores and levels of need), copied into `--dir` (the shared file is only read).
2. Floor: one deterministic run (`runs: 0`): the same cohorts, features, history and tables,
   every person counted once with the central effects: the relational part and the writes.
3. The target: the same stage with 1,000 Monte Carlo runs (person-level resampling of every
   cohort and of the history cohorts, effect sizes drawn, runs an array dimension); and the
   NumPy arithmetic alone (`simulate_arrays`) on the arrays pulled out, to show where the time
   goes.

Prints a Markdown table for docs/performance.md with the load average. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from yearofcare.engine import connect  # noqa: E402
from yearofcare.planning import cohorts as pc  # noqa: E402
from yearofcare.planning.demo import example_scenario  # noqa: E402
from yearofcare.planning.scenario import load_scenario  # noqa: E402
from yearofcare.planning.simulate import (  # noqa: E402
    SimulateOptions,
    _base_arrays,
    _history_arrays,
    bed_day_price,
    run_simulate,
    simulate_arrays,
)
from yearofcare.store import Store  # noqa: E402


def timed(label: str, fn, rows: list):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    load = os.getloadavg()[0]
    rows.append((label, time.perf_counter() - t0, time.process_time() - c0, load))
    print(
        f"{label}: {rows[-1][1]:.1f} s wall, {rows[-1][2]:.1f} s CPU, load {load:.1f}", flush=True
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--from-store", type=Path, default=Path("/work/bench/shared"))
    p.add_argument("--dir", type=Path, default=Path("/work/bench/planning/1m"))
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--reuse", action="store_true", help="keep the copy made earlier")
    p.add_argument("--memory-limit", default="5GB", help="DuckDB memory_limit")
    a = p.parse_args()
    if not (a.from_store / "READY").exists():
        sys.exit(f"{a.from_store} has no READY file: wait for benchmarks/shared_store.py")
    a.dir.mkdir(parents=True, exist_ok=True)
    target = a.dir / "yoc.duckdb"
    if not (a.reuse and target.exists()):
        shutil.copyfile(a.from_store / "yoc.duckdb", target)
    engine = connect("duckdb", a.dir)
    engine.raw.execute(f"SET memory_limit = '{a.memory_limit}'")  # a shared machine
    store = Store(engine)
    py = store.table("person_year")
    counts = store.to_pandas(py.group_by("fy").aggregate(n=py.count()).order_by("fy"))
    print("person_year:", dict(zip(counts.fy, counts.n, strict=True)), flush=True)
    rows: list = []
    with example_scenario() as path:
        scenario = load_scenario(path).scenario
        det = timed(
            "deterministic run (runs 0): cohorts, history, tables written",
            lambda: run_simulate(store, SimulateOptions(scenarios=(path,), runs=0, seed=a.seed)),
            rows,
        )
        full = timed(
            f"yoc simulate, {a.runs:,} Monte Carlo runs (the target, ≤ 60 s)",
            lambda: run_simulate(
                store, SimulateOptions(scenarios=(path,), runs=a.runs, seed=a.seed)
            ),
            rows,
        )
    # the arithmetic alone, on the arrays the stage pulls out
    frame = pc.cohort_frame(py, store.table("need_level") if store.exists("need_level") else None,
                            store.table("risk_score"))  # fmt: skip
    feats = store.cache(pc.features(py, store.table("activity")))
    assigned = store.cache(pc.assign(frame, scenario.cohorts))
    base = _base_arrays(
        store.to_pyarrow(pc.base_rows(assigned, feats, full.base_fy)), len(scenario.cohorts)
    )
    hist = _history_arrays(
        store.to_pyarrow(pc.history_rows(assigned, feats, py, full.base_fy, scenario.years)),
        len(scenario.cohorts),
        scenario.years,
    )
    price, _ = bed_day_price(full.base_fy)
    timed(
        f"the NumPy arithmetic alone, {a.runs:,} runs (simulate_arrays)",
        lambda: simulate_arrays(scenario, base, hist, a.runs, a.seed, price),
        rows,
    )
    people = [len(b) for b in base]
    history = [len(h.x) for h in hist]
    s = full.summary.sort_values("cohort_order")
    print()
    print(f"Cohorts (base year {full.base_fy}): people {people}, history rows {history}")
    print(s[["cohort_id", "people", "base_mean_cost", "baseline_mean_cost", "scenario_mean_cost",
             "saving", "saving_lower", "saving_upper", "probability_saving"]].to_string())  # fmt: skip
    print(det.summary[["cohort_id", "saving"]].to_string())
    print()
    print("| step | wall (s) | CPU (s) | load average (1 min) |")
    print("|---|---:|---:|---:|")
    for label, wall, cpu, load in rows:
        print(f"| {label} | {wall:.1f} | {cpu:.1f} | {load:.1f} |")


if __name__ == "__main__":
    main()
