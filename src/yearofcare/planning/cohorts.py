"""Ibis pieces of the simulation: who is in each of a scenario's cohorts in each year, and the
activity, bed days and cost of every member in the years that follow.

Bands rank the population by risk (`risk_percentile`, 0–100, the percent rank of the score in
the year: 99.5 and above is the top 0.5 %). A band [a, b] (percent from the top) holds the
people with 100 − b ≤ risk_percentile < 100 − a, the top band also the highest score. Rules are
the cohort rule language over person_year with the need columns; a person matching several is
in the first cohort listed.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare.cohorts.rules import parse_rule
from yearofcare.fy import fy_expr
from yearofcare.planning import settings as st
from yearofcare.planning.scenario import Cohort
from yearofcare.segmentation.frame import frame_columns, need_frame
from yearofcare.sums import exact_sum


def feature_columns() -> list[str]:
    """Per person-year columns: activity, bed days and cost of every setting, in that order."""
    return [f"{m}_{s}" for m in ("a", "b", "k") for s in st.IDS]


def features(py: ibis.Table, activity: ibis.Table | None) -> ibis.Table:
    """person_id, fy and, per setting, activity (a_), bed days (b_) and cost (k_) in the year.

    Acute bed days are summed from `activity` by the year the spell starts (as person_year
    counts it); the other bedded settings read person_year's own bed-day columns.
    """
    beds: dict[str, ibis.Value] = {}
    t = py
    if activity is not None:
        a = activity.filter(activity.setting.isin(list(st.ACTIVITY_BEDS.values())))
        a = a.mutate(_fy=fy_expr(a.start_date), _bd=a.bed_days.fill_null(0.0))
        agg = a.group_by([a.person_id.name("_pid"), a._fy]).aggregate(
            **{
                f"_b_{s}": exact_sum(a._bd, where=a.setting == setting)
                for s, setting in st.ACTIVITY_BEDS.items()
            }
        )
        t = py.left_join(agg, [py.person_id == agg._pid, py.fy == agg._fy])
        beds = {s: t[f"_b_{s}"] for s in st.ACTIVITY_BEDS}
    for s, col in st.PERSON_YEAR_BEDS.items():
        beds[s] = t[col]
    values: dict[str, ibis.Value] = {}
    for s, setting in st.SETTINGS.items():
        values[f"a_{s}"] = t[setting.activity].cast("float64").fill_null(0.0)
    for s in st.IDS:
        b = beds.get(s)
        values[f"b_{s}"] = b.cast("float64").fill_null(0.0) if b is not None else ibis.literal(0.0)
    for s, setting in st.SETTINGS.items():
        values[f"k_{s}"] = t[setting.cost].cast("float64").fill_null(0.0)
    return t.select(person_id=t.person_id, fy=t.fy.cast("int16"), **values)


def cohort_frame(py: ibis.Table, need: ibis.Table | None, scores: ibis.Table | None) -> ibis.Table:
    """person_year with the need columns rules read; `risk_percentile` from risk_score when the
    store has scores but no levels of need."""
    frame = need_frame(py, need)
    if need is None and scores is not None:
        s = scores.select(_sp=scores.person_id, _sf=scores.fy, _rp=scores.risk_percentile)
        frame = frame.left_join(s, [frame.person_id == s._sp, frame.fy == s._sf])
        frame = frame.mutate(risk_percentile=frame._rp.cast("float64")).drop("_sp", "_sf", "_rp")
    return frame


def assign(frame: ibis.Table, cohorts: Sequence[Cohort], source: str = "scenario") -> ibis.Table:
    """person_id, fy, cohort (position in `cohorts`): each person-year in at most one cohort."""
    cases = []
    for i, c in enumerate(cohorts):
        if c.band is not None:
            lo, hi = c.band
            p = frame.risk_percentile
            inside = p >= 100.0 - hi
            if lo > 0:
                inside = inside & (p < 100.0 - lo)
            cases.append((inside.fill_null(False), i))
        else:
            rule = parse_rule(c.rule, frame_columns(), source=f"{source}, cohort {c.id}")
            cases.append((rule.compile(frame), i))
    cohort = ibis.cases(*cases, else_=ibis.null("int16")).cast("int16")
    t = frame.select("person_id", fy=frame.fy.cast("int16"), cohort=cohort)
    return t.filter(t.cohort.notnull())


def base_rows(assigned: ibis.Table, feats: ibis.Table, base_fy: int) -> ibis.Table:
    """The base year's members with their features: person_id, cohort, a_…, b_…, k_…."""
    m = assigned.filter(assigned.fy == base_fy)
    f = feats.filter(feats.fy == base_fy)
    j = m.join(f, ["person_id", "fy"])
    return j.select("person_id", "cohort", *feature_columns())


def death_years(py: ibis.Table) -> ibis.Table:
    dead = py.filter(py.died_in_year.fill_null(False))
    return dead.group_by(dead.person_id.name("_dpid")).aggregate(_death_fy=dead.fy.min())


def history_rows(
    assigned: ibis.Table,
    feats: ibis.Table,
    py: ibis.Table,
    base_fy: int,
    horizon: int,
) -> ibis.Table:
    """Members selected in each year before `base_fy`, followed up to `horizon` years (not past
    `base_fy`): person_id, sel_fy, cohort, k, present, died (by the end of the year) and the
    features of the year (zero when absent)."""
    sel = assigned.filter(assigned.fy < base_fy).rename(sel_fy="fy")
    ks = ibis.memtable({"k": list(range(horizon + 1))}).mutate(k=lambda t: t.k.cast("int16"))
    follow = sel.cross_join(ks)
    follow = follow.filter(follow.sel_fy + follow.k <= base_fy).mutate(
        _y=(follow.sel_fy + follow.k).cast("int16")
    )
    f = feats.rename(_fpid="person_id", _ffy="fy")
    j = follow.left_join(f, [follow.person_id == f._fpid, follow._y == f._ffy])
    d = death_years(py)
    j = j.left_join(d, j.person_id == d._dpid)
    present = j._fpid.notnull()
    died = (j._death_fy.notnull() & (j._death_fy <= j._y)).fill_null(False)
    return j.select(
        "person_id",
        "sel_fy",
        "cohort",
        "k",
        present=present,
        died=died,
        **{c: j[c].fill_null(0.0) for c in feature_columns()},
    )


def joiners(assigned: ibis.Table, base_fy: int) -> ibis.Table:
    """cohort, fy, members (selected in fy − 1), joiners (selected in fy, not in fy − 1)."""
    a = assigned.filter(assigned.fy <= base_fy)
    prev = a.select(_pp=a.person_id, _pf=(a.fy + 1).cast("int16"), _pc=a.cohort)
    j = a.left_join(prev, [a.person_id == prev._pp, a.fy == prev._pf, a.cohort == prev._pc])
    new = j.group_by(["cohort", "fy"]).aggregate(joiners=j._pp.isnull().cast("int64").sum())
    counts = a.group_by(["cohort", "fy"]).aggregate(members=a.count())
    counts = counts.mutate(fy=(counts.fy + 1).cast("int16"))
    out = new.join(counts, ["cohort", "fy"])
    return out.select("cohort", "fy", "members", "joiners")
