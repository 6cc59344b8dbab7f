"""Time `yoc settle --simulate`: 100,000 outturn draws, ten mechanisms (target ≤ 5 s).

    .venv/bin/python benchmarks/contracts.py [--draws N] [--people N]

Runs the command end to end (parse options, load and check the terms, draw the outturns,
settle every draw, summarise, write the exposure table to a DuckDB store), twice — from a
stated distribution and from a Poisson bootstrap of a cohort's person costs — and prints the
parts: drawing, settling (the ten mechanisms on int64 arrays), summarising. The floor is one
bare NumPy pass of ten percentage-and-round operations over the same draws, measured in the
same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from yearofcare.cli import main as yoc  # noqa: E402
from yearofcare.contracts import simulate as sim  # noqa: E402
from yearofcare.contracts.money import PENCE  # noqa: E402
from yearofcare.contracts.terms import load_terms  # noqa: E402
from yearofcare.engine import connect  # noqa: E402
from yearofcare.store import Store  # noqa: E402

TEN = {
    "contract": "bench-ten",
    "name": "Ten mechanisms",
    "parties": {
        "icb": {"name": "ICB", "role": "commissioner"},
        "council": {"name": "Council", "role": "local_authority"},
        "icp": {"name": "ICP", "role": "provider"},
    },
    "pool": {
        "id": "s75",
        "name": "Pool",
        "total": "100m",
        "contributions": {"icb": "75m", "council": "25m"},
    },
    "holder": "icp",
    "periods": [{"id": "2025/26"}, {"id": "2026/27"}],
    "apply": [
        "stop",
        "saving",
        "contingency",
        "corridor",
        "tiers",
        "marginal",
        "aqc",
        "withhold",
        "carry",
        "apportion",
    ],
    "mechanisms": {
        "stop": {
            "type": "stop_loss",
            "threshold": "50k",
            "party": "s75",
            "funded_in_baseline": "2m",
        },
        "saving": {"type": "saving", "amount": "1%", "retained_by": "icb"},
        "contingency": {
            "type": "contingency",
            "amount": "0.5%",
            "held_by": "s75",
            "unused": "return",
        },
        "corridor": {"type": "risk_corridor", "width": "0.5%"},
        "tiers": {
            "type": "tiered_shares",
            "bands": [
                {"from": 0, "to": 2, "shares": {"icp": 100}},
                {"from": 2, "to": 5, "shares": {"icp": 50, "s75": 50}},
            ],
        },
        "marginal": {"type": "cap_and_collar", "marginal_rate": 30, "payer": "s75", "cap": "3%"},
        "aqc": {
            "type": "quality_share",
            "payer": "s75",
            "levels": {
                1: {"premium": 2, "overspend": 80, "surplus": 20},
                5: {"premium": 10, "overspend": 20, "surplus": 80},
            },
        },
        "withhold": {
            "type": "outcome_withhold",
            "amount": "2%",
            "payer": "s75",
            "measures": [{"id": "a", "weight": 100, "rule": "proportional"}],
        },
        "carry": {"type": "carry_forward", "max_underspend": "1%", "max_overspend": "1%"},
        "apportion": {"type": "apportion"},
    },
}


def best_of(n: int, fn):
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    work = Path(tempfile.mkdtemp())
    terms = work / "ten.yaml"
    terms.write_text(yaml.safe_dump(TEN, sort_keys=False), encoding="utf-8")
    loaded = load_terms(terms)
    print(f"{len(loaded.terms.apply)} mechanisms: {', '.join(loaded.terms.apply)}")

    # the floor: ten percentage-and-round passes over the draws, nothing else
    rng = np.random.default_rng(1)
    draws = sim.stated(100e6, 4e6, args.draws, rng)
    floor, _ = best_of(3, lambda: [PENCE.pct(draws.outturn, 30) for _ in range(10)])
    print(f"floor: 10 bare pct+round passes over {args.draws:,} int64 draws {floor:.3f}s")

    # the parts, in process
    costs = rng.lognormal(np.log(3_000), 1.3, args.people)
    t_draw, boot = best_of(
        3,
        lambda: sim.bootstrap(
            costs, args.draws, rng, thresholds=[50_000], centre=100e6, spread=0.03
        ),
    )
    t_settle, scen = best_of(3, lambda: sim.scenarios_for(loaded, boot, achievement={"a": 100}))
    t_sum, _ = best_of(3, lambda: [sim.exposure(p) for s in scen for p in s.positions.values()])
    print(f"draw (Poisson bootstrap, {args.people:,} people)   {t_draw:.3f}s")
    print(f"settle {len(scen)} scenarios (quality levels 1 and 5) {t_settle:.3f}s")
    print(f"summarise {sum(len(s.positions) for s in scen)} party distributions      {t_sum:.3f}s")

    # end to end through the command line
    data = work / "store"
    Store(connect("duckdb", data))
    facts = work / "inputs.yaml"  # the high-cost people, typed in, for the stop-loss
    high = [round(float(c), 2) for c in costs[costs > 50_000]]
    facts.write_text(yaml.safe_dump({"periods": {"2025/26": {"person_costs": high}}}))
    common = [
        "--data-dir",
        str(data),
        "settle",
        str(terms),
        "--simulate",
        "--draws",
        str(args.draws),
        "--achievement",
        "a=100",
        "--inputs",
        str(facts),
    ]
    t_cli, code = best_of(2, lambda: yoc([*common, "--mean", "100m", "--spread", "4%"]))
    assert code == 0
    print(f"yoc settle --simulate (stated distribution), in process   {t_cli:.2f}s")
    command = [
        str(Path(sys.executable).parent / "yoc"),
        *common,
        "--mean",
        "100m",
        "--spread",
        "4%",
    ]
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    print(
        f"yoc settle --simulate, a fresh process (imports included) {time.perf_counter() - t0:.2f}s"
    )
    opener = f"from yearofcare.store import open_store; open_store('duckdb', {str(data)!r})"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", opener], check=True)
    print(
        f"floor of a fresh process: import the store and open it    {time.perf_counter() - t0:.2f}s"
    )
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
