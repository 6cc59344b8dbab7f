"""The Outcomes report sections (reports layer): the balanced scorecard and the evaluations.
Both tables were suppressed when written (`compute._disclose`, `evaluation` via
`disclosure.suppress`), so the default `prepare` passes them as stored."""

from __future__ import annotations

import pandas as pd

from yearofcare.reports import Section
from yearofcare.reports import blocks as rb
from yearofcare.reports.formats import integer, number, signed_percent, text
from yearofcare.reports.section import SectionData

_num = number
CARD = [
    rb.Col("quadrant", "Quadrant", text=True),
    rb.Col("label", "Measure", text=True),
    rb.Col("value", "Value", _num),
    rb.Col("unit", "Unit", text=True),
    rb.Col("target", "Target", _num),
    rb.Col("rag", "RAG", text=True),
    rb.Col("change_percent", "Change on last year (%)", _num),
    rb.Col("units_worse", "Units worse", integer),
    rb.Col("note", "Note", text),
]
EVAL = [
    rb.Col("service_id", "Service", text=True),
    rb.Col("outcome", "Outcome", text=True),
    rb.Col("method", "Method", text=True),
    rb.Col("treated", "Enrolled", integer),
    rb.Col("treated_pre", "Before", _num),
    rb.Col("treated_post", "After", _num),
    rb.Col("relative", "Effect", signed_percent),
    rb.Col("relative_lower", "95 % CI from", signed_percent),
    rb.Col("relative_upper", "to", signed_percent),
]
BALANCE = [
    rb.Col("evaluation_id", "Evaluation", text=True),
    rb.Col("covariate", "Characteristic", text=True),
    rb.Col("treated_mean", "Enrolled", _num),
    rb.Col("pool_mean", "All potential controls", _num),
    rb.Col("control_mean", "Matched controls", _num),
    rb.Col("smd_before", "SMD before", _num),
    rb.Col("smd_after", "SMD after", _num),
]


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.fy == frame.fy.max()] if len(frame) else frame


def _card_finding(d: SectionData) -> str | None:
    f = _latest(d.frames["outcome_scorecard"])
    if f.empty:
        return None
    c = f.rag.value_counts()
    return (
        f"{int(f.fy.max())}: {c.get('green', 0)} measures green, {c.get('amber', 0)} amber, "
        f"{c.get('red', 0)} red, {c.get('none', 0)} without a target or value."
    )


def _eval_finding(d: SectionData) -> str | None:
    s = d.frames["evaluation_summary"]
    s = s[(s.outcome == "non_elective") & (s.method == "did")]
    if s.empty:
        return None
    parts = [
        f"{r.service_id}: {r.relative:+.0%} non-elective admissions (95 % CI {r.relative_lower:+.0%} "
        f"to {r.relative_upper:+.0%})"
        for r in s.itertuples()
        if r.relative == r.relative
    ]
    return "; ".join(parts) + "." if parts else None


SECTIONS = (
    Section(
        id="outcomes_scorecard",
        title="Outcomes: balanced scorecard",
        stage="outcomes",
        command="yoc scorecard",
        tables=("outcome_scorecard",),
        template="yearofcare.outcomes:outcomes_scorecard.html.j2",
        blocks=lambda d: [
            rb.table(_latest(d.frames["outcome_scorecard"]), CARD, "Scorecard, latest year")
        ],
        finding=_card_finding,
    ),
    Section(
        id="outcomes_evaluation",
        title="Outcomes: evaluation of services",
        stage="evaluate",
        command="yoc evaluate",
        tables=("evaluation_summary", "evaluation_balance"),
        template="yearofcare.outcomes:outcomes_evaluation.html.j2",
        blocks=lambda d: [
            rb.table(
                d.frames["evaluation_summary"],
                EVAL,
                "Effect against matched controls and naive views",
            ),
            rb.details(
                "Balance of the matched samples", rb.table(d.frames["evaluation_balance"], BALANCE)
            ),
        ],
        finding=_eval_finding,
    ),
)
