"""Time `yoc ingest` on the raw extracts of a synthetic population (default 1,000,000 people × 1 year).

    .venv/bin/python benchmarks/ingest.py [--people N] [--years Y] [--threads T] [--raw DIR]

Writes the raw extracts first (in a child process, so its memory is not counted; reused when
DIR already holds them), then loads them all into a fresh DuckDB store by their plan, and
prints per format: rows read, seconds, rows/s; overall rows/s end to end (preflight, hash,
read, pseudonymise, type, check, build, write, bookkeeping) and the peak resident memory of
the ingesting process. Measured in the same process afterwards: the floor, a bare DuckDB
`count(*)` over every CSV (read and parse only), and the engine's limit for this work, one
hand-written DuckDB statement per file that reads, types, pseudonymises and stores its rows
(`benchmarks/ingest_limit.py`). The load average of the machine is printed with the figures.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _generate(people: int, years: int, raw: str) -> None:
    import numpy as np

    from yearofcare.synth.generate import generate
    from yearofcare.synth.params import SynthParams
    from yearofcare.synth.raw import write_raw

    t0 = time.perf_counter()
    pop = generate(SynthParams(people=people, years=years, seed=20261123))
    t1 = time.perf_counter()
    write_raw(pop, Path(raw), np.random.default_rng(1))
    print(f"synthesised in {t1 - t0:.1f}s, wrote raw extracts in {time.perf_counter() - t1:.1f}s")


class _Timer:
    """A Progress that records how long each task took (the stage's steps)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def task(self, description: str, total: float | None = None):
        t0 = time.perf_counter()

        class _T:
            def advance(self, amount: float = 1) -> None:
                return None

        yield _T()
        self.seconds[description] = self.seconds.get(description, 0.0) + time.perf_counter() - t0


def _floor(raw: Path, threads: int) -> tuple[int, float]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    t0 = time.perf_counter()
    rows = 0
    for f in sorted(raw.rglob("*.csv")):
        rows += con.execute(
            f"SELECT count(*) FROM read_csv('{f}', all_varchar = true, header = true)"
        ).fetchone()[0]
    return rows, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--raw", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=None, help="where the stores go")
    parser.add_argument("--no-limit", action="store_true", help="skip the engine-limit run")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    raw = args.raw or Path(tempfile.mkdtemp()) / "raw"
    if not (raw / "defects.json").exists():
        child = mp.get_context("spawn").Process(
            target=_generate, args=(args.people, args.years, str(raw))
        )
        child.start()
        child.join()
        if child.exitcode:
            sys.exit(child.exitcode)
    size = sum(f.stat().st_size for f in raw.rglob("*.csv"))
    print(f"raw extracts: {raw} ({size / 1e9:.2f} GB)")

    import os

    from yearofcare.engine import connect
    from yearofcare.ingest.plan import ingest_plan, read_plan
    from yearofcare.linkage.pseudonym import create_key
    from yearofcare.store import Store

    print(f"load average before: {os.getloadavg()}")
    work = Path(tempfile.mkdtemp(dir=args.work))
    key = create_key(work / "yoc-linkage.key")
    store = Store(connect("duckdb", work / "data", threads=args.threads))
    timer = _Timer()
    t0 = time.perf_counter()
    results = ingest_plan(store, raw, key, progress=timer)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    source_of = {f.name: s["source"] for s in read_plan(raw) for f in s["files"]}
    rows: dict[str, int] = {}
    for result in results:
        for f in result.files:
            source = source_of[f.file]
            rows[source] = rows.get(source, 0) + f.counts.get("rows_read", 0)
    total = sum(rows.values())
    print(f"{'step':<34}{'rows read':>14}{'seconds':>10}{'rows/s':>12}")
    for label, secs in timer.seconds.items():
        n = rows.get(label.removeprefix("loading "), 0) if label.startswith("loading") else 0
        rate = f"{n / secs:>12,.0f}" if n and secs else f"{'':>12}"
        print(f"{label:<34}{f'{n:,}' if n else '':>14}{secs:>10.1f}{rate}")
    print(f"{'all (end to end)':<34}{total:>14,}{seconds:>10.1f}{total / seconds:>12,.0f}")
    print(f"peak resident memory of the ingesting process: {peak:.2f} GB")
    print(f"load average after the ingest: {os.getloadavg()}")
    for name in ("activity", "coded_event", "person", "registration", "ingest_reject"):
        if store.exists(name):
            print(f"  {name}: {store.count(name):,} rows")
    store.close()
    floor_rows, floor_s = _floor(raw, args.threads)
    print(
        f"floor (DuckDB count(*) over every CSV): {floor_rows:,} rows in {floor_s:.1f}s "
        f"= {floor_rows / floor_s:,.0f} rows/s"
    )
    if not args.no_limit:
        from ingest_limit import run as limit
        from yearofcare.linkage.pseudonym import load_key

        files = [(s["source"], f) for s in read_plan(raw) for f in s["files"]]
        limit_rows, limit_s = limit(files, work / "limit.duckdb", load_key(key), args.threads)
        print(
            f"engine limit (one hand-written DuckDB statement per file: read, type, "
            f"pseudonymise, store): {limit_rows:,} rows in {limit_s:.1f}s = "
            f"{limit_rows / limit_s:,.0f} rows/s; ingest takes {seconds / limit_s:.1f}x that"
        )
    print(f"load average at the end: {os.getloadavg()}")
    import shutil

    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
