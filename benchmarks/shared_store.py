"""Build one large benchmark store that every stage's benchmark reuses (never timed as a target).

    nice -n 5 .venv/bin/python benchmarks/shared_store.py --people 1000000 --years 3 \\
        --data-dir /work/bench/shared

Steps, in one process, each logged with its wall time and the load average:

1. the synthetic generator in chunks of `--chunk` people (`benchmarks/build.py`'s
   `synthetic_population`: person, practice, registration, activity, coded_event);
2. `yoc build` (person_year and friends);
3. with `--analyse`, `yoc analyse --by practice` (what the web benchmark reads);
4. the need stage: `yoc risk fit`, `yoc risk score` (levels, matrix, rising risk, change),
   `yoc currency` (every configured currency);
5. the demo cohort (`complex_care`) through both stages of selection from the first year, with
   the demo's simulated review file, and the annual update of each later year, so
   `cohort_member` exists;
6. the money stage's tables a reader may want (`yoc tariff`, `yoc budget`), unless
   `--no-money`;
7. a `CHECKPOINT`, then `READY` in `--data-dir` (tables and row counts, the commands, the git
   commit).

Other benchmarks take the store with `--from-store DIR` (they copy `yoc.duckdb` into their own
data directory first, so the shared file is only ever read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks")]

from build import synthetic_population  # noqa: E402
from yearofcare.engine import connect  # noqa: E402
from yearofcare.store import Store  # noqa: E402

LOG: list[str] = []


def step(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    line = f"{label}: {time.perf_counter() - t0:.1f} s (load average after: {load})"
    LOG.append(line)
    print(line, flush=True)
    return out


def cohort(store: Store, seed: int) -> str:
    """The demo cohort through selection, a simulated review and the annual updates."""
    from yearofcare.cohorts.demo import DEMO_COHORT, simulate_review
    from yearofcare.cohorts.selection import CohortOptions, run_review, run_select, run_update

    py = store.table("person_year")
    years = sorted(int(v) for v in store.to_pandas(py.select("fy").distinct())["fy"])
    review_dir = store.engine.data_dir / "review"
    sel = run_select(store, CohortOptions(cohort=DEMO_COHORT, fy=years[0], out_dir=review_dir))
    decisions = simulate_review(
        sel.files,
        review_dir / DEMO_COHORT / str(years[0]) / "decisions.csv",
        np.random.default_rng(seed),
        years[0],
    )
    rev = run_review(store, CohortOptions(cohort=DEMO_COHORT, fy=years[0], decisions=decisions))
    for fy in years[1:]:
        run_update(store, CohortOptions(cohort=DEMO_COHORT, fy=fy))
    return (
        f"cohort {DEMO_COHORT} from {years[0]}: {sel.proposed:,} proposed, "
        f"{rev.accepted:,} accepted, {rev.declined:,} declined (simulated review, seed {seed}); "
        f"annual updates {', '.join(str(y) for y in years[1:])}"
    )


def money(store: Store) -> None:
    from yearofcare.finance.budget_stage import run_budget
    from yearofcare.finance.map_loader import load_service_map
    from yearofcare.finance.service_map import example_path
    from yearofcare.finance.settings import example_settings_path, load_settings
    from yearofcare.finance.tariff_stage import run_tariffs

    py = store.table("person_year")
    last = int(store.to_pandas(py.aggregate(last=py.fy.max())).iloc[0, 0])
    settings, _ = load_settings(example_settings_path())
    settings = settings.model_copy(
        update={"budget": settings.budget.model_copy(update={"base_fy": last - 1})}
    )
    smap = load_service_map(example_path())
    run_tariffs(store, settings, smap)
    run_budget(store, settings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=100_000)
    ap.add_argument("--data-dir", type=Path, default=Path("/work/bench/shared"))
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--no-money", action="store_true")
    ap.add_argument(
        "--analyse",
        action="store_true",
        help="also run `yoc analyse --by practice` (memory-hungry)",
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="keep the generated tables and person_year already in --data-dir; run the rest",
    )
    ap.add_argument(
        "--memory-limit",
        default="5GB",
        help="DuckDB memory_limit (the default, 80%% of RAM, is too much on a shared machine)",
    )
    args = ap.parse_args()
    from yearofcare.cohorts.stability import run_stability  # noqa: F401  (import check)
    from yearofcare.population.analysis import AnalysisOptions, run_analyses
    from yearofcare.population.person_year import build
    from yearofcare.segmentation.currency_stage import run_currency
    from yearofcare.segmentation.risk import run_risk_fit, run_risk_score

    ready = args.data_dir / "READY"
    ready.unlink(missing_ok=True)
    store = Store(connect("duckdb", args.data_dir))
    store.engine.raw.execute(f"SET memory_limit = '{args.memory_limit}'")
    t0 = time.perf_counter()
    if args.resume and store.exists("person_year"):
        source = (
            f"synthetic generator (yearofcare.synth), chunks of up to {args.chunk:,} people "
            "(generated and built by an earlier run of this script, resumed)"
        )
        LOG.append("generate and load, yoc build: done by an earlier run (resumed)")
    else:
        source = step(
            "generate and load",
            lambda: synthetic_population(store, args.people, args.years, args.chunk),
        )
        store.engine.raw.execute("CHECKPOINT")
        step("yoc build", lambda: build(store))
    if args.analyse:
        step(
            "yoc analyse --by practice",
            lambda: run_analyses(store, AnalysisOptions(by="practice")),
        )
    step("yoc risk fit", lambda: run_risk_fit(store))
    step("yoc risk score", lambda: run_risk_score(store))
    step("yoc currency", lambda: run_currency(store))
    cohort_text = step("yoc cohort select / review / update", lambda: cohort(store, args.seed))
    if not args.no_money:
        step("yoc tariff + yoc budget", lambda: money(store))
    store.engine.raw.execute("CHECKPOINT")
    tables = sorted(store.tables())
    counts = {t: store.count(t) for t in tables}
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    store.close()
    path = args.data_dir / "yoc.duckdb"
    lines = [
        f"Shared benchmark store, ready {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"(built in {time.perf_counter() - t0:.0f} s).",
        f"DuckDB file: {path} ({path.stat().st_size / 1e9:.2f} GB). Open it READ-ONLY",
        "(duckdb.connect(path, read_only=True)), or copy it to your own directory and give that",
        "directory as --data-dir (benchmarks/build.py, need.py, finance.py: --from-store "
        f"{args.data_dir} does the copy).",
        "",
        f"people: {counts.get('person', 0):,}; person-years: {counts.get('person_year', 0):,}; "
        f"activity rows: {counts.get('activity', 0):,}; coded events: "
        f"{counts.get('coded_event', 0):,}",
        f"data: {source}; {args.years} financial years; no assessments (the chunked generator "
        "loads person, practice, registration, activity, coded_event only), so `yoc assess` "
        "has not run",
        cohort_text,
        "",
        f"git commit: {commit} (branch bench)",
        "command: nice -n 5 .venv/bin/python benchmarks/shared_store.py "
        f"--people {args.people} --years {args.years} --chunk {args.chunk} "
        f"--data-dir {args.data_dir}"
        + (" --no-money" if args.no_money else "")
        + (" --analyse" if args.analyse else "")
        + (" --resume" if args.resume else ""),
        "which ran (in one process, Python functions behind the commands):",
        *[f"  {x}" for x in LOG],
        "",
        "tables (rows):",
        *[f"  {t}: {n:,}" for t, n in counts.items()],
    ]
    ready.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
