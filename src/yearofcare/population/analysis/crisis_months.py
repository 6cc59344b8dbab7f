"""The monthly crisis curves: cost per person month by month around death and around a first
emergency admission (the annual crisis curve, Kent Figure 6, month by month).

- **Death**: everyone in the analysis population who died in a year of the data, in the 24
  months up to and including the month of death (month 0).
- **First emergency admission**: everyone in the population in the year of their first
  emergency admission (`population.admissions`) after at least 12 observed months without
  one, from 12 months before to 12 months after (month 0 = the admission's month). People who
  die after it stay in the denominator at zero cost, as in the annual curve.

A person counts in month k when that calendar month lies inside the years analysed (the
curve is not extrapolated past the data). Activity is costed as `yoc build` costs it
(`costed.py`) and counted in the month it starts (a spell's cost in its admission month).
Expressions only: a join of the anchors with a small literal table of month offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import ibis
import pandas as pd
import pyarrow as pa

from yearofcare.population.admissions import NON_ELECTIVE, is_emergency_admission
from yearofcare.population.analysis.charts import _compose, _t
from yearofcare.population.analysis.common import ALL, amount, attach_split
from yearofcare.reports.blocks import Pivot
from yearofcare.reports.charts import colour
from yearofcare.reports.formats import money
from yearofcare.schemas.population import COST_GROUPS
from yearofcare.sums import exact_sum

SPLIT = ("split_by", "split_value")
LOOKBACK = 12
#: anchor → (label, first and last month from the event)
ANCHORS: dict[str, tuple[str, int, int]] = {
    "death": ("Death", -24, 0),
    "first_emergency_admission": ("First emergency admission", -12, 12),
}
HOSPITAL = tuple(s for g in ("non_elective", "elective", "day_case", "outpatient", "ae")
                 for s in COST_GROUPS[g])  # fmt: skip


def month_index(d: ibis.DateValue) -> ibis.IntegerValue:
    """Months since year 0: January 2024 = 2024 × 12."""
    return (d.year() * 12 + d.month() - 1).cast("int32")


def _fy_of_index(mi: ibis.IntegerValue) -> ibis.IntegerValue:
    y, m = mi // 12, mi % 12 + 1
    return ibis.ifelse(m >= 4, y, y - 1).cast("int16")


def _offsets() -> ibis.Table:
    rows = [(a, k) for a, (_, lo, hi) in ANCHORS.items() for k in range(lo, hi + 1)]
    return ibis.memtable(
        pa.table(
            {
                "_o_anchor": pa.array([a for a, _ in rows]),
                "months_from_event": pa.array([k for _, k in rows], pa.int16()),
            }
        )
    )


def crisis_months(
    py: ibis.Table, costed: ibis.Table, fys: Sequence[int], by: str | None = None
) -> ibis.Table:
    """One row per split × anchor × month from the event: people observed, deaths so far, and
    mean cost per person in the month (all care, hospital, out of hospital, non-elective).
    `py` is person_year of the analysis population (all years); `costed` is costed activity."""
    first, last = min(fys) * 12 + 3, (max(fys) + 1) * 12 + 2  # April of the first year, March
    c = costed.mutate(_mi=month_index(costed.start_date))
    monthly = c.group_by(["person_id", "_mi"]).aggregate(
        _cost=exact_sum(c.cost),
        _hosp=exact_sum(c.cost, where=c.setting.isin(list(HOSPITAL))),
        _ne=exact_sum(c.cost, where=c.setting == NON_ELECTIVE),
    )
    dead = py.filter(py.died_in_year & py.date_of_death.notnull())
    deaths = dead.group_by("person_id").aggregate(_dmi=month_index(dead.date_of_death).min())
    members = py.select(_p_id=py.person_id, _p_fy=py.fy.cast("int16"))
    death_anchor = dead.select(
        "person_id",
        anchor=ibis.literal("death"),
        anchor_fy=dead.fy.cast("int16"),
        _ami=month_index(dead.date_of_death),
    ).distinct()
    e = c.filter(is_emergency_admission(c.setting, c.service_type))
    e = e.group_by("person_id").aggregate(_ami=e._mi.min())
    e = e.filter(e._ami >= first + LOOKBACK).mutate(anchor_fy=_fy_of_index(e._ami))
    e = e.semi_join(members, [e.person_id == members._p_id, e.anchor_fy == members._p_fy])
    admission_anchor = e.select(
        "person_id", anchor=ibis.literal("first_emergency_admission"), anchor_fy="anchor_fy",
        _ami="_ami",
    )  # fmt: skip
    anchors = ibis.union(death_anchor, admission_anchor, distinct=False)
    anchors = anchors.left_join(deaths, "person_id").drop("person_id_right")
    o = _offsets()
    f = anchors.join(o, anchors.anchor == o._o_anchor).drop("_o_anchor")
    f = f.mutate(_tmi=f._ami + f.months_from_event.cast("int32"))
    f = f.filter((f._tmi >= first) & (f._tmi <= last))
    m = monthly.rename(_m_pid="person_id", _m_mi="_mi")
    f = f.left_join(m, [f.person_id == m._m_pid, f._tmi == m._m_mi]).drop("_m_pid", "_m_mi")
    f = attach_split(f, py, by, on_fy="anchor_fy")
    died = (f._dmi.notnull() & (f._dmi <= f._tmi)).cast("int64")
    agg = f.group_by([*SPLIT, "anchor", "months_from_event"]).aggregate(
        people=f.count(),
        deaths=died.sum(),
        cost_total=exact_sum(amount(f._cost)),
        _hosp=exact_sum(amount(f._hosp)),
        _ne=exact_sum(amount(f._ne)),
    )
    n = agg.people.nullif(0).cast("float64")
    label = ibis.cases(*[(agg.anchor == a, lbl) for a, (lbl, _, _) in ANCHORS.items()])
    return agg.select(
        *SPLIT,
        "anchor",
        anchor_label=label,
        months_from_event=agg.months_from_event.cast("int16"),
        people=agg.people,
        deaths=agg.deaths,
        cost_total=agg.cost_total,
        mean_cost=agg.cost_total / n,
        mean_cost_hospital=agg._hosp / n,
        mean_cost_out_of_hospital=(agg.cost_total - agg._hosp) / n,
        mean_cost_non_elective=agg._ne / n,
    )


# ---- report pieces ---------------------------------------------------------------------------
MONTHS = tuple(range(-24, 13))
DISPLAY = [
    Pivot(
        "Mean cost per person in the month (£)",
        "months_from_event",
        "Months from the event",
        "anchor_label",
        "mean_cost",
        money,
        index_order=MONTHS,
        column_order=tuple(lbl for lbl, _, _ in ANCHORS.values()),
        index_labels={0: "0 (the event's month)"},
    ),
    Pivot(
        "People followed",
        "months_from_event",
        "Months from the event",
        "anchor_label",
        "people",
        lambda v: f"{v:,.0f}",
        index_order=MONTHS,
        column_order=tuple(lbl for lbl, _, _ in ANCHORS.values()),
    ),
]


def chart(frame: pd.DataFrame) -> dict[str, Any]:
    order = [lbl for lbl, _, _ in ANCHORS.values()]

    def draw(d: pd.DataFrame, w: int, h: int, small: bool) -> alt.Chart:
        return (
            alt.Chart(d)
            .mark_line(point=True)
            .encode(
                x=alt.X("months_from_event:Q", title=_t("Months from the event (0 = its month)", small)),
                y=alt.Y("mean_cost:Q", title=_t("Mean cost per person in the month (£)", small),
                        axis=alt.Axis(format=",.0f")),
                color=colour("anchor_label", "Event", order),
                tooltip=["anchor_label", "months_from_event", "people",
                         alt.Tooltip("mean_cost", format=",.0f")],
            )
            .properties(width=w, height=h)
        )  # fmt: skip

    return _compose(draw, frame, "people")


def headline(frames) -> str | None:
    t = frames.get("analysis_crisis_months")
    if t is None or t.empty:
        return None
    w = t[t.split_by == ALL].dropna(subset=["mean_cost"]).set_index(["anchor", "months_from_event"])
    parts = []
    for anchor, before, what in (
        ("first_emergency_admission", -12, "a first emergency admission"),
        ("death", -12, "death"),
    ):
        if (anchor, 0) in w.index and (anchor, before) in w.index:
            at, then = w.loc[(anchor, 0), "mean_cost"], w.loc[(anchor, before), "mean_cost"]
            times = f", {at / then:.1f} times" if then > 0 else ""
            parts.append(
                f"in the month of {what} people cost £{at:,.0f} on average{times} the "
                f"£{then:,.0f} of a year before"
            )
    return (parts[0][0].upper() + "; ".join(parts)[1:] + ".") if parts else None
