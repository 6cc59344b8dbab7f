"""Benchmark the outcomes stage (issue 15) at scale, each figure beside its floor.

    nice -n 10 .venv/bin/python benchmarks/outcomes.py --data-dir /work/bench/outcomes/1m \
        --attach /work/bench/shared/yoc.duckdb

1. Data: a store holding person_year, activity, registration and person (need_level for the
   breakdown by level, when present). With --attach, a shared store is attached read-only
   and its input tables are read through views in a fresh store in --data-dir (which takes
   this run's writes), so the shared file is never written nor copied.
2. Timed: `yoc scorecard` with the breakdowns by practice and level (and the whole economy):
   every measure of the packaged file, the funnels, the scorecard and the achievement,
   written in one stage (`run_scorecard`); target ≤ 30 s.
3. An enrolment list of `--treated` people (10,000) is written as service_enrolment: people
   with a non-elective admission in the 365 days before a seeded day in the last-but-one
   year (case-finding, as the synthetic services select), at every practice. Timed: `yoc
   evaluate` of that service against the rest of the population (controls: everyone not
   enrolled, a bounded sample of `max_pool`), matching + DiD + `--replicates` (200)
   bootstrap replicates; target ≤ 120 s.
4. Floors, on the same connection: the scans the measures cannot avoid (hand-written SQL: the
   admissions grouped by practice and year, person_year's costs by practice and year), and
   for the evaluation the one pass over activity for the people evaluated, with each
   person's windowed sums (hand-written SQL, no matching, no bootstrap).

Prints a Markdown table for docs/performance.md, with the machine's load average. Not a
test: nothing is asserted. It writes the outcome tables and service_enrolment into the store in
--data-dir: delete it after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import time
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from yearofcare.backends.duckdb import set_option
from yearofcare.engine import connect
from yearofcare.fy import fy_start
from yearofcare.store import Store

SERVICE = "bench_case_finding"
#: tables the measures and the evaluation read (viewed from an attached store when present)
INPUTS = (
    "person",
    "practice",
    "registration",
    "activity",
    "person_year",
    "need_level",
    "risk_score",
    "person_currency",
    "cohort_member",
    "survey_response",
    "assessment",
    "delayed_discharge",
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


def enrolment(store: Store, treated: int, seed: int) -> pd.DataFrame:
    """`treated` people with a non-elective admission in the 365 days before a seeded day of
    the last-but-one year of the data (NumPy over the admissions of that window)."""
    py = store.table("person_year")
    years = sorted(store.to_pandas(py.select("fy").distinct())["fy"].astype(int))
    if len(years) < 3:
        raise SystemExit("the store needs 3 years of person_year (12 months either side)")
    mid = years[-2]
    lo, hi = fy_start(mid), fy_start(mid + 1)
    a = store.table("activity")
    ne = a.filter(
        (a.setting == "acute_non_elective")
        & (a.start_date >= lo - dt.timedelta(days=365))
        & (a.start_date < hi)
    ).select("person_id", "start_date")
    adm = store.to_pandas(ne)
    people = np.sort(adm.person_id.unique())
    rng = np.random.default_rng(seed)
    span = (hi - lo).days
    day0 = np.datetime64(lo, "D")
    cand = day0 + rng.integers(0, span, len(people)).astype("timedelta64[D]")
    pos = np.searchsorted(people, adm.person_id.to_numpy())
    d = (cand[pos] - adm.start_date.to_numpy().astype("datetime64[D]")).astype(int)
    ok = np.zeros(len(people), bool)
    ok[pos[(d > 0) & (d <= 365)]] = True
    eligible = np.flatnonzero(ok)
    take = np.sort(rng.choice(eligible, size=min(treated, len(eligible)), replace=False))
    return pd.DataFrame(
        {
            "service_id": SERVICE,
            "person_id": people[take],
            "start_date": pd.to_datetime(cand[take]).date,
            "end_date": None,
            "practice_code": None,
        }
    )


def write_enrolment(store: Store, frame: pd.DataFrame) -> None:
    from yearofcare import schemas

    schema = schemas.get("service_enrolment").ibis_schema()
    with store.stage("service_enrolment", {"source": "benchmark"}) as run:
        run.write("service_enrolment", ibis.memtable(frame, schema=schema))


def attach(store: Store, path: Path) -> list[str]:
    """Views in `store` over the input tables of the store file `path`, attached read-only."""
    raw = store.engine.raw
    raw.execute(f"ATTACH '{path}' AS shared (READ_ONLY)")
    there = {r[0] for r in raw.execute("SHOW TABLES FROM shared").fetchall()}
    made = [t for t in INPUTS if t in there]
    for t in made:
        raw.execute(f'CREATE OR REPLACE VIEW "{t}" AS SELECT * FROM shared."{t}"')
    return made


def measures_floor(store: Store) -> None:
    """The scans every measure's breakdown needs at least: admissions (count, bed days) by
    practice × year, and person_year's cost by practice × year."""
    raw = store.engine.raw
    raw.execute(
        "SELECT p.practice_code, p.fy, count(*), sum(a.bed_days) FROM activity a JOIN "
        "person_year p ON a.person_id = p.person_id AND p.fy = CASE WHEN month(a.start_date) >= 4 "
        "THEN year(a.start_date) ELSE year(a.start_date) - 1 END "
        "WHERE a.setting = 'acute_non_elective' GROUP BY ALL"
    ).fetchall()
    raw.execute(
        "SELECT practice_code, fy, count(*), sum(cost_total) FROM person_year GROUP BY ALL"
    ).fetchall()


def evaluation_floor(store: Store, people: int, day: dt.date) -> int:
    """One pass over activity for `people` people (a sample) with windowed sums around `day`;
    returns how many people that was."""
    raw = store.engine.raw
    raw.execute(
        f"CREATE OR REPLACE TEMP TABLE bench_index AS SELECT person_id, DATE '{day}' AS day "
        f"FROM (SELECT DISTINCT person_id FROM person_year) USING SAMPLE {people} ROWS"
    )
    n = raw.execute("SELECT count(*) FROM bench_index").fetchone()[0]
    raw.execute(
        "SELECT i.person_id, "
        "count(*) FILTER (WHERE a.setting = 'acute_non_elective' AND a.start_date < i.day), "
        "count(*) FILTER (WHERE a.setting = 'acute_non_elective' AND a.start_date >= i.day), "
        "sum(a.cost) FILTER (WHERE a.start_date < i.day), "
        "sum(a.cost) FILTER (WHERE a.start_date >= i.day) "
        "FROM bench_index i JOIN activity a ON a.person_id = i.person_id "
        "WHERE a.start_date >= i.day - INTERVAL 365 DAY AND a.start_date < i.day + INTERVAL 365 DAY "
        "GROUP BY 1"
    ).fetchall()
    raw.execute("DROP TABLE bench_index")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--attach", type=Path, help="a store file to read (read-only)")
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit (shared machine)")
    ap.add_argument("--treated", type=int, default=10_000)
    ap.add_argument("--replicates", type=int, default=200)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    from yearofcare.outcomes.evaluate_run import run_evaluations
    from yearofcare.outcomes.evaluation import EvaluateOptions
    from yearofcare.outcomes.run import ScorecardOptions, run_scorecard

    store = Store(connect("duckdb", args.data_dir))
    set_option(store.engine.raw, "memory_limit", args.memory_limit)
    if args.attach:
        print("read from", args.attach, ":", ", ".join(attach(store, args.attach)))
    results: dict[str, float] = {}
    dims = ("all", "practice", "level")
    card = timed(
        "yoc scorecard (by practice and level)",
        lambda: run_scorecard(store, ScorecardOptions(dimensions=dims)),
        results,
    )
    timed("floor: the measures' scans (hand-written SQL)", lambda: measures_floor(store), results)
    enr = timed(
        "select and write the enrolment list",
        lambda: enrolment(store, args.treated, args.seed),
        results,
    )
    write_enrolment(store, enr)
    ev = timed(
        f"yoc evaluate ({len(enr):,} treated, {args.replicates} replicates)",
        lambda: run_evaluations(store, [SERVICE], replicates=args.replicates),
        results,
    )
    pool = EvaluateOptions(service=SERVICE).max_pool
    day = sorted(enr.start_date)[len(enr) // 2]
    floor_people = timed(
        "floor: one pass over activity for the people evaluated",
        lambda: evaluation_floor(store, len(enr) + pool, day),
        results,
    )
    load = os.getloadavg()
    py = store.count("person_year")
    acts = store.count("activity")
    levels = "level" if store.exists("need_level") else "level (no need_level: not broken down)"
    print()
    print(
        f"{py:,} person-years, {acts:,} activity rows; breakdowns: all, practice, {levels}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print()
    print("| step | wall s | CPU s | floor: wall s (what) |")
    print("|---|---|---|---|")
    k = "yoc scorecard (by practice and level)"
    fl = "floor: the measures' scans (hand-written SQL)"
    print(
        f"| {k}: {len(card.measures):,} measure rows (target ≤ 30 s) | {results[k]:.1f} "
        f"| {CPU[k]:.1f} | {results[fl]:.1f} (admissions and costs by practice × year, SQL) |"
    )
    k = next(k for k in results if k.startswith("yoc evaluate"))
    fl = "floor: one pass over activity for the people evaluated"
    print(
        f"| {k} (target ≤ 120 s) | {results[k]:.1f} | {CPU[k]:.1f} "
        f"| {results[fl]:.1f} (windowed sums for {floor_people:,} people, SQL) |"
    )
    print()
    for note in ev.notes:
        print(note)
    s = ev.summary[ev.summary.outcome == "non_elective"].set_index("method")
    for m in ("did", "naive"):
        print(f"{m}: {s.loc[m, 'relative']:+.1%} ({s.loc[m, 'relative_lower']:+.1%} to {s.loc[m, 'relative_upper']:+.1%})")  # fmt: skip


if __name__ == "__main__":
    main()
