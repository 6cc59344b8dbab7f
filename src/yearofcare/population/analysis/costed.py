"""Activity with the costs `yoc build` gave it, for the analyses that need more than a year.

person_year holds each person's cost per year; the monthly crisis curves and the cost by care
organisation need the cost of each activity row (its month, its provider). They are priced
exactly as the build priced them: `activity_costed` when the build kept it, otherwise the same
pieces (`costing.priced_activity`, or `costing.cost_activity` when block contracts apply) with
the configuration the build recorded in `person_year_meta` (code list, unit-cost tables, price
uplift). Expressions only; the stage executes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import ibis

from yearofcare.population.config import PopulationConfig, load_config
from yearofcare.population.costing import cost_activity, priced_activity, registered_on
from yearofcare.population.prices import load_unit_costs
from yearofcare.store import Store

COLUMNS = ("person_id", "fy", "setting", "service_type", "provider_code", "start_date", "cost")


@dataclass(frozen=True)
class Costed:
    """Costed activity rows of the years analysed, and where their costs came from."""

    rows: ibis.Table
    source: str


def build_config(store: Store) -> PopulationConfig:
    """The configuration of the build that wrote person_year (the defaults when unrecorded)."""
    if not store.exists("person_year_meta"):
        return PopulationConfig()
    meta = store.table("person_year_meta")
    found = store.to_pandas(meta.filter(meta.item == "config").select("value"))
    if found.empty:
        return PopulationConfig()
    return load_config(**json.loads(found.value.iloc[0]))


def costed_activity(store: Store, read, fys: Sequence[int]) -> Costed:
    """Costed rows (COLUMNS) of the financial years `fys`; `read` reads a stored table (a stage
    run's `read`, so the run log records the inputs)."""
    years = [int(y) for y in fys]
    if store.exists("activity_costed"):
        c = read("activity_costed")
        c = c.filter(c.is_activity & c.fy.cast("int32").isin(years))
        return Costed(_columns(c), "activity_costed (kept by yoc build)")
    config = build_config(store)
    unit_costs = load_unit_costs(config.unit_costs, config.price_uplift)
    activity = read("activity")
    label = f"activity priced as yoc build prices it ({', '.join(unit_costs.names)})"
    if store.exists("block_contract"):
        registered = (
            registered_on(read("registration"), years) if store.exists("registration") else None
        )
        c = cost_activity(activity, unit_costs, read("block_contract"), registered)
        c = c.filter(c.is_activity & c.fy.cast("int32").isin(years))
        return Costed(_columns(c), label + " and block contracts")
    return Costed(_columns(priced_activity(activity, unit_costs, years)), label)


def _columns(t: ibis.Table) -> ibis.Table:
    return t.select(
        "person_id",
        fy=t.fy.cast("int16"),
        setting=t.setting,
        service_type=t.service_type,
        provider_code=t.provider_code,
        start_date=t.start_date,
        cost=t.cost.cast("float64"),
    )
