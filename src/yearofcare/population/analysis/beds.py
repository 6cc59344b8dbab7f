"""Bed demand by setting and month: occupied bed days and mean beds occupied, from `activity`.

Settings: acute (admitted acute care), community (community beds), mental health (inpatient
bed days) and care home (residential and nursing placements). Each stay's bed days are spread
over the months it spans in proportion to the nights that fall in each month — a stay from
30 January to 3 February (4 nights) gives 2 bed days to January and 2 to February — by a range
join against a small calendar of the analysed months, in the engine (no Python loops). The
recorded `bed_days` is kept as the total; when it is empty the length of stay (end − start) is
used; a stay with no usable end date runs from its start for its bed days. Mean beds occupied =
bed days in the month / days in the month.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare.population.analysis.common import attach_split, month_calendar, split

SPLIT = ("split_by", "split_value")
BED_SETTINGS: tuple[str, ...] = ("acute", "community", "mental_health", "care_home")
ACUTE = ("acute_non_elective", "acute_elective", "acute_day_case")
CARE_HOME = ("residential_care", "nursing_care")
_EPOCH = ibis.date(1970, 1, 1)


def bed_setting(activity: ibis.Table) -> ibis.StringValue:
    """Which bed setting an activity row occupies, or null when it is not a bed stay."""
    a = activity
    return ibis.cases(
        (a.setting.isin(ACUTE), "acute"),
        ((a.setting == "community") & (a.service_type == "community_bed"), "community"),
        (
            (a.setting == "mental_health")
            & ((a.unit_type == "bed_days") | (a.bed_days.fill_null(0) > 0)),
            "mental_health",
        ),
        ((a.setting == "social_care") & a.service_type.isin(CARE_HOME), "care_home"),
        else_=ibis.null("string"),
    )


def _day(d: ibis.DateValue) -> ibis.IntegerValue:
    return d.delta(_EPOCH, unit="day")


def stays(activity: ibis.Table) -> ibis.Table:
    """Bed stays as day-number intervals [_s, _e) with their bed days (_days > 0)."""
    a = activity.mutate(bed_setting=bed_setting(activity))
    a = a.filter(a.bed_setting.notnull())
    s = _day(a.start_date)
    e = _day(a.end_date)
    recorded = a.bed_days.cast("float64")
    los = (e - s).cast("float64")
    days = ibis.ifelse(recorded.isnan(), los, recorded).fill_null(los)
    a = a.select("person_id", "bed_setting", _s=s, _e=e, _days=days)
    a = a.filter(a._days > 0)
    span_end = ibis.ifelse(
        a._e.notnull() & (a._e > a._s), a._e, a._s + a._days.ceil().cast("int64")
    )
    return a.mutate(_e=span_end)


def bed_demand(
    activity: ibis.Table,
    fys: Sequence[int],
    py: ibis.Table | None = None,
    by: str | None = None,
    *,
    members: ibis.Table | None = None,
) -> ibis.Table:
    """Occupied bed days, mean beds occupied and people in a bed, by setting and month, for
    the months of the financial years `fys`. With `by`, each person's group comes from their
    person_year row for the month's financial year (`py`, all years). With `members`
    (person_id, fy: the analysis population), only the bed days of people in the population
    in the month's financial year count."""
    cal = month_calendar(tuple(fys))
    cal = cal.mutate(_ms=_day(cal.month), _me=_day(cal._month_end))
    st = stays(activity)
    j = st.join(cal, [st._s < cal._me, st._e > cal._ms])
    overlap = ibis.least(j._e, j._me) - ibis.greatest(j._s, j._ms)
    j = j.mutate(_bd=j._days * overlap.cast("float64") / (j._e - j._s).cast("float64"))
    if members is not None:
        m = members.select(_m_pid=members.person_id, _m_fy=members.fy.cast("int16"))
        j = j.semi_join(m, [j.person_id == m._m_pid, j.fy.cast("int16") == m._m_fy])
    if by is None:
        j = split(j, None)
    elif py is None:
        raise ValueError("bed_demand needs person_year (py) to split by a group")
    else:
        j = attach_split(j, py, by, on_fy="fy")
    agg = j.group_by([*SPLIT, "bed_setting", "month", "fy", "days_in_month"]).aggregate(
        people=j.person_id.nunique(), stays=j.count(), bed_days=j._bd.sum()
    )
    return agg.mutate(mean_beds_occupied=agg.bed_days / agg.days_in_month)
