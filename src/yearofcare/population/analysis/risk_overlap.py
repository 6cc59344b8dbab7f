"""Risk-selected vs multimorbidity-selected people: are they the same people? (Kent)

Both methods pick the same number of people from the whole population of one year: the top
p% by a risk score, and the top p% by LTC count (ties broken by Cambridge Multimorbidity Score,
then by pseudonym). The table counts each segment — selected by both, by risk only, by
multimorbidity only — and what they cost, split by the group each person belongs to.

Any score will do: `scores` is a table with person_id and a numeric score column. By default it
is `risk_score`, written by `yoc risk score` (yearofcare.segmentation); the analysis is skipped
(with a note) when no score table exists.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from yearofcare.errors import ConfigError
from yearofcare.fy import fy_expr
from yearofcare.population.analysis.common import amount, attach_split
from yearofcare.sums import exact_mean

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
    base = py_year.select(
        "person_id",
        "fy",
        _ltc=py_year.ltc_count.fill_null(0),
        _cms=amount(py_year.cms_score),
        _x=amount(py_year.cost_total),
        _ne=amount(py_year.cost_non_elective),
    )
    s = scores.select(_sid=scores.person_id, score=scores.score)
    scored = base.left_join(s, base.person_id == s._sid).drop("_sid")
    has_score = scored.score.notnull() & ~scored.score.isnan()
    everyone = ibis.window()
    ranked = scored.mutate(
        _has=has_score,
        _n=scored.count().over(everyone),
        _rr=ibis.row_number().over(
            ibis.window(order_by=[~has_score, ibis.desc(scored.score), scored.person_id])
        ),
        _mr=ibis.row_number().over(
            ibis.window(order_by=[ibis.desc(scored._ltc), ibis.desc(scored._cms), scored.person_id])
        ),
    )
    lit = ibis.memtable(
        pa.table(
            {
                "top_percent": pa.array([float(p) for p in percents], pa.float64()),
                "_bp": pa.array([round(p * 100) for p in percents], pa.int64()),
            }
        )
    )
    j = ranked.cross_join(lit)
    top = (j._n.cast("int64") * j._bp + 9999) // 10000
    j = j.mutate(_r=j._has & (j._rr < top), _m=j._mr < top)
    flags = j.filter(j._r | j._m).mutate(
        segment=ibis.cases(
            (j._r & j._m, "both"),
            (j._r, "risk_only"),
            else_="multimorbidity_only",
        )
    )
    t = attach_split(flags.drop("_bp"), py_year, by)
    return t.group_by(["fy", *SPLIT, "top_percent", "segment"]).aggregate(
        people=t.count(),
        mean_cost=exact_mean(t._x),
        mean_cost_non_elective=exact_mean(t._ne),
        mean_ltc_count=t._ltc.mean(),
        mean_score=exact_mean(t.score),
    )
