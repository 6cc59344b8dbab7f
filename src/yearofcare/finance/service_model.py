"""The expected effect of the new service model on a budget (004 §7.2), per cohort and year.

From the planning scenario's `service_model_adjustment` (`yoc simulate`) when the budget
cohort is the cohort the scenario models, else from the finance settings (see
`service_model_effects`).
"""

from __future__ import annotations

from decimal import Decimal

from yearofcare import schemas
from yearofcare.errors import ConfigError
from yearofcare.finance.settings import FinanceSettings
from yearofcare.store import Store


def service_model_effects(
    store: Store, settings: FinanceSettings, years: list[int], cohorts: list[str], run
) -> tuple[dict[str, dict[int, dict[str, Decimal]]], dict[str, str]]:
    """Expected service-model change (% by setting) per cohort and year, and the cohorts a
    planning scenario's adjustment was not applied to, with the reason.

    A scenario's adjustment (service_model_adjustment, from `yoc simulate`) is the change in
    the cost of the scenario's cohorts taken together, so it applies to a budget cohort only
    when the scenario models that cohort alone, under the same id (planning_summary records
    the scenario's cohorts); any other budget cohort keeps its cost (0 %, the reason in the
    step's basis). Percentages typed into the settings apply to every cohort.
    """
    sm = settings.budget.service_model
    if sm.source == "none":
        return {c: {fy: {} for fy in years} for c in cohorts}, {}
    if sm.source == "table" and store.exists("service_model_adjustment"):
        t = store.to_pandas(
            schemas.get("service_model_adjustment").in_order(run.read("service_model_adjustment"))
        )
        scenarios = sorted(t.scenario.unique())
        scenario = sm.scenario or (scenarios[0] if len(scenarios) == 1 else None)
        if scenario not in scenarios:
            raise ConfigError(
                "finance settings budget.service_model.scenario: "
                + (f"no scenario {scenario!r}" if scenario else "several scenarios, none chosen"),
                hint=f"scenarios in service_model_adjustment: {', '.join(scenarios)}",
            )
        t = t[t.scenario == scenario]
        by_year = {
            fy: {r.setting: Decimal(str(r.change_percent)) for r in t[t.fy == fy].itertuples()}
            for fy in years
        }
        modelled = _scenario_cohorts(store, scenario, run)
        effects, skipped = {}, {}
        for c in cohorts:
            if modelled == [c]:
                effects[c] = by_year
                continue
            effects[c] = {fy: {} for fy in years}
            if modelled:
                skipped[c] = (
                    f"not applied: scenario {scenario}'s adjustment is for its cohort(s) "
                    f"{', '.join(modelled)} together, not cohort {c} (it applies only to the "
                    "cohort it models alone, by the same id)"
                )
            else:
                skipped[c] = (
                    f"not applied: the cohorts of scenario {scenario} are not recorded "
                    "(planning_summary has no rows for it), so it cannot be matched to cohort "
                    f"{c}; run yoc simulate"
                )
        run.parameters["service_model"] = {
            "source": "service_model_adjustment",
            "scenario": scenario,
            "scenario_cohorts": modelled,
            "applied_to": sorted(set(cohorts) - set(skipped)),
            "skipped": skipped,
        }
        return effects, skipped
    run.parameters["service_model"] = {"source": "settings"}
    return {c: {fy: dict(sm.by_year.get(fy, sm.by_setting)) for fy in years} for c in cohorts}, {}


def _scenario_cohorts(store: Store, scenario: str, run) -> list[str]:
    """The cohort ids a planning scenario modelled (planning_summary), in its order."""
    if not store.exists("planning_summary"):
        return []
    s = run.read("planning_summary")
    s = s.filter((s.scenario_id == scenario) & (s.cohort_id != "all"))
    frame = store.to_pandas(s.select("cohort_id", "cohort_order").distinct())
    return list(frame.sort_values(["cohort_order", "cohort_id"]).cohort_id)
