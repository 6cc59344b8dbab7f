"""Costed activity for finance: every row with its cost in pence, costed as the latest build did.

The cost of a row is the one `yoc build` gives it (population/costing.py): the supplied cost,
else a block-contract share, else the unit cost of its setting and currency × units, using the
unit-cost tables the latest build recorded. When that build kept `activity_costed`, it is read
as it is. Pounds become pence once per row, rounded half up (`cost_pence`); every total after
that is a sum of integers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import ibis

from yearofcare.errors import StageError
from yearofcare.finance.service_map import ServiceMap
from yearofcare.fy import fy_expr
from yearofcare.population.config import PopulationConfig
from yearofcare.population.costing import cost_activity, registered_on
from yearofcare.population.prices import UnitCosts, load_unit_costs
from yearofcare.population.unit_rates import unit_price
from yearofcare.store import Store

Read = Callable[[str], ibis.Table]
COLUMNS = (
    "activity_id",
    "person_id",
    "fy",
    "month",
    "start_date",
    "setting",
    "service_type",
    "provider_code",
    "currency",
    "funding_route",
    "cost_basis",
    "cost_pence",
)


def fy_month(d: ibis.DateValue) -> ibis.IntegerValue:
    """Month of the financial year: April 1 … March 12."""
    return ((d.month() + 8) % 12 + 1).cast("int8")


def month_start(fy: int, month: int) -> date:
    """First day of month `month` (1 = April) of financial year `fy`."""
    m = (month + 2) % 12 + 1
    return date(fy + (1 if m < 4 else 0), m, 1)


def pence(pounds: ibis.NumericValue) -> ibis.IntegerValue:
    """Pounds to whole pence, rounded half up (costs are never negative)."""
    return (pounds * 100).round().cast("int64")


def latest_build_unit_costs(store: Store) -> UnitCosts:
    """The unit-cost tables and price uplift the latest `yoc build` used (else the defaults)."""
    run = store.latest_run("build")
    config = PopulationConfig()
    names, uplift = config.unit_costs, config.price_uplift
    if run is not None and run.parameters:
        params = json.loads(run.parameters)
        names = tuple(params.get("unit_costs") or names)
        uplift = params.get("config", {}).get("price_uplift", uplift)
    return load_unit_costs(names, uplift)


def _kept_activity_costed(store: Store) -> bool:
    run = store.latest_run("build")
    if run is None or not store.exists("activity_costed"):
        return False
    return "activity_costed" in json.loads(run.output_rows or "{}")


def costed_rows(store: Store, read: Read) -> ibis.Table:
    """Every activity row (and block share) with `cost_pence`, `fy` and `month` (see module)."""
    if not store.exists("activity"):
        raise StageError(
            "finance needs the activity table, which the store does not have",
            hint="load activity first (yoc synth, or yoc ingest your extracts), then yoc build",
        )
    if _kept_activity_costed(store):
        t = read("activity_costed")
    elif store.exists("block_contract"):
        activity = read("activity")
        contracts = read("block_contract")
        registered = None
        if store.exists("registration") and store.exists("person_year"):
            years = _years(store)
            registered = registered_on(read("registration"), years) if years else None
        t = cost_activity(activity, latest_build_unit_costs(store), contracts, registered)
    else:
        t = _unit_costed(read("activity"), latest_build_unit_costs(store))
    return t.select(
        "activity_id",
        "person_id",
        fy=fy_expr(t.start_date),
        month=fy_month(t.start_date),
        start_date=t.start_date,
        setting=t.setting,
        service_type=t.service_type,
        provider_code=t.provider_code,
        currency=t.currency,
        funding_route=t.funding_route,
        cost_basis=t.cost_basis,
        cost_pence=pence(t.cost),
    )


def _years(store: Store) -> list[int]:
    py = store.table("person_year")
    return sorted(int(y) for y in store.to_pandas(py.select("fy").distinct()).fy)


#: activity columns a costed row keeps as they are (the rest of COLUMNS is derived)
_KEPT = tuple(c for c in COLUMNS if c not in ("fy", "month", "cost_basis", "cost_pence"))


def _unit_costed(a: ibis.Table, unit_costs: UnitCosts) -> ibis.Table:
    """Supplied cost, else the build's unit-cost price (population/unit_rates.py).

    Rows with a supplied cost keep it (basis as supplied, else `actual`); only the others are
    priced, so a store whose activity is all costed is read, not re-priced (the engine would
    otherwise work out a price for every row before choosing the supplied cost)."""
    supplied = a.filter(a.cost.notnull())
    supplied = supplied.select(
        *_KEPT,
        cost=supplied.cost.cast("float64"),
        cost_basis=supplied.cost_basis.fill_null("actual"),
    )
    missing = a.filter(a.cost.isnull())
    p = unit_price(missing.mutate(fy=fy_expr(missing.start_date).cast("int32")), unit_costs)
    priced = p._uc_price.notnull() & (p.unit_type.isnull() | (p.unit_type == p._uc_type))
    unpriced = p.select(
        *_KEPT,
        cost=ibis.ifelse(priced, p._uc_price, ibis.null("float64")).cast("float64"),
        cost_basis=ibis.ifelse(priced, p._uc_basis, ibis.null("string")).cast("string"),
    )
    return ibis.union(supplied, unpriced, distinct=False)


def check_all_costed(store: Store, rows: ibis.Table) -> None:
    """Refuse rows without a cost (the build refuses them too), naming setting and currency."""
    missing = rows.filter(rows.cost_pence.isnull())
    found = store.to_pandas(
        missing.group_by(["setting", "currency"]).aggregate(rows=missing.count()).limit(5)
    )
    if len(found):
        first = found.iloc[0]
        raise StageError(
            f"{int(found.rows.sum()):,} activity row(s) have no cost, e.g. setting "
            f"{first.setting} currency {first.currency}",
            hint="run yoc build (it names the unit cost each row needs) before the finance stages",
        )


def scope_costs(rows: ibis.Table, smap: ServiceMap, scope: ibis.Value) -> ibis.Table:
    """Cost by person × year × setting × provider: all services and those in scope, and the
    rows without a cost (`uncosted`: the same pass finds them, see `check_all_costed`).

    `scope` is the date the map is read at (an expression over the rows, e.g. 1 April of the
    year after the costs: the scope the tariff prices), not each row's own date.
    """
    decided = rows.mutate(**smap.decide(rows, on=scope))
    return decided.group_by(["person_id", "fy", "setting", "provider_code"]).aggregate(
        cost_all_pence=decided.cost_pence.sum(),
        cost_in_pence=decided.cost_pence.sum(where=decided.inside),
        uncosted=decided.count(where=decided.cost_pence.isnull()),
    )
