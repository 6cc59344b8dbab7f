"""Benchmark the finance stages against a bare DuckDB scan-and-join of activity with the register.

    nice -n 10 .venv/bin/python benchmarks/finance.py --people 1000000 --years 3 \
        --dir /work/bench/money/1m
    nice -n 10 .venv/bin/python benchmarks/finance.py --from-store /work/bench/shared \
        --dir /work/bench/<you>/finance

1. Data: the synthetic generator in chunks (benchmarks/build.py), `yoc build`, then a currency
   (`ltc_band`, five values) and a cohort register (`ltc3`: 3+ LTCs) made by the fixed rules
   of tests/finance_support.py (the need-and-cohorts stage's own currencies and register, when
   it lands, are as large or smaller). `--reuse` keeps a store made earlier.
2. Floor: `CREATE TEMP TABLE AS SELECT <activity columns>, cohort_id FROM activity LEFT JOIN
   cohort_member ON person and date within the spell` (scan and join, one row per activity
   row, kept in a temporary table), timed before and after every stage in the same process
   (each stage is compared with the mean of the floors either side of it: the machine is
   shared), and once more kept as a stored table (what writing activity_tag has to do).
3. `run_tariffs` (1,000 bootstrap replicates per currency value, cap and pool), `run_budget`
   (three years, movements, schedule, cover), `run_tag` (every activity row).

Prints a Markdown table for docs/performance.md. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from build import copy_store, synthetic_population  # noqa: E402
from tests.finance_support import add_currency_and_register  # noqa: E402
from yearofcare.engine import connect  # noqa: E402
from yearofcare.finance.budget_stage import run_budget  # noqa: E402
from yearofcare.finance.map_loader import load_service_map  # noqa: E402
from yearofcare.finance.service_map import example_path  # noqa: E402
from yearofcare.finance.settings import example_settings_path, load_settings  # noqa: E402
from yearofcare.finance.tagging import run_tag  # noqa: E402
from yearofcare.finance.tariff_stage import run_tariffs  # noqa: E402
from yearofcare.population.person_year import build  # noqa: E402
from yearofcare.store import Store  # noqa: E402

FLOOR = """
CREATE OR REPLACE TEMP TABLE bench_floor AS
SELECT a.activity_id, a.person_id, a.start_date, a.setting, a.provider_code, a.cost, r.cohort_id
FROM activity a LEFT JOIN cohort_member r
  ON a.person_id = r.person_id
 AND a.start_date BETWEEN r.join_date AND coalesce(r.leave_date, DATE '9999-12-31')
"""

FLOOR_STORED = FLOOR.replace(
    "CREATE OR REPLACE TEMP TABLE bench_floor", "CREATE OR REPLACE TABLE bench_floor_stored"
)


def timed(label: str, fn, rows: list) -> object:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    rows.append((label, time.perf_counter() - t0, time.process_time() - c0))
    print(f"{label}: {rows[-1][1]:.1f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--dir", type=Path, default=Path("/work/bench/money/store"))
    ap.add_argument(
        "--memory-limit", default="6GB", help="DuckDB memory_limit (the machine is shared)"
    )
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument(
        "--from-store",
        type=Path,
        default=None,
        help="copy the store of this directory (e.g. /work/bench/shared) into --dir and reuse it",
    )
    args = ap.parse_args()
    if args.from_store:
        shutil.rmtree(args.dir, ignore_errors=True)
        copy_store(args.from_store, args.dir)
        args.reuse = True
    store = Store(connect("duckdb", args.dir))
    store.engine.raw.execute(f"SET memory_limit = '{args.memory_limit}'")
    prep: list = []
    if not (args.reuse and store.exists("cohort_member")):
        timed(
            "data", lambda: synthetic_population(store, args.people, args.years, args.chunk), prep
        )
        timed("yoc build", lambda: build(store), prep)
        last = int(store.to_pandas(store.table("person_year").fy.max().as_table()).iloc[0, 0])
        timed("currency and register", lambda: add_currency_and_register(store, last - 1), prep)
    raw = store.engine.raw
    last = int(store.to_pandas(store.table("person_year").fy.max().as_table()).iloc[0, 0])
    settings, _ = load_settings(example_settings_path())
    bs = settings.tariffs.bootstrap.model_copy(update={"replicates": args.replicates})
    settings = settings.model_copy(
        update={
            "tariffs": settings.tariffs.model_copy(update={"bootstrap": bs}),
            "budget": settings.budget.model_copy(update={"base_fy": last - 1}),
        }
    )
    smap = load_service_map(example_path())
    rows: list = []
    floors: list = []
    stages = (
        ("tariffs (1,000 replicates per value)", lambda: run_tariffs(store, settings, smap)),
        ("budget: 3 years, movements, schedule, cover", lambda: run_budget(store, settings)),
        ("tag every activity row", lambda: run_tag(store, smap)),
    )
    # the floor is taken before and after every stage, so each ratio compares work done under
    # the same machine load (the machine is shared)
    timed("floor", lambda: raw.execute(FLOOR), floors)
    for label, fn in stages:
        timed(label, fn, rows)
        timed("floor", lambda: raw.execute(FLOOR), floors)
    temp_persistent = []
    timed("floor, kept as a stored table", lambda: raw.execute(FLOOR_STORED), temp_persistent)
    raw.execute("DROP TABLE IF EXISTS bench_floor_stored")
    n = {
        name: store.count(name)
        for name in ("activity", "person_year", "cohort_member", "tariff", "activity_tag")
    }
    print()
    print(f"rows: {n}; load average {os.getloadavg()}")
    print(
        "| step | seconds (wall) | CPU seconds | floor before / after (wall) | × floor (wall) | × floor (CPU) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, wall, cpu in prep:
        print(f"| {label} | {wall:.1f} | {cpu:.1f} | | | |")
    work_wall = work_cpu = floor_wall = floor_cpu = 0.0
    for i, (label, wall, cpu) in enumerate(rows):
        fw = (floors[i][1] + floors[i + 1][1]) / 2
        fc = (floors[i][2] + floors[i + 1][2]) / 2
        print(
            f"| {label} | {wall:.1f} | {cpu:.1f} | {floors[i][1]:.1f} / {floors[i + 1][1]:.1f} "
            f"| {wall / fw:.1f} | {cpu / fc:.1f} |"
        )
        if not label.startswith("tariffs"):
            work_wall, work_cpu = work_wall + wall, work_cpu + cpu
            floor_wall, floor_cpu = floor_wall + fw, floor_cpu + fc
    print(
        f"| budget + schedule + tagging | {work_wall:.1f} | {work_cpu:.1f} | | "
        f"{work_wall / (floor_wall / 2):.1f} | {work_cpu / (floor_cpu / 2):.1f} |"
    )
    label, wall, cpu = temp_persistent[0]
    print(f"| {label} | {wall:.1f} | {cpu:.1f} | | | |")


if __name__ == "__main__":
    main()
