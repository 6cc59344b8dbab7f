"""Levels of need, the 3×3 matrix, rising risk and annual change — Ibis pieces.

Per person-year (seed 000 annex 2; 004 §7.2):

- classified: has a long-term condition (the `levels.ltc_rule`) or meets an End of life rule,
  or everyone when `levels.classify` is `everyone`;
- threshold percentile: percent rank of the score among the classified people of the year
  (0–100; 96 = above 96 % of them);
- level: End of life (first End of life rule met), else High / Medium / Low by the thresholds
  (percentile or score), else empty for people not classified or without a score;
- matrix: functional need and complexity of health need (1–3) from the DST domains of the
  latest assessment dated in the year or up to `assessment_valid_months` before its end,
  otherwise from the proxy rules; the matrix maps the cell to the level it supports;
- rising risk: the measure (risk percentile or score) up by at least `increase` since
  `window_years` before, and the level not among `exclude_levels`;
- annual change: against the previous year, by level (up = deteriorated) or by risk
  percentile (moved by more than `tolerance` points).
"""

from __future__ import annotations

import ibis

from yearofcare import vocab
from yearofcare.cohorts.rules import Rule
from yearofcare.segmentation.config import Matrix, NeedRules
from yearofcare.sums import exact_mean


# ---- DST domains to the matrix -----------------------------------------------------------
def _axis(t: ibis.Table, domains: tuple[str, ...], maxima: dict[str, int], cuts) -> ibis.Value:
    """1–3 from the mean of the domains' shares of their maximum (empty domains left out)."""
    total = ibis.literal(0.0)
    count = ibis.literal(0)
    for d in domains:
        v = t[f"dst_{d}"].cast("float64")
        total = total + (v / float(maxima[d])).fill_null(0.0)
        count = count + ibis.ifelse(v.isnull(), 0, 1)
    share = ibis.ifelse(count > 0, total / count.cast("float64"), ibis.null("float64"))
    level = 1 + ibis.ifelse(share >= cuts[0], 1, 0) + ibis.ifelse(share >= cuts[1], 1, 0)
    return ibis.ifelse(share.isnull(), ibis.null("int8"), level.cast("int8"))


def matrix_level(functional: ibis.Value, complexity: ibis.Value, matrix: Matrix) -> ibis.Value:
    """The level of need the matrix cell supports (empty when either axis is empty)."""
    cases = [
        ((functional == f + 1) & (complexity == c + 1), matrix.levels[f][c])
        for f in range(3)
        for c in range(3)
    ]
    return ibis.cases(*cases, else_=ibis.null("string"))


def cell(functional: ibis.Value, complexity: ibis.Value) -> ibis.Value:
    return ibis.ifelse(
        functional.isnull() | complexity.isnull(),
        ibis.null("string"),
        ibis.literal("F").concat(
            functional.cast("string"), ibis.literal("C"), complexity.cast("string")
        ),
    )


def assessment_matrix(assessment: ibis.Table, matrix: Matrix) -> ibis.Table:
    """Each assessment with functional need, complexity and the level its domains support."""
    f = _axis(assessment, matrix.functional_domains, matrix.domain_max, matrix.functional_cuts)
    c = _axis(assessment, matrix.complexity_domains, matrix.domain_max, matrix.complexity_cuts)
    t = assessment.mutate(_f=f, _c=c)
    return t.mutate(
        functional_need=t._f,
        health_complexity=t._c,
        matrix_cell=cell(t._f, t._c),
        domain_level=matrix_level(t._f, t._c, matrix),
    ).drop("_f", "_c")


def latest_assessment(keys: ibis.Table, assessed: ibis.Table, valid_months: int) -> ibis.Table:
    """person_id, fy and the latest assessment dated in the year or within `valid_months`
    before its end (by whole months: an assessment in March counts for the year to 31 March)."""
    a = assessed.select(
        _apid=assessed.person_id,
        assessment_id=assessed.assessment_id,
        _a_date=assessed.assessment_date,
        _a_month=(assessed.assessment_date.year() * 12 + assessed.assessment_date.month() - 1),
        a_functional=assessed.functional_need,
        a_complexity=assessed.health_complexity,
    )
    end_month = (keys.fy.cast("int32") + 1) * 12 + 2  # March of the next calendar year
    k = keys.select("person_id", "fy", _end=end_month)
    j = k.join(
        a,
        [
            k.person_id == a._apid,
            a._a_month <= k._end,
            a._a_month > k._end - valid_months,
        ],
    )
    rank = ibis.row_number().over(
        group_by=[j.person_id, j.fy], order_by=[ibis.desc(j._a_date), ibis.desc(j.assessment_id)]
    )
    j = j.mutate(_r=rank)
    return j.filter(j._r == 0).select(
        "person_id", "fy", "assessment_id", "a_functional", "a_complexity"
    )


# ---- levels ------------------------------------------------------------------------------
def _proxy(t: ibis.Table, high: Rule, medium: Rule) -> ibis.Value:
    return ibis.cases((high.compile(t), 3), (medium.compile(t), 2), else_=1).cast("int8")


def levels(
    py: ibis.Table,
    scores: ibis.Table,
    rules: NeedRules,
    parsed: dict[str, Rule],
    assessed: ibis.Table | None,
) -> ibis.Table:
    """need_level without rising risk and annual change (see `with_change`)."""
    s = scores.select(
        _spid=scores.person_id,
        _sfy=scores.fy,
        score=scores.score,
        risk_percentile=scores.risk_percentile,
        model_id=scores.model_id,
    )
    t = py.left_join(s, [py.person_id == s._spid, py.fy == s._sfy]).drop("_spid", "_sfy")
    eol = [(parsed[f"end_of_life.{i}.rule"], r.label) for i, r in enumerate(rules.end_of_life)]
    is_eol = ibis.literal(False)
    for rule, _ in eol:
        is_eol = is_eol | rule.compile(t)
    has_ltc = parsed["levels.ltc_rule"].compile(t) | is_eol
    classified = has_ltc if rules.levels.classify == "with_ltc" else ibis.literal(True)
    t = t.mutate(
        has_ltc=has_ltc,
        _cls=classified,
        _eol=ibis.cases(*[(r.compile(t), label) for r, label in eol], else_=ibis.null("string"))
        if eol
        else ibis.null("string"),
        _pf=_proxy(
            t, parsed["matrix.functional_proxy.high"], parsed["matrix.functional_proxy.medium"]
        ),
        _pc=_proxy(
            t, parsed["matrix.complexity_proxy.high"], parsed["matrix.complexity_proxy.medium"]
        ),
    )
    ranked = t._cls & t.score.notnull()
    pr = ibis.percent_rank().over(group_by=[t.fy, ranked], order_by=t.score)
    t = t.mutate(threshold_percentile=ibis.ifelse(ranked, pr * 100.0, ibis.null("float64")))
    th = rules.levels.thresholds
    measure = t.threshold_percentile if th.kind == "percentile" else t.score
    unit = "percentile" if th.kind == "percentile" else "score"

    def fmt(v: float) -> str:
        return f"{v:g}"

    level = ibis.cases(
        (t._eol.notnull(), "End of life"),
        (~t._cls, ibis.null("string")),
        (measure.isnull(), ibis.null("string")),
        (measure >= th.high, "High"),
        (measure >= th.medium, "Medium"),
        else_="Low",
    )
    rule = ibis.cases(
        (t._eol.notnull(), ibis.literal("End of life: ").concat(t._eol)),
        (~t._cls, ibis.literal("not classified: no long-term condition")),
        (measure.isnull(), ibis.literal("not classified: no risk score")),
        (measure >= th.high, f"risk {unit} ≥ {fmt(th.high)}"),
        (measure >= th.medium, f"risk {unit} ≥ {fmt(th.medium)} and < {fmt(th.high)}"),
        else_=f"risk {unit} < {fmt(th.medium)}",
    )
    t = t.mutate(level=level, level_rule=rule)
    if assessed is not None:
        latest = latest_assessment(
            t.select("person_id", "fy"), assessed, rules.matrix.assessment_valid_months
        )
        latest = latest.rename(_lpid="person_id", _lfy="fy")
        t = t.left_join(latest, [t.person_id == latest._lpid, t.fy == latest._lfy]).drop(
            "_lpid", "_lfy"
        )
    else:
        t = t.mutate(
            assessment_id=ibis.null("string"),
            a_functional=ibis.null("int8"),
            a_complexity=ibis.null("int8"),
        )
    use_a = t.a_functional.notnull() & t.a_complexity.notnull()
    f = ibis.ifelse(use_a, t.a_functional, t._pf).cast("int8")
    c = ibis.ifelse(use_a, t.a_complexity, t._pc).cast("int8")
    rank = ibis.cases(
        *[(level == v, i + 1) for i, v in enumerate(vocab.NEED_LEVELS)], else_=ibis.null("int8")
    )
    return t.select(
        "person_id",
        "fy",
        "has_ltc",
        "score",
        "risk_percentile",
        "threshold_percentile",
        "level",
        level_rank=rank.cast("int8"),
        level_rule=t.level_rule,
        functional_need=f,
        health_complexity=c,
        matrix_cell=cell(f, c),
        matrix_level=matrix_level(f, c, rules.matrix),
        matrix_basis=ibis.ifelse(use_a, "assessment", "proxy"),
        assessment_id=ibis.ifelse(use_a, t.assessment_id, ibis.null("string")),
        rules_version=ibis.literal(rules.version),
        model_id=t.model_id,
    )


def with_change(cur: ibis.Table, rules: NeedRules) -> ibis.Table:
    """need_level: `cur` (from `levels`) with rising risk, score change and annual change."""
    rr, ac = rules.rising_risk, rules.annual_change
    back = cur.select(
        _bpid=cur.person_id,
        _bfy=(cur.fy + rr.window_years).cast(cur.fy.type()),
        _bmeasure=cur[rr.measure],
    )
    t = cur.left_join(back, [cur.person_id == back._bpid, cur.fy == back._bfy]).drop(
        "_bpid", "_bfy"
    )
    prev = cur.select(
        _ppid=cur.person_id,
        _pfy=(cur.fy + 1).cast(cur.fy.type()),
        previous_level=cur.level,
        _prank=cur.level_rank,
        _ppct=cur.risk_percentile,
    )
    t = t.left_join(prev, [t.person_id == prev._ppid, t.fy == prev._pfy]).drop("_ppid", "_pfy")
    change = t[rr.measure] - t._bmeasure
    rising = (change >= rr.increase) & ~t.level.isin(list(rr.exclude_levels)).fill_null(False)
    if ac.measure == "level":
        both = t.level_rank.notnull() & t._prank.notnull()
        annual = ibis.cases(
            (~both, ibis.null("string")),
            (t.level_rank > t._prank, "deteriorated"),
            (t.level_rank < t._prank, "improved"),
            else_="maintained",
        )
    else:
        d = t.risk_percentile - t._ppct
        both = d.notnull() & t.level.notnull()
        annual = ibis.cases(
            (~both, ibis.null("string")),
            (d > ac.tolerance, "deteriorated"),
            (d < -ac.tolerance, "improved"),
            else_="maintained",
        )
    return t.mutate(
        rising_risk=rising.fill_null(False),
        score_change=change,
        annual_change=annual,
    )


def summary(need: ibis.Table, py: ibis.Table) -> ibis.Table:
    """need_summary before suppression: fy × level (Not classified for the rest)."""
    cost = py.select(
        _cpid=py.person_id, _cfy=py.fy, _cost=py.cost_total.cast("float64").fill_null(0.0)
    )
    t = need.left_join(cost, [need.person_id == cost._cpid, need.fy == cost._cfy])
    t = t.mutate(
        level=t.level.fill_null("Not classified"), level_rank=t.level_rank.fill_null(9).cast("int8")
    )

    def n(cond):
        return ibis.ifelse(cond, 1, 0).sum()

    g = t.group_by(["fy", "level", "level_rank"]).aggregate(
        people=t.count(),
        rising_risk=n(t.rising_risk),
        improved=n(t.annual_change == "improved"),
        maintained=n(t.annual_change == "maintained"),
        deteriorated=n(t.annual_change == "deteriorated"),
        mean_score=exact_mean(t.score),
        mean_cost=exact_mean(t._cost),
    )
    classified = ibis.ifelse(g.level_rank < 9, g.people, 0).sum().over(group_by=g.fy)
    return g.mutate(
        share_of_classified=ibis.ifelse(
            g.level_rank < 9, g.people.cast("float64") / classified, ibis.null("float64")
        )
    )


def matrix_counts(need: ibis.Table, py: ibis.Table) -> ibis.Table:
    """need_matrix before suppression: classified people by matrix cell."""
    cost = py.select(
        _cpid=py.person_id, _cfy=py.fy, _cost=py.cost_total.cast("float64").fill_null(0.0)
    )
    t = need.filter(need.level.notnull())
    t = t.left_join(cost, [t.person_id == cost._cpid, t.fy == cost._cfy])
    return t.group_by(["fy", "functional_need", "health_complexity", "matrix_level"]).aggregate(
        people=t.count(),
        assessed=ibis.ifelse(t.matrix_basis == "assessment", 1, 0).sum(),
        mean_cost=exact_mean(t._cost),
    )
