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
from yearofcare.population.analysis.common import SelectionRule, attach_split, unpivot

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
    if not pairs:
        return _empty(py)
    m = cohort_members(py, rules, scores)
    # one row per person and rule, flagging each year the rule picked them (one read of the
    # cohort; no self-join), then one row per pair of years in which they were picked
    years = sorted(set(fys))
    flags = m.group_by(["person_id", "rule", "rule_label"]).aggregate(
        **{f"_y{y}": (m.fy == y).any() for y in years}
    )
    j = unpivot(
        flags,
        "fy_from",
        pairs,
        {"_in_a": [f"_y{y}" for y in pairs], "_in_b": [f"_y{y + 1}" for y in pairs]},
    )
    j = j.select(
        "person_id",
        "rule",
        "rule_label",
        fy_from=j.fy_from.cast("int16"),
        _in_a=j._in_a.fill_null(False),
        _in_b=j._in_b.fill_null(False),
    )
    j = j.filter(j._in_a | j._in_b)
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


def _empty(py: ibis.Table) -> ibis.Table:
    """The turnover table with no rows (fewer than two consecutive years)."""
    t = py.select(split_by=ibis.literal("all"), split_value=ibis.literal("All")).limit(0)
    ints = ("members", "retained", "died", "left_area", "dropped_out", "joiners", "members_next")
    return t.mutate(
        rule=ibis.literal(""),
        rule_label=ibis.literal(""),
        fy_from=ibis.literal(0, "int16"),
        fy_to=ibis.literal(0, "int16"),
        **{c: ibis.literal(0, "int64") for c in ints},
        retention=ibis.literal(0.0),
        retention_among_present=ibis.literal(0.0),
    )
