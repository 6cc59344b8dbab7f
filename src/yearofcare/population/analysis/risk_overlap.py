"""Risk-selected vs multimorbidity-selected people: are they the same people? (Kent)

Both methods pick the same number of people from the whole population of one year: the top
p% by a risk score, and the top p% by LTC count (ties broken by Cambridge Multimorbidity Score,
then by pseudonym). The table counts each segment — selected by both, by risk only, by
multimorbidity only — and what they cost, split by the group each person belongs to.

Any score will do: `scores` is a table with person_id and a numeric score column. No risk
model exists yet in yearofcare, so the analysis is skipped (with a note) when there is none.
"""

from __future__ import annotations

import ibis

from yearofcare.errors import ConfigError
from yearofcare.fy import fy_expr
from yearofcare.population.analysis.common import amount, attach_split, top_by

SPLIT = ("split_by", "split_value")
RISK_TOP_PERCENTS: tuple[float, ...] = (1.0, 5.0)
SEGMENTS: tuple[str, ...] = ("both", "risk_only", "multimorbidity_only")
_DATE_COLUMNS = ("score_date", "as_at", "date")


def scores_for_year(scores: ibis.Table, fy: int, column: str = "score") -> ibis.Table:
    """person_id and `score` for financial year `fy` from any score table.

    A `fy` column selects that year; otherwise a date column (score_date, as_at or date)
    selects scores dated in that year, keeping each person's latest; otherwise every row is
    taken as the score for `fy`. Raises ConfigError if person_id or the score column is absent.
    """
    missing = [c for c in ("person_id", column) if c not in scores.columns]
    if missing:
        raise ConfigError(
            f"the score table has no column(s) {', '.join(missing)}; "
            f"found {', '.join(scores.columns)}",
            hint="give the score column with --score-column, or a table with person_id and a score",
        )
    if "fy" in scores.columns:
        scores = scores.filter(scores.fy == fy)
    else:
        dated = next((c for c in _DATE_COLUMNS if c in scores.columns), None)
        if dated is not None:
            d = scores[dated].cast("date")
            scores = scores.filter(fy_expr(d) == fy)
            latest = ibis.row_number().over(
                ibis.window(group_by="person_id", order_by=[ibis.desc(scores[dated])])
            )
            scores = scores.mutate(_k=latest).filter(lambda s: s._k == 0)
    return scores.select("person_id", score=scores[column].cast("float64"))


def risk_overlap(
    py_year: ibis.Table,
    scores: ibis.Table,
    by: str | None = None,
    percents: tuple[float, ...] = RISK_TOP_PERCENTS,
) -> ibis.Table:
    """Overlap of the top p% by score and the top p% by LTC count, for each p in `percents`.

    `scores` is person_id, score for the same year (see `scores_for_year`); people without a
    score cannot be risk-selected. Output: one row per split × p × segment.
    """
    n = py_year.count()
    base = py_year.select(
        "person_id",
        "fy",
        _ltc=py_year.ltc_count.fill_null(0),
        _cms=amount(py_year.cms_score),
        _x=amount(py_year.cost_total),
        _ne=amount(py_year.cost_non_elective),
    )
    scored = base.left_join(scores, base.person_id == scores.person_id).drop("person_id_right")
    parts = []
    for p in percents:
        risk = top_by(scored.filter(scored.score.notnull()), "score", n, p).select(
            "person_id", _r=ibis.literal(True)
        )
        mm = top_by(base, "_ltc", n, p, "_cms").select(_mid=base.person_id, _m=ibis.literal(True))
        flags = scored.left_join(risk, "person_id").drop("person_id_right")
        flags = flags.left_join(mm, flags.person_id == mm._mid).drop("_mid")
        flags = flags.mutate(_r=flags._r.fill_null(False), _m=flags._m.fill_null(False))
        flags = flags.filter(flags._r | flags._m).mutate(
            segment=ibis.cases(
                (flags._r & flags._m, "both"),
                (flags._r, "risk_only"),
                else_="multimorbidity_only",
            ),
            top_percent=ibis.literal(float(p)),
        )
        parts.append(flags)
    t = attach_split(ibis.union(*parts), py_year, by)
    return t.group_by(["fy", *SPLIT, "top_percent", "segment"]).aggregate(
        people=t.count(),
        mean_cost=t._x.mean(),
        mean_cost_non_elective=t._ne.mean(),
        mean_ltc_count=t._ltc.mean(),
        mean_score=t.score.mean(),
    )
