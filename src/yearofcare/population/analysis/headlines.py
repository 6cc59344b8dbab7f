"""The headline of each analysis section: one sentence of the key figure, computed from the
(suppressed, whole-population) tables; None when the data cannot support it. What each analysis
shows is in its template (`templates/<analysis>.html.j2`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from yearofcare.fy import fy_label
from yearofcare.population.analysis.charts import BED_LABELS
from yearofcare.population.analysis.common import ALL, COST_GROUP_LABELS, LTC_BANDS
from yearofcare.population.analysis.kent import summarise_kent

Frames = Mapping[str, pd.DataFrame]


def _whole(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame()
    return frame[frame.split_by == ALL]


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _money(x: float) -> str:
    return f"£{x:,.0f}"


def _band_means(frames: Frames) -> pd.Series:
    s = _whole(frames.get("analysis_cost_by_ltc_setting"))
    if s.empty:
        return pd.Series(dtype=float)
    return s.groupby("ltc_band")["mean_cost"].sum(min_count=1).dropna()


def _cost_by_ltc_age(frames: Frames) -> str | None:
    means = _band_means(frames)
    bands = [b for b in LTC_BANDS if b in means.index]
    if len(bands) < 2 or bands[0] != "0" or means[bands[0]] <= 0:
        return None
    lo, hi = means[bands[0]], means[bands[-1]]
    return (
        f"People with {bands[-1]} LTCs cost {_money(hi)} a year on average, "
        f"{hi / lo:.1f} times the {_money(lo)} of people with none."
    )


def _kent(frames: Frames) -> dict | None:
    strength = frames.get("analysis_cost_strength")
    setting = frames.get("analysis_cost_by_ltc_setting")
    if strength is None or setting is None or strength.empty or setting.empty:
        return None
    return summarise_kent(strength, setting)


def _setting(frames: Frames) -> str | None:
    k = _kent(frames)
    if not k or not k["excess_by_setting"] or not k["excess_total"]:
        return None
    top = k["largest_excess_setting"]
    amount = k["excess_by_setting"][top]
    lo, hi = k["compared_bands"]
    return (
        f"People with {hi} LTCs cost {_money(k['excess_total'])} a year more than people with "
        f"{lo}; the largest part, {_money(amount)} ({amount / k['excess_total']:.0%}), is "
        f"{COST_GROUP_LABELS.get(top, top).lower()} care."
    )


def _strength(frames: Frames) -> str | None:
    k = _kent(frames)
    if not k or k["eta_squared_ltc"] is None or k["eta_squared_age"] is None:
        return None
    verdict = "more" if k["ltc_explains_more_than_age"] else "less"
    return (
        f"The number of LTCs explains {_pct(k['eta_squared_ltc'])} of the variation in "
        f"person cost and age band {_pct(k['eta_squared_age'])}: conditions explain cost "
        f"{verdict} strongly than age."
    )


def _concentration(frames: Frames) -> str | None:
    c = _whole(frames.get("analysis_cost_concentration")).dropna(subset=["share_of_cost"])
    if c.empty:
        return None
    parts = [
        f"the top {p:g}% use {_pct(s)}" for p, s in zip(c.top_percent, c.share_of_cost, strict=True)
    ]
    return "Of all cost, " + "; ".join(parts) + "."


def _ltc_share(frames: Frames) -> str | None:
    s = _whole(frames.get("analysis_ltc_share")).set_index("measure")
    if s.empty or "cost" not in s.index or pd.isna(s.loc["cost", "share_with_ltc"]):
        return None
    people = s.loc["cost", "share_of_people"]
    extras = [
        f"{_pct(s.loc[m, 'share_with_ltc'])} of {label}"
        for m, label in (
            ("gp_contacts", "GP contacts"),
            ("outpatient_attendances", "outpatient attendances"),
            ("bed_days", "hospital bed days"),
        )
        if m in s.index and pd.notna(s.loc[m, "share_with_ltc"])
    ]
    tail = (", " + ", ".join(extras)) if extras else ""
    return (
        f"People with at least one LTC are {_pct(people)} of the population but use "
        f"{_pct(s.loc['cost', 'share_with_ltc'])} of cost{tail}."
    )


def _mm(frames: Frames) -> str | None:
    m = _whole(frames.get("analysis_mm_overlap")).dropna(subset=["people"])
    if m.empty:
        return None
    mental = m[m.mental_band != "0"]
    physical = m[m.physical_band != "0"]
    if mental.people.sum() == 0 or physical.people.sum() == 0:
        return None
    both = m[(m.mental_band != "0") & (m.physical_band != "0")].people.sum()
    return (
        f"{both / mental.people.sum():.0%} of people with a mental health condition also have a "
        f"physical LTC, and {both / physical.people.sum():.0%} of people with a physical LTC "
        "also have a mental health condition."
    )


def _risk(frames: Frames) -> str | None:
    r = _whole(frames.get("analysis_risk_overlap")).dropna(subset=["people"])
    if r.empty:
        return None
    p = max(r.top_percent)
    r = r[r.top_percent == p].set_index("segment").people
    risk_total = r.get("both", 0) + r.get("risk_only", 0)
    if not risk_total:
        return None
    return (
        f"Of the top {p:g}% by risk score, {r.get('both', 0) / risk_total:.0%} are also in the "
        f"top {p:g}% by number of LTCs."
    )


def _crisis(frames: Frames) -> str | None:
    c = _whole(frames.get("analysis_crisis_curve"))
    if c.empty:
        return None
    c = c[c.selection_fy == c.selection_fy.min()]
    first_year = c[c.years_since == 0].dropna(subset=["mean_cost_per_member"])
    if first_year.empty:
        return None
    rule = first_year.sort_values("mean_cost_per_member").rule_label.iloc[-1]
    rows = c[c.rule_label == rule].sort_values("years_since")
    if len(rows) < 2 or rows.mean_cost_per_member.isna().any():
        return None
    first, last = rows.iloc[0], rows.iloc[-1]
    change = last.mean_cost_per_member / first.mean_cost_per_member - 1
    died = (
        f"; {last.died_cumulative / first.members:.0%} of them had died by then"
        if pd.notna(last.died_cumulative) and first.members
        else ""
    )
    return (
        f"{rule} in {fy_label(int(first.fy))}: {_money(first.mean_cost_per_member)} per person "
        f"that year, {_money(last.mean_cost_per_member)} per person selected in "
        f"{fy_label(int(last.fy))} ({change:+.0%}){died}."
    )


def _turnover(frames: Frames) -> str | None:
    t = _whole(frames.get("analysis_cohort_turnover")).dropna(subset=["retention"])
    if t.empty:
        return None
    last = t[t.fy_from == t.fy_from.max()]
    parts = [f"{r.rule_label.lower()}: {_pct(r.retention)}" for r in last.itertuples()]
    return (
        f"Still selected in {fy_label(int(last.fy_to.iloc[0]))} after being selected in "
        f"{fy_label(int(last.fy_from.iloc[0]))} — " + "; ".join(parts) + "."
    )


def _beds(frames: Frames) -> str | None:
    b = _whole(frames.get("analysis_bed_demand")).dropna(subset=["bed_days"])
    if b.empty:
        return None
    year = b[b.fy == b.fy.max()]
    per_setting = year.groupby("bed_setting").bed_days.sum() / year.groupby(
        "bed_setting"
    ).days_in_month.sum().clip(lower=1)
    parts = [
        f"{per_setting[k]:,.0f} {BED_LABELS[k].lower()}" for k in BED_LABELS if k in per_setting
    ]
    return (
        f"In {fy_label(int(year.fy.iloc[0]))} an average of "
        + ", ".join(parts)
        + " beds were occupied (months with small numbers suppressed are left out)."
    )


HEADLINES: dict[str, Callable[[Frames], str | None]] = {
    "analysis_cost_by_ltc_age": _cost_by_ltc_age,
    "analysis_cost_by_ltc_setting": _setting,
    "analysis_cost_strength": _strength,
    "analysis_cost_concentration": _concentration,
    "analysis_ltc_share": _ltc_share,
    "analysis_mm_overlap": _mm,
    "analysis_risk_overlap": _risk,
    "analysis_crisis_curve": _crisis,
    "analysis_cohort_turnover": _turnover,
    "analysis_bed_demand": _beds,
}


def headline(table: str, frames: Frames) -> str | None:
    """One sentence of the key figure for `table`, or None when the data cannot support it."""
    return HEADLINES[table](frames)
