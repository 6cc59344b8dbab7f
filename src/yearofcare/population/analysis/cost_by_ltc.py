"""Cost by number of long-term conditions and age (Kent Figure 5), the setting split, and how
strongly each explains a person's cost.

Strength is eta squared: the share of the variance of person cost explained by the group
means of a factor (SS between groups / SS total), which is the R² of a regression of cost on
that factor's categories. It is computed exactly in the engine from per-group sums (no
sampling, no model fitting), so it runs on the whole population on both engines.
"""

from __future__ import annotations

import ibis

from yearofcare.population.analysis.common import UNKNOWN, amount, ltc_band, slim, split, unpivot
from yearofcare.schemas.population import COST_GROUPS

SPLIT = ("split_by", "split_value")


def _prepared(py_year: ibis.Table, by: str | None) -> ibis.Table:
    t = slim(
        py_year,
        by,
        *(f"cost_{g}" for g in COST_GROUPS),
        ltc_band=ltc_band(py_year.ltc_count),
        age_band=py_year.age_band.fill_null(UNKNOWN),
        _x=amount(py_year.cost_total),
    )
    return split(t, by)


def cost_by_ltc_age(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    """People, total and mean cost by LTC band (0–5+) × age band, for one year."""
    t = _prepared(py_year, by)
    return t.group_by(["fy", *SPLIT, "ltc_band", "age_band"]).aggregate(
        people=t.count(),
        cost_total=t._x.sum(),
        mean_cost=t._x.mean(),
        mean_cost_non_elective=amount(t.cost_non_elective).mean(),
    )


def cost_by_ltc_setting(py_year: ibis.Table, by: str | None = None) -> ibis.Table:
    """Cost by LTC band split by setting (cost group): total, mean per person in the band
    and share of the band's cost — the stacked bars of Kent Figure 5."""
    t = _prepared(py_year, by)
    agg = t.group_by(["fy", *SPLIT, "ltc_band"]).aggregate(
        people=t.count(),
        _band_cost=t._x.sum(),
        **{f"_c_{g}": amount(t[f"cost_{g}"]).sum() for g in COST_GROUPS},
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

    eta² = Σ_g n_g (mean_g − mean)² / Σ_i (x_i − mean)². Deviations are taken from the
    population mean (joined back) rather than from raw sums of squares, to avoid cancellation.
    """
    t = _prepared(py_year, by)
    tot = t.group_by(["fy", *SPLIT]).aggregate(
        people=t.count(), mean_cost=t._x.mean(), _sx=t._x.sum()
    )
    c = t.join(tot.select(*SPLIT, _m=tot.mean_cost), list(SPLIT))
    ss_total = c.group_by(list(SPLIT)).aggregate(_sst=((c._x - c._m) ** 2).sum())
    parts = []
    for factor, keys in FACTORS.items():
        cells = t.group_by([*SPLIT, *keys]).aggregate(_n=t.count(), _s=t._x.sum())
        cells = cells.join(tot.select(*SPLIT, _m=tot.mean_cost), list(SPLIT))
        ssb = cells.group_by(list(SPLIT)).aggregate(
            _ssb=(cells._n * (cells._s / cells._n - cells._m) ** 2).sum(), levels=cells.count()
        )
        parts.append(ssb.mutate(factor=ibis.literal(factor)))
    between = ibis.union(*parts)
    out = tot.join(ss_total, list(SPLIT)).join(between, list(SPLIT))
    return out.select(
        "fy",
        *SPLIT,
        "factor",
        "people",
        out.levels.cast("int64").name("levels"),
        eta_squared=ibis.ifelse(out._sst > 0, out._ssb / out._sst, ibis.null("float64")),
        mean_cost="mean_cost",
    )
