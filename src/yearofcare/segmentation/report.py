"""Need and cohorts as report sections (HTML and workbook), in pipeline order:

- the risk model's validation beside the comparators, and its calibration by decile;
- levels of need (the pyramid) and the 3×3 matrix;
- DST assessments: concordance (kappa) and the upcoding audit (a funnel plot);
- currencies;
- the cohort register and two-stage selection, and stability and volatility by cohort size.

The words are in `templates/`. Tables of people are suppressed when the stages write them;
the audit (exact counts of assessments per assessor) and the register summary are suppressed
here, in `prepare`, before they leave.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, suppress
from yearofcare.fy import fy_label
from yearofcare.reports import blocks as rb
from yearofcare.reports.blocks import Col, Pivot
from yearofcare.reports.charts import theme
from yearofcare.reports.formats import integer as _int
from yearofcare.reports.formats import money as _money
from yearofcare.reports.formats import number as _num
from yearofcare.reports.formats import percent as _pct
from yearofcare.reports.section import Chart, Section, SectionData, Sheet
from yearofcare.segmentation.validation import METHOD_LABELS

_T = "yearofcare.segmentation:"
LEVELS = ("Low", "Medium", "High", "End of life", "Not classified")


def _fy(v: Any) -> str:
    return fy_label(int(v))


def _ci(row: pd.Series) -> str:
    if rb.is_missing(row.value):
        return ""
    if rb.is_missing(row.lower):
        return f"{row.value:.3f}"
    return f"{row.value:.3f} ({row.lower:.3f}–{row.upper:.3f})"


# ---- risk model --------------------------------------------------------------------------
def _validation_blocks(d: SectionData) -> list[rb.Block]:
    v = d.frames["risk_validation"]
    if v.empty:
        return [rb.note("The model was fitted on one pair of years only: no held-out validation.")]
    shown = v.assign(
        measure_label=v.measure.map(
            {
                "c_statistic": "C-statistic (95% CI)",
                "ppv": "PPV",
                "sensitivity": "Sensitivity",
                "r_squared": "R² of cost (95% CI)",
                "calibration_max_error": "Largest calibration error",
            }
        )
        + v.top_percent.map(lambda p: "" if p >= 100 else f", top {p:g}%"),
        shown=v.apply(_ci, axis=1),
    )
    order = [m for m in METHOD_LABELS if m in set(v.method)]
    measures = list(
        dict.fromkeys(shown.sort_values(["target", "measure", "top_percent"]).measure_label)
    )
    return [
        rb.pivot(
            shown.assign(method_label=shown.method.map(METHOD_LABELS)),
            Pivot("Held-out validation", "measure_label", "Measure", "method_label", "shown", str,
                  measures, [METHOD_LABELS[m] for m in order]),
        ),
        rb.chart("need_calibration"),
        rb.table(
            d.frames["risk_calibration"].sort_values(["target", "decile"]),
            [Col("target", "Target", text=True), Col("decile", "Decile", _int),
             Col("people", "People", _int), Col("expected", "Expected (mean)", _num),
             Col("observed", "Observed (mean)", _num), Col("ratio", "Observed ÷ expected", _num)],
            "Calibration by decile of predicted risk",
        ),
    ]  # fmt: skip


def calibration_chart(d: SectionData) -> dict[str, Any] | None:
    cal = d.frames["risk_calibration"]
    cal = cal[cal.target == "emergency_admission"]
    if cal.empty:
        return None
    long = cal.melt(id_vars=["decile"], value_vars=["expected", "observed"], var_name="series")
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("decile:O", title="Decile of predicted risk"),
            xOffset="series:N",
            y=alt.Y(
                "value:Q",
                title="Share with an emergency admission next year",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("series:N", title=None),
        )
        .properties(width=480, height=220)
    )
    return theme(chart).to_dict()


def _validation_finding(d: SectionData) -> str | None:
    v = d.frames["risk_validation"]
    c = v[(v.measure == "c_statistic") & (v.target == "emergency_admission")].set_index("method")
    if c.empty:
        return None
    parts = [f"{METHOD_LABELS[m].split(' (')[0]} {c.value[m]:.3f}" for m in c.index if m != "model"]
    return (
        f"Held-out C-statistic for next year's emergency admission {c.value['model']:.3f} "
        f"({c.lower['model']:.3f}–{c.upper['model']:.3f}); " + "; ".join(parts) + "."
    )


# ---- levels ------------------------------------------------------------------------------
def _levels_blocks(d: SectionData) -> list[rb.Block]:
    s = d.frames["need_summary"]
    m = d.frames["need_matrix"]
    cells = m.assign(
        row=m.functional_need.map(
            {1: "Functional: low", 2: "Functional: medium", 3: "Functional: high"}
        ),
        col=m.health_complexity.map(
            {1: "Complexity: low", 2: "Complexity: medium", 3: "Complexity: high"}
        ),
    )
    latest = cells[cells.fy == cells.fy.max()] if len(cells) else cells
    return [
        rb.chart("need_pyramid"),
        rb.table(
            s.sort_values(["fy", "level_rank"]),
            [Col("fy", "Year", _fy), Col("level", "Level", text=True), Col("people", "People", _int),
             Col("share_of_classified", "Share", _pct), Col("rising_risk", "Rising risk", _int),
             Col("improved", "Improved", _int), Col("maintained", "Maintained", _int),
             Col("deteriorated", "Deteriorated", _int), Col("mean_score", "Mean score", _num),
             Col("mean_cost", "Mean cost (£)", _money)],
            "Levels of need by year",
        ),
        rb.pivot(
            latest,
            Pivot("The 3×3 matrix, latest year: people (level the cell supports in the workbook)",
                  "row", "Functional need", "col", "people", _int,
                  ["Functional: high", "Functional: medium", "Functional: low"],
                  ["Complexity: low", "Complexity: medium", "Complexity: high"]),
        ),
    ]  # fmt: skip


def pyramid_chart(d: SectionData) -> dict[str, Any] | None:
    s = d.frames["need_summary"]
    s = s[(s.level != "Not classified") & s.share_of_classified.notna()]
    if s.empty:
        return None
    data = s.assign(year=s.fy.map(_fy))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("level:N", sort=list(LEVELS), title=None),
            x=alt.X(
                "share_of_classified:Q",
                title="Share of people with a long-term condition",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("year:N", title="Year"),
            yOffset="year:N",
        )
        .properties(width=480, height=220)
    )
    return theme(chart).to_dict()


def _levels_finding(d: SectionData) -> str | None:
    s = d.frames["need_summary"]
    s = s[(s.fy == s.fy.max()) & (s.level != "Not classified")].set_index("level")
    if s.empty or s.share_of_classified.isna().all():
        return None
    parts = [f"{s.share_of_classified.get(k, 0):.0%} {k}" for k in LEVELS[:4] if k in s.index]
    return (
        f"{_fy(d.frames['need_summary'].fy.max())}, people with a long-term condition: "
        + ", ".join(parts)
        + "."
    )


# ---- assessments -------------------------------------------------------------------------
def _prepare_assess(
    frames: Mapping[str, pd.DataFrame], policy: DisclosurePolicy
) -> dict[str, pd.DataFrame]:
    out = dict(frames)
    audit = frames["assessment_audit"]
    if len(audit):
        safe = suppress(
            audit,
            ["assessments", "above"],
            ["share_above"],
            policy,
            ratios={"share_above": ("above", "assessments")},
        )
        out["assessment_audit"] = safe
    return out


def _assess_blocks(d: SectionData) -> list[rb.Block]:
    agree = d.frames["assessment_agreement"].assign(
        shown=lambda f: f.apply(
            lambda r: _ci(pd.Series({"value": r.kappa, "lower": r.lower, "upper": r.upper})), axis=1
        )
    )
    audit = d.frames["assessment_audit"]
    flagged = audit[audit.flagged]
    return [
        rb.table(agree, [Col("comparison", "Concluded level compared with", text=True,
                             labels={"domains": "DST domains", "risk_profile": "Risk profile"}),
                         Col("weights", "Weights", text=True), Col("assessments", "Assessments", _int),
                         Col("shown", "Kappa (95% CI)")], "Agreement (Cohen's kappa)"),
        rb.pivot(d.frames["assessment_concordance"][lambda f: f.comparison == "risk_profile"],
                 Pivot("Concluded level (rows) against the risk-profiling level (columns)",
                       "assessed_level", "Concluded", "compared_level", "assessments", _int,
                       LEVELS[:4], LEVELS[:4])),
        rb.chart("need_funnel"),
        rb.table(flagged, [Col("comparison", "Compared with", text=True), Col("unit", "Unit", text=True),
                           Col("unit_id", "Id", text=True), Col("provider_code", "Provider", text=True),
                           Col("assessments", "Assessments", _int), Col("above", "Above", _int),
                           Col("share_above", "Share above", _pct), Col("upper_998", "99.8% limit", _pct),
                           Col("p_value", "p", lambda v: f"{v:.2g}")],
                 "Flagged: above the 99.8% limit"),
    ]  # fmt: skip


def funnel_chart(d: SectionData) -> dict[str, Any] | None:
    a = d.frames["assessment_audit"]
    a = a[(a.unit == "assessor") & (a.comparison == "domains")]
    if a.empty:
        return None
    base = alt.Chart(a.sort_values("assessments"))
    x = alt.X("assessments:Q", title="Assessments")
    chart = alt.layer(
        base.mark_line(color="#768692", strokeDash=[4, 3]).encode(x=x, y="upper_95:Q"),
        base.mark_line(color="#da291c").encode(x=x, y="upper_998:Q"),
        base.mark_rule(color="#212b32").encode(y="mean(expected_share):Q"),
        base.mark_point(filled=True, size=60).encode(
            x=x,
            y=alt.Y(
                "share_above:Q",
                title="Share concluded above the domains",
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("flagged:N", title="Flagged"),
            tooltip=["unit_id:N", "assessments:Q", "share_above:Q"],
        ),
    ).properties(width=480, height=260)
    return theme(chart).to_dict()


def _assess_finding(d: SectionData) -> str | None:
    k = d.frames["assessment_agreement"]
    audit = d.frames["assessment_audit"]
    lin = k[(k.comparison == "risk_profile") & (k.weights == "linear")]
    flagged = sorted(
        audit[(audit.unit == "assessor") & audit.flagged & (audit.comparison == "domains")].unit_id
    )
    kappa = (
        f"linear-weighted kappa with the risk profile {lin.kappa.iloc[0]:.2f}; " if len(lin) else ""
    )
    return kappa + (
        f"assessors above the 99.8% limit: {', '.join(flagged)}."
        if flagged
        else "no assessor above the 99.8% limit."
    )


# ---- currencies --------------------------------------------------------------------------
def _currency_blocks(d: SectionData) -> list[rb.Block]:
    c = d.frames["currency_summary"]
    latest = c[c.fy == c.fy.max()] if len(c) else c
    return [
        rb.table(latest.sort_values(["currency", "value_order"]),
                 [Col("currency", "Currency", text=True), Col("value", "Value", text=True),
                  Col("people", "People", _int), Col("share_of_people", "Share", _pct),
                  Col("mean_cost", "Mean cost (£)", _money)],
                 "Currencies, latest year"),
    ]  # fmt: skip


def _currency_finding(d: SectionData) -> str | None:
    c = d.frames["currency_summary"]
    if c.empty:
        return None
    gaps = c[c.value == "(no match)"]
    return f"{c.currency.nunique()} currencies; " + (
        f"{int(gaps.people.fillna(0).sum()):,} person-years matched no rule (kept and shown as (no match))."
        if len(gaps)
        else "every person-year matched a rule."
    )


SECTIONS: tuple[Section, ...] = (
    Section(
        id="need_risk_model", title="Need and cohorts: the risk model", stage="risk-fit",
        command="yoc risk fit", tables=("risk_validation", "risk_calibration"),
        template=_T + "need_risk_model.html.j2", blocks=_validation_blocks,
        charts=(Chart("need_calibration", "observed against expected by decile", calibration_chart),),
        finding=_validation_finding,
    ),
    Section(
        id="need_levels", title="Need and cohorts: levels of need and the 3×3 matrix",
        stage="risk-score", command="yoc risk score", tables=("need_summary", "need_matrix"),
        template=_T + "need_levels.html.j2", blocks=_levels_blocks,
        charts=(Chart("need_pyramid", "levels of need by year", pyramid_chart),),
        finding=_levels_finding,
    ),
    Section(
        id="need_assessments", title="Need and cohorts: assessments and the upcoding audit",
        stage="assess", command="yoc assess",
        tables=("assessment_agreement", "assessment_concordance", "assessment_audit"),
        template=_T + "need_assessments.html.j2", blocks=_assess_blocks,
        charts=(Chart("need_funnel", "funnel plot of upcoding by assessor", funnel_chart),),
        finding=_assess_finding, prepare=_prepare_assess,
    ),
    Section(
        id="need_currencies", title="Need and cohorts: currencies", stage="currency",
        command="yoc currency", tables=("currency_summary",),
        template=_T + "need_currencies.html.j2", blocks=_currency_blocks, finding=_currency_finding,
        sheets=lambda d: [Sheet("Currencies", d.frames["currency_summary"],
                                "People and cost by currency value", {"mean_cost": "money", "cost_total": "money", "share_of_people": "pct"})],
    ),
)  # fmt: skip
