"""Benchmark of `yoc rrr` (issue 14 item 3): RRR unbundling of the emergency spells of the
shipped LTC groups, on a store of any size (the shared 1M × 3 store, read-only).

    nice -n 10 .venv/bin/python benchmarks/rrr.py --data-dir /work/bench/rrr/store \
        --attach /work/bench/shared/yoc.duckdb

1. Data: a store holding activity (need_level when present; a delayed-discharge audit when
   present). With --attach, the shared store file is attached read-only and its tables are
   read through views in a fresh store in --data-dir, which takes this run's writes.
2. Timed: `run_rrr` with the shipped settings: the spells matched to the groups, priced as the
   money stage prices them (`finance.costs.costed_rows`), tiered, split and summarised, written
   in one stage.
3. Floor, on the same connection: the one scan the stage cannot avoid — the emergency
   non-elective spells of the groups' diagnoses with their length of stay and cost summed
   (hand-written SQL, no pricing of other rows, no writing).

Prints a Markdown table for docs/performance.md with the load average. Not a test: nothing is
asserted. Delete --data-dir after.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from yearofcare.backends.duckdb import set_option
from yearofcare.engine import connect
from yearofcare.planning.rrr_run import run_rrr
from yearofcare.planning.rrr_settings import load_rrr_settings
from yearofcare.store import Store

INPUTS = ("activity", "need_level", "delayed_discharge")


def attach(store: Store, path: Path) -> list[str]:
    """Views in `store` over the input tables of the store file `path`, attached read-only."""
    raw = store.engine.raw
    raw.execute(f"ATTACH '{path}' AS shared (READ_ONLY)")
    there = {r[0] for r in raw.execute("SHOW TABLES FROM shared").fetchall()}
    made = [t for t in INPUTS if t in there]
    for t in made:
        raw.execute(f'CREATE OR REPLACE VIEW "{t}" AS SELECT * FROM shared."{t}"')
    return made


def _timed(fn):
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    out = fn()
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return out, time.perf_counter() - wall, used


def floor(store: Store, settings) -> int:
    prefixes = [p for g in settings.groups for p in g.icd10]
    match = " OR ".join(f"primary_code LIKE '{p}%'" for p in prefixes)
    sql = (
        "SELECT count(*), sum(date_diff('day', start_date, end_date)), sum(cost) FROM activity "
        f"WHERE setting = 'acute_non_elective' AND end_date IS NOT NULL AND ({match})"
    )
    return store.engine.raw.execute(sql).fetchone()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--attach", type=Path, help="a store file to read (read-only)")
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit (shared machine)")
    args = ap.parse_args()
    store = Store(connect("duckdb", args.data_dir))
    set_option(store.engine.raw, "memory_limit", args.memory_limit)
    if args.attach:
        print("read from", args.attach, ":", ", ".join(attach(store, args.attach)))
    settings = load_rrr_settings(None)
    result, wall, cpu = _timed(lambda: run_rrr(store, settings))
    spells, f_wall, f_cpu = _timed(lambda: floor(store, settings))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print("\n| step | rows | wall (s) | CPU (s) |\n|---|---|---|---|")
    print(
        f"| yoc rrr (run_rrr, shipped settings) | {result.spells:,} spells | {wall:.1f} | {cpu:.1f} |"
    )
    print(
        f"| floor: one scan of the groups' spells | {spells:,} spells | {f_wall:.1f} | {f_cpu:.1f} |"
    )
    print(f"\nload average after: {load}")


if __name__ == "__main__":
    main()
