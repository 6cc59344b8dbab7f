"""Benchmark `yoc build` (person_year) against a bare DuckDB scan-and-group-by of the same activity.

    .venv/bin/python benchmarks/build.py --people 1000000 --years 3
    .venv/bin/python benchmarks/build.py --from-store /work/bench/shared --data-dir DIR

1. Data: the synthetic generator (`yearofcare.synth.generate`), run in chunks of `--chunk`
   people with consecutive seeds and unique ids, loaded into one DuckDB store (person,
   practice, registration, activity, coded_event). Without the generator a plain NumPy
   population is made instead (`simple_population`).
2. Floor: `CREATE TEMP TABLE AS SELECT person_id, fy, setting, count(*), sum(cost) FROM activity
   GROUP BY ALL` on the same connection (scan and aggregate, result kept in memory).
3. `build()` with the default configuration (and with `keep_activity_costed=True` when
   `--with-activity-costed` is given).
4. The engine's limit for this work (`benchmarks/build_limit.py`): the same person_year written
   by hand-written DuckDB SQL on the same connection, checked equal to build()'s (every column;
   floats to 1e-6), then the floor a third time (`--no-limit` skips it).
5. Condition flagging vs pycomorb (`--no-pycomorb` skips it): on the same ICD-10 rows of coded_event, the time to flag the
   40 catalogue conditions (person_condition) and the Charlson indices with Ibis/DuckDB, against
   `pycomorb.CharlsonComorbidityIndex` (Quan mapping, polars) on those rows in memory.

Prints a Markdown table for docs/performance.md. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yearofcare import schemas
from yearofcare.engine import connect
from yearofcare.population.codelists import load_codelist, match_events
from yearofcare.population.conditions import person_condition
from yearofcare.population.config import PopulationConfig
from yearofcare.population.multimorbidity import charlson_flags, charlson_scores, load_charlson
from yearofcare.population.person_year import build
from yearofcare.store import Store

TABLES = ("person", "practice", "registration", "activity", "coded_event")


def _insert(store: Store, name: str, table: pa.Table, first: bool) -> None:
    cols = [c for c in schemas.get(name).names if c in table.schema.names]
    raw = store.engine.raw
    raw.register("bench_chunk", table.select(cols))
    if first:
        raw.execute(f'CREATE TABLE "{name}" AS SELECT * FROM bench_chunk')
    elif name == "practice":
        raw.execute(
            'INSERT INTO "practice" SELECT * FROM bench_chunk '
            'WHERE practice_code NOT IN (SELECT practice_code FROM "practice")'
        )
    else:
        raw.execute(f'INSERT INTO "{name}" SELECT * FROM bench_chunk')
    raw.unregister("bench_chunk")


def _prefix(column: pa.ChunkedArray, prefix: str) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(prefix, pc.cast(column, pa.string()), "")


def synthetic_population(store: Store, people: int, years: int, chunk: int) -> str:
    """Load `people` synthetic people into `store`; returns a description of the data."""
    from yearofcare.synth.generate import generate
    from yearofcare.synth.params import SynthParams

    done, part = 0, 0
    while done < people:
        n = min(chunk, people - done)
        pop = generate(SynthParams(people=n, years=years, seed=20261123 + part))
        for name in TABLES:
            t = getattr(pop, name)
            if "person_idx" in t.schema.names:
                t = t.append_column("person_id", _prefix(t.column("person_idx"), f"S{part}-"))
                t = t.drop(["person_idx"])
            if "activity_id" in t.schema.names and name == "activity":
                t = t.set_column(
                    t.schema.get_field_index("activity_id"),
                    "activity_id",
                    _prefix(t.column("activity_id"), f"S{part}-"),
                )
            _insert(store, name, t, first=part == 0)
        done += n
        part += 1
    return f"synthetic generator (yearofcare.synth), {part} chunk(s) of up to {chunk:,} people"


def simple_population(store: Store, people: int, years: int, seed: int = 1) -> str:
    """A plain NumPy population when the synthetic generator is not available."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.arange(people).astype(str))
    end_fy = 2025
    person = pa.table(
        {
            "person_id": ids,
            "sex": rng.choice(["F", "M"], people),
            "birth_year": rng.integers(1925, 2024, people).astype("int16"),
            "birth_month": rng.integers(1, 13, people).astype("int8"),
        }
    )
    reg = pa.table(
        {"person_id": ids, "practice_code": rng.choice(["A1", "B2", "C3"], people)}
    ).append_column("start_date", pa.array(np.full(people, np.datetime64("2000-01-01"))))
    n_act = people * years * 20
    first_day = np.datetime64(f"{end_fy - years + 1}-04-01")
    days = rng.integers(0, 365 * years, n_act)
    settings = np.array(
        ["gp", "outpatient", "community", "prescribing", "ae", "acute_non_elective"]
    )
    act = pa.table(
        {
            "activity_id": np.char.add("A", np.arange(n_act).astype(str)),
            "person_id": ids[rng.integers(0, people, n_act)],
            "source": np.full(n_act, "simple"),
            "setting": settings[rng.integers(0, len(settings), n_act)],
            "start_date": first_day + days.astype("timedelta64[D]"),
            "cost": rng.gamma(2.0, 60.0, n_act),
        }
    )
    n_ev = people * 4
    codes = np.array(["I10", "E119", "J45", "I50", "C50", "F32", "N184", "K703", "C780", "E112"])
    ev = pa.table(
        {
            "person_id": ids[rng.integers(0, people, n_ev)],
            "event_date": first_day
            + rng.integers(-3650, 365 * years, n_ev).astype("timedelta64[D]"),
            "code_system": np.full(n_ev, "ICD10"),
            "code": codes[rng.integers(0, len(codes), n_ev)],
            "source": np.full(n_ev, "simple"),
        }
    )
    for name, t in (
        ("person", person),
        ("registration", reg),
        ("activity", act),
        ("coded_event", ev),
    ):
        declared = schemas.get(name)
        for col in declared.columns:
            if col.name not in t.schema.names:
                t = t.append_column(
                    col.name, pa.nulls(t.num_rows, declared.ibis_schema()[col.name].to_pyarrow())
                )
        _insert(store, name, t, first=True)
    return "simple NumPy population (benchmarks/build.py)"


def copy_store(shared: Path, data_dir: Path) -> None:
    """Copy the DuckDB file of a store made earlier (benchmarks/shared_store.py) into `data_dir`,
    so a benchmark that writes never opens the shared file for writing (others read it)."""
    source = shared / "yoc.duckdb"
    if not source.exists():
        raise SystemExit(f"{source} does not exist: build it with benchmarks/shared_store.py")
    if (shared / "READY").exists() is False:
        print(f"warning: {shared}/READY is missing: the store may be incomplete", flush=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    shutil.copyfile(source, data_dir / "yoc.duckdb")
    print(f"copied {source} to {data_dir} in {time.perf_counter() - t:.1f} s", flush=True)


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
    print(f"{label}: {results[label]:.1f} s wall, {CPU[label]:.1f} s CPU", flush=True)
    return out


class Steps:
    """A Progress recording the wall time between the build's `advance` calls (its pieces)."""

    NAMES = (
        "read inputs, checks",
        "activity aggregate (cached)",
        "registrations clipped, person-year base (cached)",
        "person_condition (written), flag and Charlson expressions",
        "person_year (joins, derived columns, written)",
        "data-quality findings, meta",
    )

    def __init__(self) -> None:
        self.seconds: list[float] = []

    @contextmanager
    def task(self, description: str, total: float | None = None):
        last = [time.perf_counter()]
        seconds = self.seconds

        class _T:
            def advance(self, amount: float = 1) -> None:
                now = time.perf_counter()
                seconds.append(now - last[0])
                last[0] = now

        yield _T()

    def table(self) -> list[tuple[str, float]]:
        return list(zip(self.NAMES, self.seconds, strict=False))


def floor(store: Store) -> None:
    store.engine.raw.execute(
        "CREATE OR REPLACE TEMP TABLE bench_floor AS "
        "SELECT person_id, fy, setting, count(*) AS n, sum(cost) AS cost FROM ("
        "SELECT *, CASE WHEN month(start_date) >= 4 THEN year(start_date) "
        "ELSE year(start_date) - 1 END AS fy FROM activity) GROUP BY ALL"
    )


def flagging_vs_pycomorb(store: Store, years: list[int], results: dict) -> dict:
    import polars as pl
    import pycomorb

    ce = store.table("coded_event")
    icd = ce.filter(ce.code_system == "ICD10")
    rows = int(icd.count().execute())
    codelist, spec = load_codelist(PopulationConfig().codelist), load_charlson()
    person = store.table("person")
    last = [max(years)]
    ltc = person_condition(match_events(icd, codelist), person, last, codelist)
    charl = charlson_scores(charlson_flags(icd, spec, last), spec)
    timed(
        "flagging: 40 LTCs (Ibis/DuckDB)",
        lambda: store.con.create_table("bench_ltc", ltc, temp=True, overwrite=True),
        results,
    )
    timed(
        "flagging: Charlson x3 (Ibis/DuckDB)",
        lambda: store.con.create_table("bench_charlson", charl, temp=True, overwrite=True),
        results,
    )
    frame = pl.from_arrow(
        store.engine.raw.execute(
            "SELECT person_id AS id, replace(code, '.', '') AS code, 60 AS age "
            "FROM coded_event WHERE code_system = 'ICD10'"
        ).to_arrow_table()
    )
    for weights in ("charlson", "quan", "uk_shmi"):
        timed(
            f"pycomorb Charlson ({weights})",
            lambda w=weights: pycomorb.CharlsonComorbidityIndex(
                frame, implementation="quan", weights=w
            ),
            results,
        )
    return {"icd10_rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/yoc-bench-build"))
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--reuse", action="store_true", help="reuse the data already in --data-dir")
    ap.add_argument(
        "--from-store",
        type=Path,
        default=None,
        help="copy the store of this directory (e.g. /work/bench/shared) into --data-dir and reuse it",
    )
    ap.add_argument(
        "--memory-limit", default="6GB", help="DuckDB memory_limit (the machine is shared)"
    )
    ap.add_argument("--simple", action="store_true", help="use the simple NumPy population")
    ap.add_argument(
        "--no-limit",
        action="store_true",
        help="skip the hand-written SQL (benchmarks/build_limit.py)",
    )
    ap.add_argument("--no-pycomorb", action="store_true", help="skip the flagging comparison")
    ap.add_argument(
        "--with-activity-costed",
        action="store_true",
        help="also time a build that keeps activity_costed (a copy of activity: slow at scale)",
    )
    args = ap.parse_args()
    if args.from_store:
        shutil.rmtree(args.data_dir, ignore_errors=True)
        copy_store(args.from_store, args.data_dir)
        args.reuse = True
    if not args.reuse:
        shutil.rmtree(args.data_dir, ignore_errors=True)
    store = Store(connect("duckdb", args.data_dir, threads=args.threads))
    store.engine.raw.execute(f"SET memory_limit = '{args.memory_limit}'")
    results: dict[str, float] = {}
    if not args.reuse:
        try:
            if args.simple:
                raise ImportError("simple population asked for")
            source = timed(
                "generate and load",
                lambda: synthetic_population(store, args.people, args.years, args.chunk),
                results,
            )
        except ImportError:
            source = timed(
                "generate and load",
                lambda: simple_population(store, args.people, args.years),
                results,
            )
        store.engine.raw.execute("CHECKPOINT")
    else:
        source = "reused"
    counts = {t: store.count(t) for t in ("person", "activity", "coded_event", "registration")}
    print(counts, flush=True)
    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    timed("floor: DuckDB scan and group-by", lambda: floor(store), results)
    steps = Steps()
    res = timed("build: person_year (default)", lambda: build(store, progress=steps), results)
    timed("floor: DuckDB scan and group-by (again)", lambda: floor(store), results)
    limit_steps, same = {}, {}
    if not args.no_limit:
        sys.path.insert(0, str(Path(__file__).parent))
        import build_limit

        limit_steps = timed(
            "limit: person_year by hand-written DuckDB SQL",
            lambda: build_limit.run(store.engine.raw),
            results,
        )
        timed("floor: DuckDB scan and group-by (third)", lambda: floor(store), results)
        same = build_limit.compare(store.engine.raw)
        store.engine.raw.execute(f"DROP TABLE {build_limit.OUT}")
    if args.with_activity_costed:
        timed(
            "build: with activity_costed",
            lambda: build(store, PopulationConfig(keep_activity_costed=True), res.years),
            results,
        )
    extra = (
        {"icd10_rows": 0} if args.no_pycomorb else flagging_vs_pycomorb(store, res.years, results)
    )
    fl = min(v for k, v in results.items() if k.startswith("floor"))
    print()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"data: {source}; {platform.machine()}, {args.threads or 'all'} threads")
    print(f"load average at the end (1, 5, 15 min): {load}; at the start: {load_start}")
    print(
        f"rows: {counts} ; person_year rows {res.rows['person_year']:,}; ICD-10 rows {extra['icd10_rows']:,}"
    )
    print("| step | seconds (wall) | CPU seconds | × floor (wall, fastest floor) |")
    print("|---|---:|---:|---:|")
    for label, secs in results.items():
        print(f"| {label} | {secs:.1f} | {CPU[label]:.1f} | {secs / fl:.1f} |")
    print("build pieces (wall): " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.table()))
    if limit_steps:
        lim = results["limit: person_year by hand-written DuckDB SQL"]
        b = results["build: person_year (default)"]
        print(
            f"\nbuild / limit = {b / lim:.2f} (wall), {CPU['build: person_year (default)'] / CPU['limit: person_year by hand-written DuckDB SQL']:.2f} (CPU)"
        )
        print("limit steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in limit_steps.items()))
        print(f"limit vs build's person_year: {same}")
    if args.no_pycomorb:
        return
    pyco = min(v for k, v in results.items() if k.startswith("pycomorb"))
    ours = (
        results["flagging: 40 LTCs (Ibis/DuckDB)"] + results["flagging: Charlson x3 (Ibis/DuckDB)"]
    )
    print(f"\nLTC + Charlson flagging / fastest pycomorb Charlson = {ours / pyco:.2f}")


if __name__ == "__main__":
    main()
