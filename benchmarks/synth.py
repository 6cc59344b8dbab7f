"""Benchmark: generate a synthetic care economy and write it to a DuckDB store.

    .venv/bin/python benchmarks/synth.py                 # 1,000,000 people x 3 years
    .venv/bin/python benchmarks/synth.py --people 50000  # quick check

Reports people per second, wall-clock seconds per phase (generation phases from
`SynthPopulation.timings`, then pseudonymising and writing), CPU seconds (all threads; steadier
than wall time on a shared machine), rows written, and the process's peak resident memory
(resource.getrusage ru_maxrss). Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from yearofcare.engine import connect
from yearofcare.store import Store
from yearofcare.synth import SynthParams, generate, write

KEY = bytes(range(32))


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--end-fy", type=int, default=2025)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the store in this directory.")
    args = parser.parse_args()

    params = SynthParams(people=args.people, years=args.years, seed=args.seed, end_fy=args.end_fy)
    root = args.keep or Path(tempfile.mkdtemp(prefix="yoc-synth-bench-"))
    t0, c0 = time.perf_counter(), time.process_time()
    population = generate(params)
    t_gen, c_gen = time.perf_counter() - t0, time.process_time() - c0
    peak_gen = peak_gb()

    store = Store(connect("duckdb", root / "data"))
    t1, c1 = time.perf_counter(), time.process_time()
    counts = write(store, population, KEY)
    t_write, c_write = time.perf_counter() - t1, time.process_time() - c1
    total = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in (root / "data").rglob("*") if f.is_file())

    report = {
        "people": args.people,
        "years": args.years,
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
        "seconds_total": round(total, 1),
        "people_per_second": round(args.people / total),
        "seconds_generate": round(t_gen, 1),
        "seconds_generate_by_phase": population.timings,
        "seconds_pseudonymise_and_write": round(t_write, 1),
        "cpu_seconds_generate": round(c_gen, 1),
        "cpu_seconds_pseudonymise_and_write": round(c_write, 1),
        "peak_memory_gb_after_generate": round(peak_gen, 2),
        "peak_memory_gb": round(peak_gb(), 2),
        "store_megabytes": round(size / 1e6),
        "rows": counts,
    }
    print(json.dumps(report, indent=2))
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
