"""The unit-cost price of each activity row, as Ibis expressions (the tables: prices.py).

`unit_price(t, unit_costs)` adds to `t` (setting, currency, fy, units, unit_type, bed_days):

- `_uc_price`: `(unit_cost × units + excess bed days × excess_bed_day) × uplift`, where the
  row is matched on setting and currency (else the setting's `*` row) and on the spell's length
  of stay when the row has a band; excess bed days = bed days beyond the row's `trim_days`,
  priced at the setting's `excess_bed_day` row; uplift = level(fy) / level(price_year);
- `_uc_type`, `_uc_basis`, `_uc_table`: the matched row's unit type, basis and table.

Prices are divided by their price year's level in Python, so one CASE over the year gives the
uplift for every row. Small tables (the national ones) become CASE expressions evaluated row by
row with no join; a large table (prices by HRG) is joined instead. Both give the same prices
(tested).
"""

from __future__ import annotations

import ibis
import pandas as pd

from yearofcare.population.prices import ANY_CURRENCY, EXCESS_BED_DAY, OPEN_LOS, UnitCosts

#: up to this many unit-cost rows the price is a CASE expression; above it, a join
CASE_ROWS = 64
COLUMNS = ("_uc_price", "_uc_type", "_uc_basis", "_uc_table")


def _rows(unit_costs: UnitCosts) -> pd.DataFrame:
    """Unit-cost rows with the price and excess price at base level (÷ level(price year))."""
    f = unit_costs.frame.copy()
    level = f.price_year.map(unit_costs.uplift.level)
    f["base"] = f.unit_cost / level
    xs = f[f.currency == EXCESS_BED_DAY].set_index("setting").base
    f["xs_base"] = f.setting.map(xs)
    f["exact"] = f.currency != ANY_CURRENCY
    return f


def level_of(fy: ibis.IntegerValue, unit_costs: UnitCosts) -> ibis.FloatingValue:
    """The uplift index level of the activity's year (1.0 without an index)."""
    levels = unit_costs.uplift.levels
    if not levels:
        return ibis.literal(1.0)
    first, last = levels[0], levels[-1]
    return ibis.cases(
        (fy <= first[0], first[1]),
        *[(fy == y, lv) for y, lv in levels[1:-1]],
        else_=last[1],
    )


def _band(bed: ibis.FloatingValue, lo: float, hi: float) -> ibis.BooleanValue | None:
    if lo <= 0 and hi >= OPEN_LOS:
        return None
    return (bed >= lo) & (bed <= hi)


def _price(t: ibis.Table, base, trim, xs_base, units) -> ibis.FloatingValue:
    bed = t.bed_days.fill_null(0.0)
    excess = ibis.ifelse(trim.notnull(), ibis.greatest(bed - trim, 0.0), 0.0)
    extra = ibis.ifelse(excess > 0, excess * xs_base, 0.0)
    return base * units + extra


def unit_price(t: ibis.Table, unit_costs: UnitCosts) -> ibis.Table:
    """`t` with the unit-cost price columns (see the module docstring)."""
    f = _rows(unit_costs)
    if len(f) <= CASE_ROWS:
        return _by_case(t, f, unit_costs)
    return _by_join(t, f, unit_costs)


def _by_case(t: ibis.Table, f: pd.DataFrame, unit_costs: UnitCosts) -> ibis.Table:
    bed = t.bed_days.fill_null(0.0)
    conds = []
    for r in f.sort_values("exact", ascending=False).itertuples():
        c = t.setting == r.setting
        if r.exact:
            c = c & (t.currency == r.currency)
        band = _band(bed, r.los_min, r.los_max)
        conds.append((c if band is None else c & band, r))
    if not conds:
        return t.mutate(
            _uc_price=ibis.null("float64"),
            _uc_type=ibis.null("string"),
            _uc_basis=ibis.null("string"),
            _uc_table=ibis.null("string"),
        )

    def case(value, dtype):
        return ibis.cases(*[(c, value(r)) for c, r in conds], else_=ibis.null(dtype))

    base = case(lambda r: float(r.base), "float64")
    trim = case(lambda r: None if pd.isna(r.trim_days) else float(r.trim_days), "float64")
    xs = case(lambda r: None if pd.isna(r.xs_base) else float(r.xs_base), "float64")
    units = t.units.fill_null(1.0)
    return t.mutate(
        _uc_price=_price(t, base, trim.cast("float64"), xs.cast("float64"), units)
        * level_of(t.fy, unit_costs),
        _uc_type=case(lambda r: r.unit_type, "string"),
        _uc_basis=case(lambda r: r.basis, "string"),
        _uc_table=case(lambda r: r.table, "string"),
    )


def _by_join(t: ibis.Table, f: pd.DataFrame, unit_costs: UnitCosts) -> ibis.Table:
    cols = ["setting", "currency", "unit_type", "basis", "table", "base", "xs_base"]
    frame = f[[*cols, "los_min", "los_max", "trim_days"]].astype(
        {"base": "float64", "xs_base": "float64", "trim_days": "float64"}
    )
    uc = ibis.memtable(frame)
    t = t.mutate(_uc_bed=t.bed_days.fill_null(0.0), _uc_row=ibis.row_number())

    def side(prefix: str, exact: bool) -> ibis.Table:
        rows = uc.filter(uc.currency != ANY_CURRENCY if exact else uc.currency == ANY_CURRENCY)
        return rows.select(**{f"{prefix}{c}": rows[c] for c in rows.columns})

    x, d = side("x_", True), side("d_", False)
    t = t.left_join(
        x,
        [
            t.setting == x.x_setting,
            t.currency == x.x_currency,
            t._uc_bed >= x.x_los_min,
            t._uc_bed <= x.x_los_max,
        ],
    )
    t = t.left_join(
        d,
        [t.setting == d.d_setting, t._uc_bed >= d.d_los_min, t._uc_bed <= d.d_los_max],
    )
    hit = t.x_base.notnull()

    def pick(name: str):
        return ibis.ifelse(hit, t[f"x_{name}"], t[f"d_{name}"])

    units = t.units.fill_null(1.0)
    priced = t.mutate(
        _uc_price=_price(t, pick("base"), pick("trim_days"), pick("xs_base"), units)
        * level_of(t.fy, unit_costs),
        _uc_type=pick("unit_type"),
        _uc_basis=pick("basis"),
        _uc_table=pick("table"),
    )
    extra = [c for c in priced.columns if c.startswith(("x_", "d_")) or c in ("_uc_bed", "_uc_row")]
    return priced.drop(*extra)
