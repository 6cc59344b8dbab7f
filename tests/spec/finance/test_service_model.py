"""Spec: a planning scenario's service-model adjustment (004 §7.2) changes the budget only of
the cohort the scenario models; other budget cohorts keep their cost and say why.

The economy of economy.py with its register copied into a second cohort, c2. Scenario
`c1_only` models cohort c1 alone (planning_summary) and expects community cost to fall 10 %
in 2025/26. Each cohort's in-scope cost is 75 % community (tariff_component), so c1's
service-model step is 0.75 × −10 % = −7.5 % of £15,651.90 = −£1,173.8925 → −£1,173.89 (half
up); c2's is £0.00, its basis naming the scenario's cohort. Before the fix, c2 got −7.5 % too.

With no scenario named in the settings, each budget cohort takes the one scenario that models it
alone: c1 takes c1_only (the same −£1,173.89), c2 none (`other` models c1 and c2 together); two
scenarios that each model c1 alone are refused, asking for a choice.
"""

from __future__ import annotations

import pytest

from tests.conftest import ENGINES
from tests.spec import load
from tests.spec.finance import economy as E
from yearofcare.engine import connect
from yearofcare.errors import ConfigError
from yearofcare.finance.budget_stage import run_budget
from yearofcare.store import Store

SCENARIO = "c1_only"


def _settings(scenario: str | None = SCENARIO):
    s = E.settings()
    sm = s.budget.service_model.model_copy(update={"source": "table", "scenario": scenario})
    return s.model_copy(update={"budget": s.budget.model_copy(update={"service_model": sm})})


def _tables(extra: tuple[str, ...] = ()):
    tables = E.budget_tables()
    tables["cohort_member"] = E.REGISTER + [{**m, "cohort_id": "c2"} for m in E.REGISTER]
    tables["service_model_adjustment"] = [
        {"scenario": SCENARIO, "fy": 2025, "setting": "community", "change_percent": -10.0},
        {"scenario": "other", "fy": 2025, "setting": "community", "change_percent": -50.0},
    ]
    tables["planning_summary"] = [
        {"scenario_id": SCENARIO, "cohort_id": c, "cohort_order": o, "base_fy": 2024}
        for c, o in (("all", 0), ("c1", 1))
    ] + [
        {"scenario_id": "other", "cohort_id": c, "cohort_order": o, "base_fy": 2024}
        for c, o in (("all", 0), ("c1", 1), ("c2", 2))
    ]
    for name in extra:  # another scenario modelling c1 alone
        tables["service_model_adjustment"].append(
            {"scenario": name, "fy": 2025, "setting": "community", "change_percent": -20.0}
        )
        tables["planning_summary"] += [
            {"scenario_id": name, "cohort_id": c, "cohort_order": o, "base_fy": 2024}
            for c, o in (("all", 0), ("c1", 1))
        ]
    return tables


def _budget(store, settings):
    run_budget(store, settings)
    b = store.to_pandas(store.table("budget"))
    return {c: g.set_index("step") for c, g in b.groupby("cohort_id")}


@pytest.fixture(scope="module", params=ENGINES)
def budget(request, tmp_path_factory):
    store = Store(connect(request.param, tmp_path_factory.mktemp(f"sm-{request.param}")))
    load(store, _tables())
    return _budget(store, _settings())


def test_the_scenario_adjusts_the_budget_of_the_cohort_it_models(budget):
    c1 = budget["c1"]
    assert c1.loc["service_model", "percent"] == -7.5
    assert c1.loc["service_model", "amount_pence"] == -117_389  # −7.5 % of 1,565,190, half up
    assert c1.loc["total", "running_total_pence"] == E.BUDGET_TOTAL - 117_389
    assert c1.loc["service_model", "basis"] == "scenario c1_only: community -10.0% × 75.0% of cost"


def test_another_cohort_keeps_its_cost_and_the_basis_says_why(budget):
    c2 = budget["c2"]
    assert c2.loc["service_model", "amount_pence"] == 0
    assert c2.loc["total", "running_total_pence"] == E.BUDGET_TOTAL
    basis = c2.loc["service_model", "basis"]
    assert basis.startswith("not applied: scenario c1_only's adjustment is for its cohort(s) c1")
    assert "not cohort c2" in basis


@pytest.mark.parametrize("engine", ENGINES)
def test_unnamed_each_cohort_takes_the_scenario_that_models_it_alone(engine, tmp_path):
    store = Store(connect(engine, tmp_path))
    load(store, _tables())
    b = _budget(store, _settings(scenario=None))
    assert b["c1"].loc["service_model", "amount_pence"] == -117_389  # c1_only, not other's −50 %
    assert b["c1"].loc["service_model", "basis"].startswith("scenario c1_only: ")
    assert b["c2"].loc["service_model", "amount_pence"] == 0
    basis = b["c2"].loc["service_model", "basis"]
    assert "scenario other's adjustment is for its cohort(s) c1, c2 together" in basis
    assert "not cohort c2" in basis


PYTHON_CHOICE = pytest.mark.duckdb_only(
    reason="the scenario is chosen in Python from planning_summary, read on every engine by "
    "test_unnamed_each_cohort_takes_the_scenario_that_models_it_alone"
)


@PYTHON_CHOICE
def test_two_scenarios_modelling_one_cohort_alone_ask_for_a_choice(duck_store):
    store = duck_store
    load(store, _tables(extra=("c1_again",)))
    with pytest.raises(ConfigError, match=r"scenarios c1_again, c1_only each model cohort c1"):
        run_budget(store, _settings(scenario=None))
    assert not store.exists("budget")  # nothing written


@PYTHON_CHOICE
def test_scenarios_whose_cohorts_are_not_recorded_are_not_guessed(duck_store):
    """An adjustment without planning_summary (a store from before it was written) cannot be
    matched to a cohort: every budget keeps its cost and says to run yoc simulate."""
    store = duck_store
    tables = _tables()
    del tables["planning_summary"]
    load(store, tables)
    b = _budget(store, _settings(scenario=None))
    for cohort in ("c1", "c2"):
        step = b[cohort].loc["service_model"]
        assert step.amount_pence == 0
        assert step.basis == (
            "not applied: the cohorts of scenarios c1_only, other are not recorded "
            "(planning_summary has no rows for them), so none can be matched to cohort "
            f"{cohort}; run yoc simulate"
        )
