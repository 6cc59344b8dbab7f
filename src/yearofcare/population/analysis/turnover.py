"""Cohort turnover from one year to the next under a selection rule: of the people a rule picks
in year Y, how many it picks again in Y+1, and where the others went (died, left the area,
still here but no longer selected), plus the joiners new in Y+1.

Multimorbidity cohorts (LTC count ≥ k) should be more stable than top-cost cohorts, because
conditions persist while crises pass. Members are split by their group in Y; joiners by Y+1.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare.population.analysis.cohorts import cohort_members, death_years
from yearofcare.population.analysis.common import SelectionRule, attach_split

SPLIT = ("split_by", "split_value")


def cohort_turnover(
    py: ibis.Table,
    fys: Sequence[int],
    rules: Sequence[SelectionRule],
    by: str | None = None,
    scores: ibis.Table | None = None,
) -> ibis.Table:
    """One row per split × rule × consecutive pair of years (fy_from, fy_from + 1) in `fys`."""
    pairs = sorted(y for y in set(fys) if y + 1 in set(fys))
    m = cohort_members(py, rules, scores)
    a = m.select("person_id", "rule", "rule_label", fy_from=m.fy, _in_a=ibis.literal(True))
    b = m.select(
        _pid_b=m.person_id,
        _rule_b=m.rule,
        _label_b=m.rule_label,
        _from_b=(m.fy - 1).cast("int16"),
        _in_b=ibis.literal(True),
    )
    j = a.outer_join(b, [a.person_id == b._pid_b, a.rule == b._rule_b, a.fy_from == b._from_b])
    j = j.select(
        person_id=ibis.coalesce(j.person_id, j._pid_b),
        rule=ibis.coalesce(j.rule, j._rule_b),
        rule_label=ibis.coalesce(j.rule_label, j._label_b),
        fy_from=ibis.coalesce(j.fy_from, j._from_b).cast("int16"),
        _in_a=j._in_a.fill_null(False),
        _in_b=j._in_b.fill_null(False),
    )
    j = j.filter(j.fy_from.isin(pairs)) if pairs else j.limit(0)
    nxt = py.select(_pid=py.person_id, _fy=py.fy, _present=ibis.literal(True))
    j = j.left_join(nxt, [j.person_id == nxt._pid, j.fy_from + 1 == nxt._fy]).drop("_pid", "_fy")
    j = j.left_join(death_years(py), "person_id").drop("person_id_right")
    j = j.mutate(_split_fy=ibis.ifelse(j._in_a, j.fy_from, j.fy_from + 1).cast("int16"))
    j = attach_split(j, py, by, on_fy="_split_fy")
    present = j._present.fill_null(False)
    died = (j.death_fy == j.fy_from).fill_null(False)
    a_only = j._in_a & ~j._in_b
    j = j.mutate(
        _ret=j._in_a & j._in_b,
        _died=j._in_a & died,
        _left=a_only & ~present & ~died,
        _drop=a_only & present,
        _join=~j._in_a & j._in_b,
    )
    agg = j.group_by([*SPLIT, "rule", "rule_label", "fy_from"]).aggregate(
        members=j._in_a.cast("int64").sum(),
        retained=j._ret.cast("int64").sum(),
        died=j._died.cast("int64").sum(),
        left_area=j._left.cast("int64").sum(),
        dropped_out=j._drop.cast("int64").sum(),
        joiners=j._join.cast("int64").sum(),
        members_next=j._in_b.cast("int64").sum(),
    )
    still = (agg.retained + agg.dropped_out).nullif(0)
    return agg.select(
        *SPLIT,
        "rule",
        "rule_label",
        "fy_from",
        fy_to=(agg.fy_from + 1).cast("int16"),
        members=agg.members,
        retained=agg.retained,
        died=agg.died,
        left_area=agg.left_area,
        dropped_out=agg.dropped_out,
        joiners=agg.joiners,
        members_next=agg.members_next,
        retention=agg.retained / agg.members.nullif(0),
        retention_among_present=agg.retained / still,
    )
