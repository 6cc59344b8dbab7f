"""Who each selection rule picks in each year: the cohorts the crisis curve and turnover follow.

Top-percent rules rank each year's whole population once (one window partitioned by year, ties
broken by pseudonym so the same on every engine); LTC rules are filters.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare.population.analysis.common import SelectionRule, amount, top_count


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


def top_ranked(t: ibis.Table, percent: float) -> ibis.Table:
    """Candidates for the top `percent` of each year by `_v`, ranked: `t` (person_id, fy, _v)
    with `_n` (people that year) and `_rank` (0 = highest `_v`, ties broken by person_id).

    Only rows that can be in the top `percent` are sorted: those at or above the year's
    (1 − 3p) quantile of `_v`. That is exact, not an approximation: the value at that level is
    at most the (k+1)-th smallest, k = floor(level × (n − 1)), which has at least
    3p(n − 1) ≥ ceil(pn) people above it whenever p(2n − 3) ≥ 1; smaller years keep everyone.
    Whatever the quantile convention (interpolated or discrete), everyone who could rank in
    the top ceil(pn) — ties included — is a candidate, and ranks among candidates equal ranks
    among all. This sorts ~3p of the rows instead of all of them.
    """
    bp = round(percent * 100)  # hundredths of a percent: p(2n − 3) ≥ 1 ⟺ bp(2n − 3) ≥ 10,000
    level = max(0.0, 1.0 - 3 * bp / 10_000)
    stats = t.group_by("fy").aggregate(_n=t.count(), _q=t._v.quantile(level))
    c = t.join(stats, "fy")
    c = c.filter((c._v >= c._q) | ((2 * c._n.cast("int64") - 3) * bp < 10_000))
    return c.mutate(
        _rank=ibis.row_number().over(
            ibis.window(group_by="fy", order_by=[ibis.desc(c._v), c.person_id])
        )
    )


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
