"""The money and risk-share stages on the web tests' store, cheaply: a fixed-rule currency and
cohort register (tests/finance_support.py stands in for need & cohorts), tariffs and a budget
with small bootstraps, tags, the reconciliation, two sample contracts settled and their
exposure simulated on a stated outturn distribution."""

from __future__ import annotations

from pathlib import Path

from tests.finance_support import add_currency_and_register
from yearofcare.contracts.run import SettleOptions, SimulateOptions, run_settle, run_simulate
from yearofcare.finance.budget_stage import run_budget
from yearofcare.finance.map_loader import load_service_map
from yearofcare.finance.reconcile_stage import run_reconcile
from yearofcare.finance.service_map import example_path
from yearofcare.finance.settings import example_settings_path, load_settings
from yearofcare.finance.tagging import run_tag
from yearofcare.finance.tariff_stage import run_tariffs
from yearofcare.store import open_store

CONTRACTS = ("lewisham", "whittington")


def add_money_and_contracts(data: Path) -> None:
    store = open_store("duckdb", data)
    py = store.table("person_year")
    first = int(store.to_pandas(py.aggregate(first=py.fy.min())).iloc[0, 0])
    add_currency_and_register(store, first)
    settings, _ = load_settings(example_settings_path())
    t, b = settings.tariffs, settings.budget
    settings = settings.model_copy(
        update={
            "tariffs": t.model_copy(
                update={
                    "years": (first,),
                    "currencies": ("ltc_band",),
                    "bootstrap": t.bootstrap.model_copy(update={"replicates": 200}),
                }
            ),
            "budget": b.model_copy(update={"base_fy": first, "years": 2, "cover_replicates": 100}),
        }
    )
    smap = load_service_map(example_path())
    run_tariffs(store, settings, smap)
    run_budget(store, settings)
    run_tag(store, smap)
    run_reconcile(store, settings)
    run_settle(store, SettleOptions(examples=CONTRACTS))
    run_simulate(store, SimulateOptions(examples=CONTRACTS, draws=2000, mean="12m", spread="5%"))
