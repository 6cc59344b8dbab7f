"""The planning step of `make demo`, before the money so the budget reads a service-model
adjustment: the Table 3 scenario (integrated care for the four risk bands) and the
complex_care scenario (case management for the cohort whose capitated budget the demo sets),
simulated together."""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources

from yearofcare.progress import SILENT, Progress
from yearofcare.reports.formats import signed_money
from yearofcare.store import Store

SCENARIO = "scenario_integrated_care.yaml"
#: the scenario whose cohort is the demo budget's cohort (by id), so the budget applies it
BUDGET_SCENARIO = "scenario_complex_care.yaml"


def example_scenario(name: str = SCENARIO):
    """The packaged example scenario file (a context manager giving its path)."""
    return resources.as_file(resources.files("yearofcare.planning") / "examples" / name)


def demo_planning(store: Store, seed: int, progress: Progress = SILENT) -> list[tuple[str, str]]:
    """Simulate the example scenarios; returns (step, summary) lines."""
    if not (store.exists("risk_score") or store.exists("need_level")):
        return [("simulate", "skipped: needs risk scores (yoc risk score)")]
    from yearofcare.errors import StageError
    from yearofcare.planning.simulate import SimulateOptions, run_simulate

    try:
        with ExitStack() as stack:
            paths = tuple(
                stack.enter_context(example_scenario(n)) for n in (SCENARIO, BUDGET_SCENARIO)
            )
            result = run_simulate(
                store, SimulateOptions(scenarios=paths, seed=seed), progress=progress
            )
    except StageError as exc:  # e.g. a store whose risk scores cover no year
        return [("simulate", f"not run: {exc.message}")]
    s = result.summary.sort_values("cohort_order", kind="stable")
    lines = []
    for scenario_id in dict.fromkeys(s.scenario_id):  # in the order simulated
        rows = s[s.scenario_id == scenario_id]
        cohorts = rows[rows.cohort_id != "all"]
        total = rows[rows.cohort_id == "all"].iloc[0]
        saving = (
            f"saving over {int(total.years)} years {signed_money(total.saving)} "
            f"(95 % interval {signed_money(total.saving_lower)} to "
            f"{signed_money(total.saving_upper)}, P(saving) {total.probability_saving:.0%})"
        )
        if len(cohorts) > 1:
            table3 = "; ".join(
                f"{r.cohort_id.replace('cohort_', 'C')} {int(r.people):,}: "
                f"{signed_money(r.baseline_mean_cost)} → {signed_money(r.scenario_mean_cost)}"
                for r in cohorts.itertuples()
            )
            text = (
                f"{total.scenario_name}: mean annual cost per patient, baseline → scenario: "
                f"{table3}; {saving}; regression to the mean in cohort 1: year-1 cost "
                f"{cohorts.iloc[0].regression_ratio:.0%} of the base year's"
            )
        else:
            c = cohorts.iloc[0]
            text = (
                f"{total.scenario_name}: {int(c.people):,} people, mean annual cost per patient "
                f"{signed_money(c.baseline_mean_cost)} → {signed_money(c.scenario_mean_cost)}; "
                f"{saving}; its service-model adjustment is read by the {c.cohort_id} budget"
            )
        lines.append((f"simulate {scenario_id}", text))
    return lines
