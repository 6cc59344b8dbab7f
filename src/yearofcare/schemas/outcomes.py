"""Outcomes stage tables (issue 15): measure results, the balanced scorecard and its funnel
limits, the achievement the settlement reads, evaluations of services, and the enrolment
registers services keep."""

from __future__ import annotations

from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

MEASURES_BY = "`yoc outcomes` / `yoc scorecard` (yearofcare.outcomes)"
EVALUATE_BY = "`yoc evaluate` (yearofcare.outcomes)"
QUADRANTS = ("person", "financial", "process", "learning")
DIMENSIONS = ("all", "level", "currency", "cohort", "practice", "provider")
RAG = ("green", "amber", "red", "none")
STATUSES = ("ok", "suppressed", "zero_denominator", "needs_table", "no_data")

_SUPPRESSED = C(
    "suppressed",
    "boolean",
    "True when a small count in this row (and what is derived from it) was suppressed.",
    nullable=False,
)

outcome_measure = table(
    "outcome_measure",
    "one row per measure × financial year × breakdown × group",
    "Every outcome measure of the measures file, computed the same way each time: numerator, "
    "denominator, the value (a share, a rate per 1,000 or 100,000, a mean or a total), its 95 % "
    "confidence interval, the change on the previous 12 months and the target. Counts pass "
    "through small-number suppression before the table is written; a measure whose data is "
    "missing says which table it needs and which command writes it.",
    [
        C("measure_id", "string", "Measure identifier (measures file).", nullable=False),
        C("label", "string", "Measure in words."),
        C("quadrant", "string", "Balanced-scorecard quadrant.", allowed=QUADRANTS),
        C("fy", "int16", "Financial year (by its start year)."),
        C("dimension", "string", "Breakdown.", nullable=False, allowed=DIMENSIONS),
        C(
            "group_value",
            "string",
            "Group within the breakdown (all for the whole economy).",
            nullable=False,
        ),
        C("numerator", "float64", "Numerator (count, sum or days; empty when suppressed)."),
        C(
            "denominator",
            "float64",
            "Denominator (people, responses, spells; empty when suppressed).",
        ),
        C(
            "value",
            "float64",
            "numerator / denominator × per (empty when suppressed or undefined).",
        ),
        C(
            "per",
            "float64",
            "Multiplier of the rate: 100 for a percentage, 1,000 per 1,000 people.",
        ),
        C("unit", "string", "What the value is in words (%, per 1,000, £, days)."),
        C("lower", "float64", "Lower 95 % confidence limit."),
        C("upper", "float64", "Upper 95 % confidence limit."),
        C("previous_value", "float64", "Value in the previous 12 months (the year before)."),
        C("change", "float64", "value − previous_value."),
        C("change_percent", "float64", "Change as a % of the previous value."),
        C("target", "float64", "Target (measures file, or the scorecard targets file)."),
        C("direction", "string", "Which way is good.", allowed=("higher", "lower", "none")),
        C(
            "status",
            "string",
            "ok, suppressed, zero_denominator, needs_table or no_data.",
            nullable=False,
            allowed=STATUSES,
        ),
        C("note", "string", "Why the value is missing, or which table and command it needs."),
        _SUPPRESSED,
    ],
    key=["measure_id", "fy", "dimension", "group_value"],
    derived=True,
    produced_by=MEASURES_BY,
)

outcome_scorecard = table(
    "outcome_scorecard",
    "one row per measure × financial year on the scorecard",
    "The balanced scorecard (000 'Use of a balanced score card'; Kaplan and Norton 1992): each "
    "measure in its quadrant with its value for the whole economy, the target, the RAG status "
    "(green at or beyond the target, amber within the amber band, red beyond it) and how many "
    "practices or providers lie outside the 99.8 % funnel limits.",
    [
        C("quadrant", "string", "Quadrant.", nullable=False, allowed=QUADRANTS),
        C("measure_id", "string", "Measure.", nullable=False),
        C("label", "string", "Measure in words."),
        C("fy", "int16", "Financial year.", nullable=False),
        C("value", "float64", "Value for the whole economy (empty when suppressed)."),
        C("unit", "string", "Unit."),
        C("target", "float64", "Target."),
        C("direction", "string", "Which way is good.", allowed=("higher", "lower", "none")),
        C(
            "rag",
            "string",
            "green, amber, red, or none (no target or no value).",
            nullable=False,
            allowed=RAG,
        ),
        C("previous_value", "float64", "Value the year before."),
        C("change_percent", "float64", "Change on the previous 12 months (%)."),
        C("funnel_unit", "string", "practice or provider (the funnel's units)."),
        C("units", "int64", "Units on the funnel."),
        C("units_worse", "int64", "Units beyond the 99.8 % limit on the bad side."),
        C("units_better", "int64", "Units beyond the 99.8 % limit on the good side."),
        C(
            "status",
            "string",
            "Status of the economy-wide value.",
            nullable=False,
            allowed=STATUSES,
        ),
        C("note", "string", "Note."),
    ],
    key=["measure_id", "fy"],
    derived=True,
    produced_by="`yoc scorecard` (yearofcare.outcomes)",
)

outcome_funnel = table(
    "outcome_funnel",
    "one row per measure × financial year × practice or provider",
    "Statistical process control for the scorecard: each unit's value against funnel limits "
    "around the economy's value for its denominator (binomial for shares, Poisson for rates; "
    "Spiegelhalter 2005), so small units are not flagged by noise. Counts exact (management "
    "information); reports pass them through suppression.",
    [
        C("measure_id", "string", "Measure.", nullable=False),
        C("fy", "int16", "Financial year.", nullable=False),
        C(
            "unit",
            "string",
            "practice or provider.",
            nullable=False,
            allowed=("practice", "provider"),
        ),
        C("unit_id", "string", "Practice or provider code.", nullable=False),
        C("numerator", "float64", "Numerator."),
        C("denominator", "float64", "Denominator."),
        C("value", "float64", "Value."),
        C("expected", "float64", "Economy-wide value (the funnel's centre)."),
        C("lower_95", "float64", "Lower 95 % limit."),
        C("upper_95", "float64", "Upper 95 % limit."),
        C("lower_998", "float64", "Lower 99.8 % limit."),
        C("upper_998", "float64", "Upper 99.8 % limit."),
        C(
            "outside",
            "string",
            "worse or better beyond 99.8 %, else empty.",
            allowed=("worse", "better"),
        ),
    ],
    key=["measure_id", "fy", "unit", "unit_id"],
    derived=True,
    produced_by="`yoc scorecard` (yearofcare.outcomes)",
)

outcome_achievement = table(
    "outcome_achievement",
    "one row per financial year × measure with a target",
    "What the risk-share settlement reads (contracts/sources.py): for each measure with a target, "
    "the achievement against it in % (value ÷ target for higher-is-better, target ÷ value for "
    "lower-is-better, capped at 100), and the year's quality level (1–5) from the share of "
    "measures on target (scorecard file's bands).",
    [
        C("fy", "int16", "Financial year.", nullable=False),
        C("measure", "string", "Measure identifier.", nullable=False),
        C("label", "string", "Measure in words."),
        C("value", "float64", "Value for the whole economy."),
        C("target", "float64", "Target."),
        C(
            "achievement_percent",
            "float64",
            "Achievement against the target (0–100; empty when the value is missing).",
            minimum=0,
            maximum=100,
        ),
        C("met", "boolean", "At or beyond the target."),
        C(
            "quality_level",
            "int8",
            "Quality level of the year (1 lowest to 5 highest).",
            minimum=1,
            maximum=5,
        ),
        C("measures_met", "int16", "Measures with a target met that year."),
        C("measures_with_target", "int16", "Measures with a target and a value that year."),
    ],
    key=["fy", "measure"],
    derived=True,
    produced_by="`yoc scorecard` (yearofcare.outcomes)",
)

service_enrolment = table(
    "service_enrolment",
    "one row per person × service × enrolment",
    "Who a service (virtual ward, care coordination, community matron caseload, …) enrolled and "
    "when: the list a provider keeps, read by `yoc evaluate` beside the cohort register "
    "(`cohort_member`, cohort id = service).",
    [
        C("service_id", "string", "Service identifier.", nullable=False),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("start_date", "date", "Date enrolled (the intervention start).", nullable=False),
        C("end_date", "date", "Date discharged from the service (empty while enrolled)."),
        C("practice_code", "string", "Practice at enrolment."),
    ],
    key=["service_id", "person_id", "start_date"],
)

synth_service = table(
    "synth_service",
    "one row per synthetic service",
    "The services the synthetic economy enrolled people into and the effect it planted (ground "
    "truth for the evaluation): people selected for high recent use, a random share enrolled.",
    [
        C("service_id", "string", "Service identifier.", nullable=False),
        C("label", "string", "Service in words."),
        C(
            "effect_non_elective",
            "float64",
            "Planted relative change in non-elective admissions after enrolment (−0.2 = −20 %).",
            nullable=False,
        ),
        C("selection", "string", "How people were selected, in words."),
        C("eligible", "int64", "People meeting the selection rule."),
        C("enrolled", "int64", "People enrolled."),
    ],
    key=["service_id"],
    derived=True,
    produced_by="`yoc synth` (yearofcare.synth)",
)

_EVAL_KEY = C("evaluation_id", "string", "Evaluation (service and run).", nullable=False)

evaluation_summary = table(
    "evaluation_summary",
    "one row per evaluation × outcome × method",
    "Did the service work? Difference-in-differences against matched controls (bootstrap 95 % "
    "interval over matched pairs), beside the naive before-and-after of the enrolled alone (what "
    "regression to the mean would credit) and seed 002's 6-months-before-and-after view. "
    "relative = estimate ÷ the counterfactual post-period mean of the enrolled.",
    [
        _EVAL_KEY,
        C("service_id", "string", "Service evaluated.", nullable=False),
        C("outcome", "string", "Outcome per person over the period.", nullable=False),
        C(
            "method",
            "string",
            "did (matched controls), naive (before and after, enrolled only), six_month (002: 6 months either side, enrolled only).",
            nullable=False,
            allowed=("did", "naive", "six_month"),
        ),
        C("treated", "int64", "Enrolled people evaluated (count: rounded; empty when suppressed)."),
        C("controls", "int64", "Matched controls (count: rounded; empty when suppressed)."),
        C("treated_pre", "float64", "Mean per enrolled person before."),
        C("treated_post", "float64", "Mean per enrolled person after."),
        C("control_pre", "float64", "Mean per control before."),
        C("control_post", "float64", "Mean per control after."),
        C(
            "estimate",
            "float64",
            "Effect per person over the period (after − before, net of controls for did).",
        ),
        C("lower", "float64", "Lower 95 % limit of the estimate."),
        C("upper", "float64", "Upper 95 % limit."),
        C("relative", "float64", "Estimate as a share of the counterfactual (−0.2 = −20 %)."),
        C("relative_lower", "float64", "Lower 95 % limit of the relative effect."),
        C("relative_upper", "float64", "Upper 95 % limit of the relative effect."),
        C("replicates", "int64", "Bootstrap replicates."),
        C(
            "controls_from",
            "string",
            "Where controls were drawn: other_practices (people at practices where nobody joined "
            "the service) or not_enrolled (people at any practice who did not join).",
            allowed=("other_practices", "not_enrolled"),
        ),
        _SUPPRESSED,
    ],
    key=["evaluation_id", "outcome", "method"],
    derived=True,
    produced_by=EVALUATE_BY,
)

evaluation_balance = table(
    "evaluation_balance",
    "one row per evaluation × pre-period characteristic",
    "Balance of the matched sample: standardised mean difference (treated − controls, over the "
    "pooled SD) of each pre-period characteristic before and after matching; |SMD| < 0.1 is "
    "the usual threshold (the love plot).",
    [
        _EVAL_KEY,
        C("covariate", "string", "Pre-period characteristic.", nullable=False),
        C("treated_mean", "float64", "Mean among the enrolled."),
        C("pool_mean", "float64", "Mean among all potential controls (before matching)."),
        C("control_mean", "float64", "Mean among matched controls."),
        C("smd_before", "float64", "SMD before matching."),
        C("smd_after", "float64", "SMD after matching."),
    ],
    key=["evaluation_id", "covariate"],
    derived=True,
    produced_by=EVALUATE_BY,
)

evaluation_trajectory = table(
    "evaluation_trajectory",
    "one row per evaluation × group × month relative to the start",
    "Use and cost per person by month before and after the start (month 0 = the 30 days from "
    "the start), for the enrolled and their matched controls: the picture of regression to the "
    "mean (seed 002's before and after).",
    [
        _EVAL_KEY,
        C(
            "group",
            "string",
            "enrolled or controls.",
            nullable=False,
            allowed=("enrolled", "controls"),
        ),
        C("month", "int16", "Months from the start (−12 … 11).", nullable=False),
        C("people", "int64", "People in the group (count: rounded; empty when suppressed)."),
        C(
            "non_elective_per_1000",
            "float64",
            "Non-elective admissions per 1,000 people that month.",
        ),
        C("cost_per_head", "float64", "Cost per person that month (pounds)."),
        _SUPPRESSED,
    ],
    key=["evaluation_id", "group", "month"],
    derived=True,
    produced_by=EVALUATE_BY,
)

CANONICAL = (service_enrolment,)
TABLES = (
    outcome_measure,
    outcome_scorecard,
    outcome_funnel,
    outcome_achievement,
    synth_service,
    evaluation_summary,
    evaluation_balance,
    evaluation_trajectory,
)
