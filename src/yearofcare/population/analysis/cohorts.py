"""Who each selection rule picks in each year: the cohorts the crisis curve and turnover follow.

Top-percent rules rank each year's population (ties broken by pseudonym, so the same on every
engine), sorting only the rows that can make the top group (`common.top_ranked`); LTC rules
are filters.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare.population.analysis.common import SelectionRule, amount, top_count, top_ranked


def cohort_members(
    py: ibis.Table, rules: Sequence[SelectionRule], scores: ibis.Table | None = None
) -> ibis.Table:
    """person_id, fy, rule, rule_label: the people each rule selects in each year of `py`.

    `scores` (person_id, fy, score) serves `top_score` rules; those rules are left out when it
    is None (the caller reports them as skipped).
    """
    n = py.count().over(ibis.window(group_by="fy"))
    parts: list[ibis.Table] = []
    cost_rules = [r for r in rules if r.kind == "top_cost"]
    if cost_rules:
        ranked = top_ranked(
            py.select("person_id", "fy", _v=amount(py.cost_total)),
            "_v",
            ["fy"],
            max(r.value for r in cost_rules),
        )
        for r in cost_rules:
            parts.append(_tag(ranked.filter(ranked._rank < top_count(ranked._n, r.value)), r))
    for r in rules:
        if r.kind == "ltc_min":
            parts.append(_tag(py.filter(py.ltc_count.fill_null(0) >= r.value), r))
    score_rules = [r for r in rules if r.kind == "top_score"]
    if score_rules and scores is not None:
        people = py.select("person_id", "fy", _n=n)
        s = people.join(scores.select("person_id", "fy", "score"), ["person_id", "fy"])
        s = s.filter(s.score.notnull())
        s = s.mutate(
            _rank=ibis.row_number().over(
                ibis.window(group_by="fy", order_by=[ibis.desc(s.score), s.person_id])
            )
        )
        for r in score_rules:
            parts.append(_tag(s.filter(s._rank < top_count(s._n, r.value)), r))
    if not parts:
        return (
            py.select("person_id", "fy")
            .limit(0)
            .mutate(rule=ibis.literal(""), rule_label=ibis.literal(""))
        )
    return ibis.union(*parts)


def _tag(t: ibis.Table, rule: SelectionRule) -> ibis.Table:
    return t.select(
        "person_id",
        t.fy.cast("int16").name("fy"),
        rule=ibis.literal(rule.id),
        rule_label=ibis.literal(rule.label),
    )


def death_years(py: ibis.Table) -> ibis.Table:
    """person_id and death_fy (the year person_year records the death in)."""
    dead = py.filter(py.died_in_year.fill_null(False))
    return dead.group_by("person_id").aggregate(death_fy=dead.fy.min())
