"""The expected effect of the new service model on a budget (004 §7.2), per cohort and year.

From a planning scenario's `service_model_adjustment` (`yoc simulate`) when a scenario models
the budget cohort, else from the finance settings (see `service_model_effects`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from yearofcare import schemas
from yearofcare.errors import ConfigError
from yearofcare.finance.settings import FinanceSettings
from yearofcare.fy import fy_label
from yearofcare.store import Store


@dataclass(frozen=True)
class ServiceModelEffects:
    """Expected service-model change (% by setting) per cohort and year, with where it came
    from: the scenario applied to each cohort, and why none was applied to the others."""

    #: cohort → year → setting → expected change (%)
    effects: dict[str, dict[int, dict[str, Decimal]]]
    #: cohort → why no scenario's adjustment was applied to it
    skipped: dict[str, str] = field(default_factory=dict)
    #: cohort → the scenario whose adjustment it takes
    scenario: dict[str, str] = field(default_factory=dict)

    def of(self, cohort: str, fy: int) -> dict[str, Decimal]:
        """Setting → expected change (%) of a cohort's cost in a year."""
        return self.effects.get(cohort, {}).get(fy, {})

    def basis(self, cohort: str, fy: int, shares: dict[str, float]) -> str:
        """The budget step's basis: the reason no scenario was applied, or where the change
        came from and each changed setting's part (its change × its share of the cost)."""
        if cohort in self.skipped:
            return self.skipped[cohort]
        effects = self.of(cohort, fy)
        parts = "; ".join(
            f"{s} {p}% × {shares.get(s, 0):.1%} of cost" for s, p in effects.items() if p
        ) or ("every setting 0%" if effects else "")
        name = self.scenario.get(cohort)
        if name is None:
            return parts or "none"
        if not parts:
            return f"scenario {name}: no change modelled for {fy_label(fy)}"
        return f"scenario {name}: {parts}"


def service_model_effects(
    store: Store, settings: FinanceSettings, years: list[int], cohorts: list[str], run
) -> ServiceModelEffects:
    """The expected change of each budget cohort's cost under the new service model.

    A scenario's adjustment (service_model_adjustment, from `yoc simulate`) is the change in
    the cost of the scenario's cohorts taken together, so it applies to a budget cohort only
    when the scenario models that cohort alone, under the same id (planning_summary records
    the scenario's cohorts). With `budget.service_model.scenario` set, that scenario is the
    only candidate; unset, each budget cohort takes the one scenario that models it (two that
    do is an error asking for a choice). A cohort no scenario models keeps its cost (0 %), the
    reason in the step's basis. Percentages typed into the settings apply to every cohort.
    """
    sm = settings.budget.service_model
    if sm.source == "none":
        return ServiceModelEffects({c: {fy: {} for fy in years} for c in cohorts})
    if sm.source == "table" and store.exists("service_model_adjustment"):
        t = store.to_pandas(
            schemas.get("service_model_adjustment").in_order(run.read("service_model_adjustment"))
        )
        scenarios = sorted(t.scenario.unique())
        if sm.scenario is not None and sm.scenario not in scenarios:
            raise ConfigError(
                f"finance settings budget.service_model.scenario: no scenario {sm.scenario!r}",
                hint=f"scenarios in service_model_adjustment: {', '.join(scenarios)}",
            )
        candidates = [sm.scenario] if sm.scenario else scenarios
        modelled = _scenario_cohorts(store, candidates, run)
        by_year = {
            s: {
                fy: {r.setting: Decimal(str(r.change_percent)) for r in g[g.fy == fy].itertuples()}
                for fy in years
            }
            for s, g in t[t.scenario.isin(candidates)].groupby("scenario")
        }
        effects, skipped, chosen = {}, {}, {}
        for c in cohorts:
            alone = [s for s in candidates if modelled[s] == [c]]
            if len(alone) > 1:
                raise ConfigError(
                    f"finance settings budget.service_model.scenario: scenarios "
                    f"{', '.join(alone)} each model cohort {c}, and none is chosen",
                    hint="set budget.service_model.scenario to the one the budget should read",
                )
            if alone:
                chosen[c] = alone[0]
                effects[c] = by_year[alone[0]]
            else:
                effects[c] = {fy: {} for fy in years}
                skipped[c] = _why_not(c, candidates, modelled)
        run.parameters["service_model"] = {
            "source": "service_model_adjustment",
            "scenario": sm.scenario,
            "scenario_cohorts": modelled,
            "applied": chosen,
            "skipped": skipped,
        }
        return ServiceModelEffects(effects, skipped, chosen)
    run.parameters["service_model"] = {"source": "settings"}
    return ServiceModelEffects(
        {c: {fy: dict(sm.by_year.get(fy, sm.by_setting)) for fy in years} for c in cohorts}
    )


def _why_not(cohort: str, candidates: list[str], modelled: dict[str, list[str]]) -> str:
    recorded = {s: m for s, m in modelled.items() if m}
    if not recorded:
        many = len(candidates) > 1
        return (
            f"not applied: the cohorts of scenario{'s' if many else ''} {', '.join(candidates)} "
            f"are not recorded (planning_summary has no rows for {'them' if many else 'it'}), so "
            f"{'none' if many else 'it'} can be matched to cohort {cohort}; run yoc simulate"
        )
    parts = "; ".join(
        f"scenario {s}'s adjustment is for its cohort(s) {', '.join(m)} together"
        for s, m in recorded.items()
    )
    return (
        f"not applied: {parts}, not cohort {cohort} (an adjustment applies only to the cohort "
        "its scenario models alone, by the same id)"
    )


def _scenario_cohorts(store: Store, scenarios: list[str], run) -> dict[str, list[str]]:
    """Scenario → the cohort ids it modelled (planning_summary), in its order; one read."""
    out: dict[str, list[str]] = {s: [] for s in scenarios}
    if not store.exists("planning_summary"):
        return out
    s = run.read("planning_summary")
    s = s.filter(s.scenario_id.isin(scenarios) & (s.cohort_id != "all"))
    frame = store.to_pandas(s.select("scenario_id", "cohort_id", "cohort_order").distinct())
    for r in frame.sort_values(["scenario_id", "cohort_order", "cohort_id"]).itertuples():
        out[r.scenario_id].append(r.cohort_id)
    return out
