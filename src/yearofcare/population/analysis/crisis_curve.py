"""The crisis curve (Kent Figure 6): a cohort selected in year Y, followed through Y and the
years after — mean cost falls back as the crisis that got people selected passes (regression to
the mean), and some members die.

Every member selected in Y stays in the denominator of `mean_cost_per_member` (people who died
or left the area count as zero cost); `mean_cost_observed` is over members still present that
year. Deaths are counted in the year person_year records them and cumulatively.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare.population.analysis.cohorts import cohort_members, death_years
from yearofcare.population.analysis.common import SelectionRule, amount, attach_split, fy_table
from yearofcare.sums import exact_sum

SPLIT = ("split_by", "split_value")


def crisis_curve(
    py: ibis.Table,
    fys: Sequence[int],
    rules: Sequence[SelectionRule],
    by: str | None = None,
    scores: ibis.Table | None = None,
) -> ibis.Table:
    """Mean cost of each rule's cohort, for every selection year in `fys` and each year from it
    to the last year in `fys`. `py` is person_year for all years; members are split by their
    group in the selection year."""
    members = cohort_members(py, rules, scores).rename(selection_fy="fy")
    members = attach_split(members, py, by, on_fy="selection_fy")
    years = fy_table(tuple(fys))
    follow = members.join(years, members.selection_fy <= years.fy)
    rows = py.select(
        _pid=py.person_id,
        _fy=py.fy,
        _obs=ibis.literal(True),
        _x=amount(py.cost_total),
        _ne=amount(py.cost_non_elective),
        _adm=py.n_emergency.fill_null(0) > 0,
    )
    f = follow.left_join(rows, [follow.person_id == rows._pid, follow.fy == rows._fy])
    f = f.drop("_pid", "_fy").left_join(death_years(py), "person_id").drop("person_id_right")
    obs = f._obs.fill_null(False)
    died_by = f.death_fy.notnull() & (f.death_fy <= f.fy)
    f = f.mutate(
        _o=obs,
        _dy=(f.death_fy == f.fy).fill_null(False),
        _dc=died_by.fill_null(False),
        _lost=~obs & ~died_by.fill_null(False),
        _xc=ibis.ifelse(obs, f._x, 0.0),
        _nec=ibis.ifelse(obs, f._ne, 0.0),
        _admc=(obs & f._adm.fill_null(False)),
    )
    agg = f.group_by([*SPLIT, "rule", "rule_label", "selection_fy", "fy"]).aggregate(
        members=f.count(),
        observed=f._o.cast("int64").sum(),
        died_in_year=f._dy.cast("int64").sum(),
        died_cumulative=f._dc.cast("int64").sum(),
        lost_to_follow_up=f._lost.cast("int64").sum(),
        with_emergency_admission=f._admc.cast("int64").sum(),
        _cost=exact_sum(f._xc),
        _ne_cost=exact_sum(f._nec),
    )
    observed = agg.observed.nullif(0)
    return agg.select(
        *SPLIT,
        "rule",
        "rule_label",
        "selection_fy",
        "fy",
        years_since=(agg.fy - agg.selection_fy).cast("int16"),
        members=agg.members,
        observed=agg.observed,
        died_in_year=agg.died_in_year,
        died_cumulative=agg.died_cumulative,
        lost_to_follow_up=agg.lost_to_follow_up,
        with_emergency_admission=agg.with_emergency_admission,
        mean_cost_observed=agg._cost / observed,
        mean_cost_per_member=agg._cost / agg.members,
        mean_cost_non_elective_observed=agg._ne_cost / observed,
        share_with_emergency_admission=agg.with_emergency_admission / observed,
    )
