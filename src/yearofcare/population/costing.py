"""The cost of every activity row: supplied, a block-contract share, or a versioned unit cost.

Order of precedence for each activity row:

1. **supplied**: a cost in the extract is kept with its `cost_basis` (`actual` when empty);
2. **block share** (`block_share`): an uncosted row covered by an `activity_share` block
   contract (same setting and financial year; provider and service type when the contract
   names them) gets `value / number of such rows` — each person's share is proportional to
   their contacts. A `registered_equal` contract instead gives everyone registered on
   30 September of the year an equal share, as an extra row with `is_activity = False`;
3. **unit cost**: `unit_cost × units` (units empty = 1) from the configured unit-cost tables
   (`reference/unit_costs/<publisher>_<year>.csv`, prices.py) by setting and currency; a row
   with currency `*` is the setting's default, a row with a length-of-stay band prices only
   spells of that length, and a spell beyond the row's trim point also pays each excess bed
   day; the price is moved from the table's price year to the activity's year by the uplift
   index (unit_rates.py). Its basis (`unit_cost` or `tariff`) is recorded.

A supplied negative cost, a block contract with a negative value, a unit cost given per a
different unit than the activity counts, or activity with no cost and no unit cost for its
setting and currency are errors (never a silent zero).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import ibis
import pandas as pd

from yearofcare import vocab
from yearofcare.errors import InputError
from yearofcare.fy import fy_expr
from yearofcare.population.prices import ANY_CURRENCY, UnitCosts
from yearofcare.population.unit_rates import unit_price

Execute = Callable[[ibis.Table], pd.DataFrame]


def check_block_contracts(frame: pd.DataFrame, label: str = "block contracts") -> pd.DataFrame:
    """Validate a block-contract table given as a DataFrame (e.g. read from the user's CSV)."""
    required = ("contract_id", "fy", "setting", "value", "rule")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"{label}: missing column(s) {', '.join(missing)}",
            hint="columns: contract_id, fy, setting, provider_code, service_type, value, rule",
        )
    out = frame.copy()
    for col in ("provider_code", "service_type"):
        if col not in out.columns:
            out[col] = None
    for i, row in enumerate(out.itertuples(index=False), start=2):
        where = f"{label} row {i}"
        if row.setting not in vocab.SETTINGS:
            raise InputError(f"{where}: unknown setting {row.setting!r}")
        if row.rule not in ("activity_share", "registered_equal"):
            raise InputError(
                f"{where}: rule {row.rule!r}; expected activity_share or registered_equal"
            )
        try:
            value = float(row.value)
        except (TypeError, ValueError):
            raise InputError(f"{where}: value {row.value!r} is not a number") from None
        if value < 0:
            raise InputError(
                f"{where}: contract {row.contract_id} has a negative value {value}",
                hint="a block value is what the commissioner pays; it cannot be negative",
            )
    out["value"] = out.value.astype("float64")
    out["fy"] = out.fy.astype("int16")
    return out[["contract_id", "fy", "setting", "provider_code", "service_type", "value", "rule"]]


# ---- Ibis expressions ----------------------------------------------------------------------
def registered_on(registration: ibis.Table, years: list[int]) -> ibis.Table:
    """person_id × fy for everyone registered with a practice on 30 September of the year."""
    parts = []
    for fy in years:
        mid = date(fy, 9, 30)
        r = registration.filter(
            (registration.start_date <= mid)
            & (registration.end_date.isnull() | (registration.end_date >= mid))
        )
        parts.append(r.select("person_id", fy=ibis.literal(fy).cast("int32")))
    return ibis.union(*parts, distinct=True)


def _block_shares(activity: ibis.Table, contracts: ibis.Table) -> ibis.Table:
    """activity_id, block_contract_id, block_share for uncosted rows under activity_share contracts."""
    c = contracts.filter(contracts.rule == "activity_share").select(
        c_id="contract_id",
        c_fy=contracts.fy.cast("int32"),
        c_setting="setting",
        c_provider="provider_code",
        c_service="service_type",
        c_value="value",
    )
    a = activity.filter(activity.cost.isnull())
    j = a.join(c, [a.setting == c.c_setting, a.fy == c.c_fy])
    j = j.filter(
        (j.c_provider.isnull() | (j.provider_code == j.c_provider))
        & (j.c_service.isnull() | (j.service_type == j.c_service))
    )
    n = j.group_by("c_id").aggregate(c_rows=j.count())
    j = j.join(n, "c_id")
    return j.select(
        "activity_id",
        block_contract_id=j.c_id,
        block_share=j.c_value / j.c_rows.cast("float64"),
    )


def block_overlaps(activity: ibis.Table, contracts: ibis.Table) -> ibis.Table:
    """Activity rows claimed by more than one activity_share contract (must be empty)."""
    a = activity.mutate(fy=fy_expr(activity.start_date).cast("int32"))
    shares = _block_shares(a, contracts)
    return (
        shares.group_by("activity_id")
        .aggregate(contracts=shares.count())
        .filter(lambda t: t.contracts > 1)
    )


def cost_activity(
    activity: ibis.Table,
    unit_costs: UnitCosts,
    contracts: ibis.Table | None = None,
    registered: ibis.Table | None = None,
) -> ibis.Table:
    """activity_costed: every activity row with cost, cost_basis and cost_source.

    Rows that cannot be costed keep an empty cost; `uncosted` lists them for the error.
    `registered` (person_id, fy) is needed only for `registered_equal` contracts.
    """
    a = activity.mutate(fy=fy_expr(activity.start_date).cast("int32"))
    if contracts is not None:
        a = a.left_join(_block_shares(a, contracts), "activity_id")
    else:
        a = a.mutate(block_contract_id=ibis.null("string"), block_share=ibis.null("float64"))
    a = unit_price(a, unit_costs)
    unit_ok = a.unit_type.isnull() | (a.unit_type == a._uc_type)
    supplied = a.cost.notnull()
    shared = a.block_share.notnull()
    priced = a._uc_price.notnull() & unit_ok
    cost = ibis.cases(
        (supplied, a.cost),
        (shared, a.block_share),
        (priced, a._uc_price),
        else_=ibis.null("float64"),
    )
    basis = ibis.cases(
        (supplied, a.cost_basis.fill_null("actual")),
        (shared, ibis.literal("block_share")),
        (priced, a._uc_basis),
        else_=ibis.null("string"),
    )
    source = ibis.cases(
        (supplied, ibis.literal("supplied")),
        (shared, a.block_contract_id),
        (priced, a._uc_table),
        else_=ibis.null("string"),
    )
    out = a.select(
        "activity_id",
        "person_id",
        fy=a.fy.cast("int16"),
        source=a.source,
        setting=a.setting,
        service_type=a.service_type,
        provider_code=a.provider_code,
        start_date=a.start_date,
        end_date=a.end_date,
        units=a.units,
        unit_type=a.unit_type,
        bed_days=a.bed_days,
        currency=a.currency,
        cost=cost,
        cost_basis=basis,
        cost_source=source,
        funding_route=a.funding_route,
        is_activity=ibis.literal(True),
    )
    if contracts is not None and registered is not None:
        out = ibis.union(out, _registered_shares(contracts, registered), distinct=False)
    return out


def priced_activity(activity: ibis.Table, unit_costs: UnitCosts, years: list[int]) -> ibis.Table:
    """Activity rows of `years` with `cost` filled from the unit costs where it is empty.

    The fast path when no block contract applies and activity_costed is not kept: the unit
    cost is a CASE over the unit-cost table when it is small (a join otherwise), applied
    row by row with no join, and the rows go straight into person_year's aggregate.
    Gives the same costs as `cost_activity` (tested).
    """
    a = activity.mutate(fy=fy_expr(activity.start_date).cast("int32"))
    a = unit_price(a.filter(a.fy.isin(years)), unit_costs)
    priced = a._uc_price.notnull() & (a.unit_type.isnull() | (a.unit_type == a._uc_type))
    filled = ibis.coalesce(a.cost, ibis.ifelse(priced, a._uc_price, ibis.null("float64")))
    return a.select(
        "person_id",
        "fy",
        "setting",
        "service_type",
        "provider_code",
        "start_date",
        "bed_days",
        cost=filled,
        is_activity=ibis.literal(True),
    )


def _registered_shares(contracts: ibis.Table, registered: ibis.Table) -> ibis.Table:
    c = contracts.filter(contracts.rule == "registered_equal").mutate(fy=contracts.fy.cast("int32"))
    r = registered.mutate(fy=registered.fy.cast("int32"))
    j = c.join(r, "fy")
    n = j.group_by("contract_id").aggregate(c_people=j.count())
    j = j.join(n, "contract_id")
    return j.select(
        activity_id=ibis.literal("block:") + j.contract_id + ":" + j.person_id,
        person_id=j.person_id,
        fy=j.fy.cast("int16"),
        source=ibis.literal("block_contract"),
        setting=j.setting,
        service_type=j.service_type,
        provider_code=j.provider_code,
        start_date=ibis.date(j.fy, 4, 1),
        end_date=ibis.date(j.fy + 1, 3, 31),
        units=ibis.null("float64"),
        unit_type=ibis.null("string"),
        bed_days=ibis.null("float64"),
        currency=ibis.null("string"),
        cost=j.value / j.c_people.cast("float64"),
        cost_basis=ibis.literal("block_share"),
        cost_source=j.contract_id,
        funding_route=ibis.literal("block"),
        is_activity=ibis.literal(False),
    )


def uncosted(costed: ibis.Table) -> ibis.Table:
    """Rows left without a cost, counted by setting, currency and unit type (must be empty)."""
    t = costed.filter(costed.cost.isnull())
    return t.group_by(["setting", "currency", "unit_type"]).aggregate(rows=t.count())


# ---- checks (these execute, through the callable the service passes in) -------------------
def check_supplied_costs(activity: ibis.Table, execute: Execute) -> None:
    """Negative supplied costs are an error naming the rows."""
    bad = activity.filter(activity.cost < 0)
    found = execute(bad.select("activity_id", "setting", "cost").limit(5))
    if len(found):
        n = int(execute(bad.aggregate(n=bad.count())).n.iloc[0])
        first = found.iloc[0]
        raise InputError(
            f"activity has {n} row(s) with a negative cost, e.g. {first.activity_id} "
            f"({first.setting}) costs {first.cost:g}",
            hint="a cost is never negative: fix or quarantine the rows at ingest "
            "(refunds and adjustments belong in the contract settlement, not in activity)",
        )


def check_block_overlaps(activity: ibis.Table, contracts: ibis.Table, execute: Execute) -> None:
    found = execute(block_overlaps(activity, contracts).limit(5))
    if len(found):
        raise InputError(
            f"activity row {found.activity_id.iloc[0]} is covered by "
            f"{int(found.contracts.iloc[0])} activity_share block contracts",
            hint="give each contract a provider_code or service_type so they do not overlap",
        )


def check_costed(costed: ibis.Table, unit_costs: UnitCosts, execute: Execute) -> None:
    """Every row must have a cost: name each setting and currency that has none."""
    found = execute(uncosted(costed))
    if not len(found):
        return
    problems = []
    for row in found.sort_values("rows", ascending=False).itertuples(index=False):
        rates = unit_costs.frame[
            (unit_costs.frame.setting == row.setting)
            & unit_costs.frame.currency.isin([row.currency, ANY_CURRENCY])
        ]
        currency = "(none)" if pd.isna(row.currency) else row.currency
        if len(rates):
            per = rates.sort_values("currency").iloc[
                -1 if (rates.currency == row.currency).any() else 0
            ]
            problems.append(
                f"setting {row.setting} currency {currency}: the unit cost ({per.table}) is per "
                f"{per.unit_type} but {row.rows} row(s) count {row.unit_type}"
            )
        else:
            problems.append(
                f"setting {row.setting} currency {currency}: {row.rows} row(s) without a cost "
                f"and no unit cost in {', '.join(unit_costs.names)}"
            )
    raise InputError(
        "cannot cost activity: "
        + "; ".join(problems[:5])
        + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""),
        hint="add a row for the setting and currency (or a '*' default for the setting) to a "
        "unit-cost table named in the configuration, or supply the cost in the extract",
    )
