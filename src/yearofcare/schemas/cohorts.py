"""Derived tables of the cohorts stage: rules-based, two-stage cohort selection (seed 004 §7.2),
the cohort register every later stage reads (004 §7.4), and stability and volatility.

Stage one: a cohort's rule proposes people, listed per practice for review. Stage two: the
reviewers' decisions come back as a file; only accepted people join the register. The register
holds one row per spell: a member whose currency value changes, or who leaves and rejoins,
gets a new spell.
"""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

SELECT = "`yoc cohort select` / `yoc cohort review` / `yoc cohort update` (yearofcare.cohorts)"
STABILITY = "`yoc cohort stability` (yearofcare.cohorts)"

_SUPPRESSED = C(
    "suppressed",
    "boolean",
    "True when a small count in this row (and what is derived from it) was suppressed.",
    nullable=False,
)


def _cohort() -> C:
    return C("cohort_id", "string", "Cohort identifier (from the cohorts file).", nullable=False)


cohort_definition = table(
    "cohort_definition",
    "one row per cohort",
    "The cohorts as configured when last selected: the rule in the cohort rule language, the "
    "currency its members are paid by, and the version of the cohorts file.",
    [
        _cohort(),
        C("label", "string", "Cohort name in words."),
        C("rule", "string", "Selection rule (cohort rule language).", nullable=False),
        C("rule_columns", "string", "Columns the rule reads, comma-separated."),
        C("currency", "string", "Currency whose value members are paid by (empty = none)."),
        C("cohorts_version", "string", "Version of the cohorts file.", nullable=False),
    ],
    key=["cohort_id"],
    derived=True,
    produced_by=SELECT,
)

cohort_review = table(
    "cohort_review",
    "one row per cohort × selection year × person proposed",
    "Stage one and two of selection: the people a cohort's rule proposed from a year's data "
    "(listed for review by their practice, with the facts that selected them) and the "
    "reviewer's decision once the decisions file is read.",
    [
        _cohort(),
        C(
            "selection_fy",
            "int16",
            "Financial year whose data the rule was run on.",
            nullable=False,
        ),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C(
            "practice_code",
            "string",
            "Practice that reviews the person (registered on 30 September).",
        ),
        C("facts", "string", "The values of the columns the rule reads, as column=value; …"),
        C("proposed_on", "date", "Date the review list was produced.", nullable=False),
        C(
            "decision",
            "string",
            "pending, accepted or declined.",
            nullable=False,
            allowed=vocab.REVIEW_DECISIONS,
        ),
        C("decided_on", "date", "Date of the decision (from the decisions file)."),
        C("reviewer", "string", "Who decided (from the decisions file)."),
        C("reason", "string", "Reason given for the decision."),
        C("review_file", "string", "Decisions file the decision came from."),
        C("review_row", "int64", "Row of that file (1 = first data row)."),
    ],
    key=["cohort_id", "selection_fy", "person_id"],
    derived=True,
    produced_by=SELECT,
)

cohort_member = table(
    "cohort_member",
    "one row per cohort × person × spell of membership",
    "The cohort register (004 §7.4): who is in each cohort from when to when, why they joined "
    "and left, the rule that selected them, their review status and the currency value at "
    "joining. A spell with no leave date is open. Read by budgets, activity tagging, risk "
    "share and outcomes.",
    [
        _cohort(),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C(
            "spell",
            "int16",
            "Spell number for the person in the cohort (1 first).",
            nullable=False,
            minimum=1,
        ),
        C("practice_code", "string", "Practice at joining."),
        C("join_date", "date", "First day of membership.", nullable=False),
        C(
            "join_reason",
            "string",
            "joined (selected and accepted) or changed_currency (new spell at a new value).",
            nullable=False,
            allowed=vocab.COHORT_JOIN_REASONS,
        ),
        C("leave_date", "date", "Last day of membership (empty while a member)."),
        C(
            "leave_reason",
            "string",
            "declined (withdrew), moved_away, died, stepped_down (no longer meets the rule), "
            "changed_currency (spell closed, a new one opens at the new value).",
            allowed=vocab.COHORT_LEAVE_REASONS,
        ),
        C(
            "selection_fy",
            "int16",
            "Financial year whose data selected the person.",
            nullable=False,
        ),
        C(
            "selection_rule",
            "string",
            "The rule that selected the person (cohort rule language).",
            nullable=False,
        ),
        C("cohorts_version", "string", "Version of the cohorts file.", nullable=False),
        C(
            "review_status",
            "string",
            "Reviewer's decision that admitted the person.",
            nullable=False,
            allowed=vocab.REVIEW_DECISIONS,
        ),
        C("currency", "string", "Currency the cohort is paid by (empty = none)."),
        C("currency_value", "string", "Value of that currency at the start of the spell."),
        C("currency_fy", "int16", "Financial year the currency value was taken from."),
    ],
    key=["cohort_id", "person_id", "spell"],
    derived=True,
    produced_by=SELECT,
)

cohort_stability = table(
    "cohort_stability",
    "one row per cohort rule × pair of consecutive years",
    "Year-to-year turnover of each cohort rule (004 §7.2: multimorbidity rules select more "
    "stable cohorts than risk rules): of the people the rule selects in one year, how many it "
    "selects again the next, and where the others went.",
    [
        _cohort(),
        C("rule", "string", "Selection rule.", nullable=False),
        C("fy_from", "int16", "Year selected.", nullable=False),
        C("fy_to", "int16", "The next year.", nullable=False),
        C(
            "members",
            "int64",
            "Selected in fy_from (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "retained",
            "int64",
            "Of them, selected again in fy_to (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "died",
            "int64",
            "Of them, died in fy_from or fy_to (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "moved_away",
            "int64",
            "Of them, alive but absent in fy_to (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "stepped_down",
            "int64",
            "Of them, present in fy_to but no longer selected (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "joiners",
            "int64",
            "Selected in fy_to but not in fy_from (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C("retention", "float64", "retained / members (0–1) (empty when suppressed)."),
        _SUPPRESSED,
    ],
    key=["cohort_id", "fy_from"],
    derived=True,
    produced_by=STABILITY,
)

cohort_volatility = table(
    "cohort_volatility",
    "one row per cohort rule × cohort size × budget tolerance",
    "Volatility risk (004 §7.2 note 87): for a cohort of N people drawn from those the rule "
    "selects, the bootstrap distribution of the mean annual cost of the next year, and the "
    "probability that the outturn misses a budget set at the mean by more than x %.",
    [
        _cohort(),
        C(
            "cost_fy",
            "int16",
            "Year whose costs were resampled (the year after selection).",
            nullable=False,
        ),
        C("cohort_size", "int64", "People in the simulated cohort (N).", nullable=False, minimum=1),
        C(
            "tolerance_percent",
            "float64",
            "x: the budget is missed when |outturn − budget| > x % of budget.",
            nullable=False,
        ),
        C(
            "pool_size",
            "int64",
            "People the bootstrap draws from (selected, with a cost the next year).",
            minimum=0,
        ),
        C("budget", "float64", "Budget per person: the mean cost of the pool, in pounds."),
        C(
            "mean_cost_sd",
            "float64",
            "Standard deviation of the cohort's mean cost over the bootstrap samples.",
        ),
        C("mean_cost_p05", "float64", "5th percentile of the cohort's mean cost."),
        C("mean_cost_p95", "float64", "95th percentile of the cohort's mean cost."),
        C(
            "probability_miss",
            "float64",
            "Share of samples whose mean cost misses the budget by more than x % (either way).",
        ),
        C("probability_over", "float64", "Share of samples over budget by more than x %."),
        C("samples", "int64", "Bootstrap samples.", minimum=1),
    ],
    key=["cohort_id", "cohort_size", "tolerance_percent"],
    derived=True,
    produced_by=STABILITY,
)

TABLES = (cohort_definition, cohort_review, cohort_member, cohort_stability, cohort_volatility)
