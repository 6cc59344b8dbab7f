"""Cost by number of long-term conditions and age (Kent Figure 5), the setting split, and how
strongly each explains a person's cost.

Strength is eta squared: the share of the variance of person cost explained by the group
means of a factor (SS between groups / SS total), which is the R² of a regression of cost on
that factor's categories. It is computed exactly in the engine from per-group sums (no
sampling, no model fitting), so it runs on the whole population on both engines.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from yearofcare.population.analysis.common import amount, ltc_band, slim, split, unpivot
from yearofcare.schemas.population import COST_GROUPS, UNKNOWN_AGE_BAND
from yearofcare.sums import exact_mean, exact_sum

SPLIT = ("split_by", "split_value")


def _prepared(py_year: ibis.Table, by: str | None) -> ibis.Table:
    t = slim(
        py_year,
        by,
        *(f"cost_{g}" for g in COST_GROUPS),
        ltc_band=ltc_band(py_year.ltc_count),
        # the one unknown band of person_year (never a second spelling of it)
        age_band=py_year.age_band.fill_null(UNKNOWN_AGE_BAND),
        _x=amount(py_year.cost_total),
    )
    return split(t, by)


def cost_by_ltc_age(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    """People, total and mean cost by LTC band (0–5+) × age band, for one year."""
    t = _prepared(py_year, by)
    return t.group_by(["fy", *SPLIT, "ltc_band", "age_band"]).aggregate(
        people=t.count(),
        cost_total=exact_sum(t._x),
        mean_cost=exact_mean(t._x),
        mean_cost_non_elective=exact_mean(amount(t.cost_non_elective)),
    )


def cost_by_ltc_setting(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    """Cost by LTC band split by setting (cost group): total, mean per person in the band
    and share of the band's cost — the stacked bars of Kent Figure 5."""
    t = _prepared(py_year, by)
    agg = t.group_by(["fy", *SPLIT, "ltc_band"]).aggregate(
        people=t.count(),
        _band_cost=exact_sum(t._x),
        **{f"_c_{g}": exact_sum(amount(t[f"cost_{g}"])) for g in COST_GROUPS},
    )
    groups = list(COST_GROUPS)
    long = unpivot(agg, "cost_group", groups, {"cost": [f"_c_{g}" for g in groups]})
    return long.select(
        "fy",
        *SPLIT,
        "ltc_band",
        "cost_group",
        "people",
        "cost",
        mean_cost=long.cost / long.people,
        share_of_band_cost=ibis.ifelse(
            long._band_cost > 0, long.cost / long._band_cost, ibis.null("float64")
        ),
    )


FACTORS: dict[str, tuple[str, ...]] = {
    "ltc_band": ("ltc_band",),
    "age_band": ("age_band",),
    "ltc_band_x_age_band": ("ltc_band", "age_band"),
}


def cost_strength(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    """Eta squared of person cost on LTC band, on age band and on their combination.

    eta² = SS between / SS total = (Σ_g S_g²/n_g − S²/N) / (Σ x² − S²/N), from per-group
    counts and sums in one pass: the finest cells (LTC band × age band) are aggregated once,
    crossed with the three factors and regrouped. Costs are in pounds (≤ ~10⁶), so float64
    sums of squares lose nothing that matters to a share of variance.
    """
    t = _prepared(py_year, by)
    cells = t.group_by(["fy", *SPLIT, "ltc_band", "age_band"]).aggregate(
        _n=t.count(), _s=exact_sum(t._x), _ss=exact_sum(t._x * t._x)
    )
    lit = ibis.memtable(pa.table({"factor": list(FACTORS)}))
    c = cells.cross_join(lit)
    level = ibis.cases(
        (c.factor == "ltc_band", c.ltc_band),
        (c.factor == "age_band", c.age_band),
        else_=c.ltc_band.concat("|", c.age_band),
    )
    g = (
        c.mutate(_level=level)
        .group_by(["fy", *SPLIT, "factor", "_level"])
        .aggregate(
            _n=lambda x: x._n.sum(), _s=lambda x: exact_sum(x._s), _ss=lambda x: exact_sum(x._ss)
        )
    )
    f = g.group_by(["fy", *SPLIT, "factor"]).aggregate(
        people=g._n.sum(),
        levels=g.count(),
        _sum=g._s.sum(),
        _q=(g._s * g._s / g._n).sum(),
        _sq=g._ss.sum(),
    )
    correction = f._sum * f._sum / f.people
    sst = f._sq - correction
    return f.select(
        "fy",
        *SPLIT,
        "factor",
        f.people.cast("int64").name("people"),
        f.levels.cast("int64").name("levels"),
        eta_squared=ibis.ifelse(
            sst > 0,
            ibis.greatest(0.0, ibis.least(1.0, (f._q - correction) / sst)),  # rounding only
            ibis.null("float64"),
        ),
        mean_cost=f._sum / f.people,
    )
