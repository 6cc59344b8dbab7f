"""The planning step of `make demo`: the Table 3 scenario (integrated care for the four risk
bands) simulated on the demo store, before the money, so the budget reads its service-model
adjustment."""

from __future__ import annotations

from importlib import resources

from yearofcare.progress import SILENT, Progress
from yearofcare.reports.formats import signed_money
from yearofcare.store import Store

SCENARIO = "scenario_integrated_care.yaml"


def example_scenario(name: str = SCENARIO):
    """The packaged example scenario file (a context manager giving its path)."""
    return resources.as_file(resources.files("yearofcare.planning") / "examples" / name)


def demo_planning(store: Store, seed: int, progress: Progress = SILENT) -> list[tuple[str, str]]:
    """Simulate the example scenario; returns (step, summary) lines."""
    if not (store.exists("risk_score") or store.exists("need_level")):
        return [("simulate", "skipped: needs risk scores (yoc risk score)")]
    from yearofcare.errors import StageError
    from yearofcare.planning.simulate import SimulateOptions, run_simulate

    try:
        with example_scenario() as path:
            result = run_simulate(
                store, SimulateOptions(scenarios=(path,), seed=seed), progress=progress
            )
    except StageError as exc:  # e.g. a store whose risk scores cover no year
        return [("simulate", f"not run: {exc.message}")]
    s = result.summary.sort_values("cohort_order")
    bands = s[s.cohort_id != "all"]
    table3 = "; ".join(
        f"{r.cohort_id.replace('cohort_', 'C')} {int(r.people):,}: "
        f"{signed_money(r.baseline_mean_cost)} → {signed_money(r.scenario_mean_cost)}"
        for r in bands.itertuples()
    )
    total = s[s.cohort_id == "all"].iloc[0]
    return [
        (
            "simulate",
            f"{total.scenario_name}: mean annual cost per patient, baseline → scenario: "
            f"{table3}; saving over {int(total.years)} years {signed_money(total.saving)} "
            f"(95 % interval {signed_money(total.saving_lower)} to {signed_money(total.saving_upper)}, "
            f"P(saving) {total.probability_saving:.0%}); regression to the mean in cohort 1: "
            f"year-1 cost {bands.iloc[0].regression_ratio:.0%} of the base year's",
        )
    ]
