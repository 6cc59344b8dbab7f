"""Benchmark need and cohorts (issue 11) at scale, each figure beside its floor.

    nice -n 10 .venv/bin/python benchmarks/need.py --people 1000000 --years 3 \\
        --data-dir /work/bench/need/1m
    nice -n 10 .venv/bin/python benchmarks/need.py --from-store /work/bench/shared \\
        --data-dir /work/bench/<you>/need

1. Data: the synthetic generator in chunks (as benchmarks/build.py), then `yoc build`; with
   --reuse, a store already holding person_year (and activity) is used as it is.
2. Timed: `yoc risk fit` (sample, fits, validation with the comparators), `yoc risk score`
   (scores, levels, matrix, rising risk, annual change, summaries), `yoc currency` (four
   currencies); target: all three ≤ 90 s. Then one cohort rule over every person-year
   (`cohort.explore.rule_counts`, as the web cohort explorer calls it); target ≤ 1 s.
3. Floors, on the same connection: a bare DuckDB scan of the person_year columns the model
   and the rules read (the sum of the hash of every value), and the same rule written as SQL by hand
   against person_year joined to need_level.

Prints a Markdown table for docs/performance.md, with the machine's load average. Not a
test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import time
from pathlib import Path

from yearofcare.engine import connect
from yearofcare.store import Store

RULE = "ltc_count >= 3 and age >= 65 and level in ('Medium', 'High')"
RULE_SQL = (
    "SELECT p.fy, sum(CASE WHEN p.ltc_count >= 3 AND p.age >= 65 AND n.level IN ('Medium', "
    "'High') THEN 1 ELSE 0 END) AS selected, count(*) AS people FROM person_year p LEFT JOIN "
    "need_level n ON p.person_id = n.person_id AND p.fy = n.fy GROUP BY p.fy"
)


CPU: dict[str, float] = {}


def _cpu() -> float:
    """CPU seconds of this process and all its threads (DuckDB's included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(label: str, fn, results: dict) -> object:
    t, c = time.perf_counter(), _cpu()
    out = fn()
    results[label] = time.perf_counter() - t
    CPU[label] = _cpu() - c
    print(f"{label}: {results[label]:.2f} s wall, {CPU[label]:.2f} s CPU", flush=True)
    return out


def model_columns(store: Store) -> list[str]:
    """The person_year columns the model's features and the default rules read."""
    from yearofcare.segmentation.config import load_need_rules
    from yearofcare.segmentation.currencies import load_currencies
    from yearofcare.segmentation.features import expand_terms

    rules = load_need_rules().model
    schema = dict(store.table("person_year").schema().items())
    schema["n_emergency"] = "int32"
    cols = {t.feature for t in expand_terms(rules.model, schema) if t.feature}
    cols |= {c for r in rules.parsed.values() for c in r.columns}
    _, parsed = load_currencies()
    cols |= {c for r in parsed.values() for c in r.columns}
    py = set(store.table("person_year").columns)
    return sorted(c for c in cols if c in py)


def scan_floor(store: Store, columns: list[str]) -> None:
    """Read every value of the columns once: sum(hash(col)) for each (no model, no joins).

    Not count(col): DuckDB answers that from column statistics without reading the data."""
    parts = ", ".join(f'sum(hash("{c}"))' for c in columns)
    store.engine.raw.execute(f"SELECT {parts} FROM person_year").fetchall()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/yoc-bench-need"))
    ap.add_argument(
        "--memory-limit", default="6GB", help="DuckDB memory_limit (the machine is shared)"
    )
    ap.add_argument("--reuse", action="store_true", help="reuse the store in --data-dir")
    ap.add_argument(
        "--from-store",
        type=Path,
        default=None,
        help="copy the store of this directory (e.g. /work/bench/shared) into --data-dir and reuse it",
    )
    args = ap.parse_args()
    results: dict[str, float] = {}
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    if args.from_store:
        from build import copy_store

        shutil.rmtree(args.data_dir, ignore_errors=True)
        copy_store(args.from_store, args.data_dir)
        args.reuse = True
    if not args.reuse:
        from build import synthetic_population  # the generator-in-chunks of benchmarks/build.py
        from yearofcare.population.person_year import build

        shutil.rmtree(args.data_dir, ignore_errors=True)
        store = Store(connect("duckdb", args.data_dir))
        store.engine.raw.execute(f"SET memory_limit = '{args.memory_limit}'")
        timed(
            "generate",
            lambda: synthetic_population(store, args.people, args.years, args.chunk),
            results,
        )
        timed("build person_year", lambda: build(store), results)
    else:
        store = Store(connect("duckdb", args.data_dir))
        store.engine.raw.execute(f"SET memory_limit = '{args.memory_limit}'")
    from yearofcare.cohorts.explore import rule_counts
    from yearofcare.segmentation.currency_stage import run_currency
    from yearofcare.segmentation.frame import need_frame
    from yearofcare.segmentation.risk import run_risk_fit, run_risk_score

    rows = store.count("person_year")
    cols = model_columns(store)
    timed("floor: scan of the columns read", lambda: scan_floor(store, cols), results)
    fit = timed("yoc risk fit", lambda: run_risk_fit(store), results)
    timed("yoc risk score (scores, levels, matrix, change)", lambda: run_risk_score(store), results)
    timed("yoc currency (4 currencies)", lambda: run_currency(store), results)
    frame = need_frame(store.table("person_year"), store.table("need_level"))
    expr = rule_counts(frame, RULE)
    store.to_pandas(expr)  # warm
    timed("one cohort rule over all person-years", lambda: store.to_pandas(expr), results)
    timed(
        "floor: the rule as hand-written SQL",
        lambda: store.engine.raw.execute(RULE_SQL).fetchall(),
        results,
    )
    total = sum(
        results[k]
        for k in (
            "yoc risk fit",
            "yoc risk score (scores, levels, matrix, change)",
            "yoc currency (4 currencies)",
        )
    )
    load = os.getloadavg()
    v = fit.validation
    c = (
        v[(v.measure == "c_statistic") & (v.target == "emergency_admission")]
        .set_index("method")
        .value
    )
    print()
    print(
        f"{rows:,} person-years ({args.people:,} people × {args.years} years); {len(cols)} person_year columns read; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print()
    print("| step | wall s | CPU s | floor: wall s (what) |")
    print("|---|---|---|---|")
    fl = results["floor: scan of the columns read"]
    steps = (
        "yoc risk fit",
        "yoc risk score (scores, levels, matrix, change)",
        "yoc currency (4 currencies)",
    )
    for k in steps:
        print(f"| {k} | {results[k]:.1f} | {CPU[k]:.1f} | |")
    cpu = sum(CPU[k] for k in steps)
    print(
        f"| **fit + score + levels + currencies** (target ≤ 90 s) | **{total:.1f}** | {cpu:.1f} "
        f"| {fl:.2f} (scan of the {len(cols)} columns) |"
    )
    rule = "one cohort rule over all person-years"
    print(
        f"| {rule} (target ≤ 1 s) | {results[rule]:.2f} | {CPU[rule]:.2f} "
        f"| {results['floor: the rule as hand-written SQL']:.2f} (hand-written SQL) |"
    )
    print()
    print(f"held-out C-statistic: model {c.get('model', float('nan')):.3f}, gradient boosting {c.get('gradient_boosting', float('nan')):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
