"""Who each selection rule picks in each year: the cohorts the crisis curve and turnover follow.

Top-percent rules rank each year's population (ties broken by pseudonym, so the same on every
engine), sorting only the rows that can make the top group (`common.top_ranked`); LTC rules
are filters.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pyarrow as pa

from yearofcare.population.analysis.common import SelectionRule, amount, top_ranked


def cohort_members(
    py: ibis.Table, rules: Sequence[SelectionRule], scores: ibis.Table | None = None
) -> ibis.Table:
    """person_id, fy, rule, rule_label: the people each rule selects in each year of `py`.

    `scores` (person_id, fy, score) serves `top_score` rules; those rules are left out when it
    is None (the caller reports them as skipped). Each kind of rule reads its ranking once and
    joins it to a literal table of that kind's rules.
    """
    parts: list[ibis.Table] = []
    cost_rules = [r for r in rules if r.kind == "top_cost"]
    if cost_rules:
        ranked = top_ranked(
            py.select("person_id", "fy", _v=amount(py.cost_total)),
            "_v",
            ["fy"],
            max(r.value for r in cost_rules),
        )
        parts.append(_within_top(ranked, cost_rules))
    ltc_rules = [r for r in rules if r.kind == "ltc_min"]
    if ltc_rules:
        people = py.select("person_id", "fy", _ltc=py.ltc_count.fill_null(0))
        lit = _rules(ltc_rules)
        parts.append(_members(people.join(lit, people._ltc >= lit._value)))
    score_rules = [r for r in rules if r.kind == "top_score"]
    if score_rules and scores is not None:
        s = py.select("person_id", "fy").join(
            scores.select("person_id", "fy", _v=scores.score.cast("float64")), ["person_id", "fy"]
        )
        s = s.filter(s._v.notnull() & ~s._v.isnan())
        # the top p% of the people with a score that year (risk tools score everyone)
        ranked = top_ranked(s, "_v", ["fy"], max(r.value for r in score_rules))
        parts.append(_within_top(ranked, score_rules))
    if not parts:
        return (
            py.select("person_id", "fy")
            .limit(0)
            .mutate(rule=ibis.literal(""), rule_label=ibis.literal(""))
        )
    return ibis.union(*parts)


def _rules(rules: Sequence[SelectionRule]) -> ibis.Table:
    """A literal table of rules: id, label, value and value in hundredths (for top counts)."""
    return ibis.memtable(
        pa.table(
            {
                "rule": [r.id for r in rules],
                "rule_label": [r.label for r in rules],
                "_value": pa.array([r.value for r in rules], pa.float64()),
                "_bp": pa.array([round(r.value * 100) for r in rules], pa.int64()),
            }
        )
    )


def _within_top(ranked: ibis.Table, rules: Sequence[SelectionRule]) -> ibis.Table:
    """Rows of `ranked` (with _rank, _n) inside each rule's top ceil(n × p)."""
    lit = _rules(rules)
    inside = ranked._rank < (ranked._n.cast("int64") * lit._bp + 9999) // 10000
    return _members(ranked.join(lit, inside))


def _members(t: ibis.Table) -> ibis.Table:
    return t.select("person_id", t.fy.cast("int16").name("fy"), "rule", "rule_label")


def death_years(py: ibis.Table) -> ibis.Table:
    """person_id and death_fy (the year person_year records the death in)."""
    dead = py.filter(py.died_in_year.fill_null(False))
    return dead.group_by("person_id").aggregate(death_fy=dead.fy.min())
