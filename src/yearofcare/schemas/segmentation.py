"""Derived tables of the segmentation stage: risk model, scores, levels of need, currencies,
and the DST assessments with their concordance and upcoding audit (seed 000 annex 2).

Time: a row for financial year `fy` uses only what was known by the end of `fy` (the risk score
of year t is computed from year t's person_year and predicts year t+1).
"""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

RISK = "`yoc risk fit` / `yoc risk score` (yearofcare.segmentation)"
LEVELS = "`yoc risk score` (yearofcare.segmentation)"
ASSESS = "`yoc assess` (yearofcare.segmentation)"

_SUPPRESSED = C(
    "suppressed",
    "boolean",
    "True when a small count in this row (and what is derived from it) was suppressed.",
    nullable=False,
)


def _model_id() -> C:
    return C(
        "model_id",
        "string",
        "Identifier of the fitted model (rules version, target and fitting run).",
        nullable=False,
    )


def _target() -> C:
    return C(
        "target",
        "string",
        "What is predicted for the next year: emergency_admission (any acute non-elective "
        "admission, logistic) or cost_total (total cost in pounds, linear).",
        nullable=False,
        allowed=vocab.RISK_TARGETS,
    )


risk_model = table(
    "risk_model",
    "one row per fitted model × target × term",
    "The fitted risk model as data: each term says which person_year column it reads, how it "
    "transforms it and its coefficient, so scoring is an Ibis expression on any engine. "
    "Features come from year t and the target from year t+1; last-year-of-life markers are "
    "never features.",
    [
        _model_id(),
        C("rules_version", "string", "Version of the need rules file the model was fitted under."),
        _target(),
        C(
            "method",
            "string",
            "logistic (probability via the logistic function) or linear.",
            nullable=False,
            allowed=("logistic", "linear"),
        ),
        C("term", "string", "Term name, (intercept) for the constant.", nullable=False),
        C("feature", "string", "person_year column the term reads (empty for the intercept)."),
        C(
            "transform",
            "string",
            "intercept; value (x); log1p (ln(1 + x), x below 0 read as 0); flag (true = 1); "
            "equals (1 when x equals `level`); range (1 when lower ≤ x < upper); is_null; "
            "rule (1 when `rule` holds).",
            nullable=False,
            allowed=vocab.RISK_TRANSFORMS,
        ),
        C("level", "string", "Category an `equals` term tests for."),
        C("lower", "float64", "Lower bound (inclusive) of a `range` term."),
        C("upper", "float64", "Upper bound (exclusive) of a `range` term; empty = no bound."),
        C("fill_value", "float64", "Value used for x when the column is empty (value, log1p)."),
        C("rule", "string", "A `rule` term: 1 when this rule (cohort rule language) holds."),
        C(
            "coefficient",
            "float64",
            "Fitted coefficient (log-odds for logistic, pounds for linear).",
            nullable=False,
        ),
        C("std_error", "float64", "Standard error of the coefficient."),
        C(
            "train_fys",
            "string",
            "Feature years of the training sample (targets from the next years), comma-separated.",
        ),
        C(
            "validation_fy",
            "int16",
            "Held-out feature year the model was validated on (target from the next year).",
        ),
        C(
            "sample_size",
            "int64",
            "Person-years in the bounded, stratified training sample.",
            minimum=0,
        ),
        C("events", "int64", "Sampled person-years with the outcome (logistic only).", minimum=0),
        C("population", "int64", "Person-years the sample was drawn from.", minimum=0),
        C(
            "sample_weight_events",
            "float64",
            "Weight of a sampled person-year with the outcome (1 / its sampling fraction).",
        ),
        C(
            "sample_weight_others",
            "float64",
            "Weight of a sampled person-year without the outcome.",
        ),
        C("library", "string", "Library and version that fitted the model."),
        C("fitted_at", "timestamp", "When the model was fitted (UTC)."),
    ],
    key=["model_id", "target", "term"],
    derived=True,
    produced_by=RISK,
)

risk_validation = table(
    "risk_validation",
    "one row per model × method × measure × top percentage",
    "Validation on a held-out later year: the model beside Cambridge Multimorbidity Score alone, "
    "prior-year cost alone, LTC count alone and an untuned gradient-boosting model on the same "
    "features. Measures: c_statistic (area under the ROC curve, DeLong 95 % CI), ppv and "
    "sensitivity of the top p % (Wilson 95 % CI), r_squared of cost (bootstrap 95 % CI), "
    "calibration_max_error (largest |observed / expected − 1| over the deciles).",
    [
        _model_id(),
        _target(),
        C(
            "validation_fy",
            "int16",
            "Feature year validated (the target is from the next year).",
            nullable=False,
        ),
        C("method", "string", "Scoring method.", nullable=False, allowed=vocab.RISK_METHODS),
        C("method_label", "string", "Method in words."),
        C(
            "measure",
            "string",
            "c_statistic, ppv, sensitivity, r_squared or calibration_max_error.",
            nullable=False,
            allowed=("c_statistic", "ppv", "sensitivity", "r_squared", "calibration_max_error"),
        ),
        C(
            "top_percent",
            "float64",
            "Top percentage selected (ppv and sensitivity); 100 otherwise.",
            nullable=False,
        ),
        C("value", "float64", "The measure."),
        C("lower", "float64", "Lower 95 % confidence limit."),
        C("upper", "float64", "Upper 95 % confidence limit."),
        C("people", "int64", "Person-years validated on.", minimum=0),
        C("events", "int64", "Of them, with the outcome (emergency admission).", minimum=0),
    ],
    key=["model_id", "target", "method", "measure", "top_percent"],
    derived=True,
    produced_by=RISK,
)

risk_calibration = table(
    "risk_calibration",
    "one row per model × target × decile of predicted risk",
    "Calibration on the held-out year: mean predicted vs mean observed in each decile of the "
    "model's prediction (ratio = observed / expected).",
    [
        _model_id(),
        _target(),
        C(
            "validation_fy",
            "int16",
            "Feature year validated (the target is from the next year).",
            nullable=False,
        ),
        C(
            "decile",
            "int8",
            "Decile of predicted risk, 1 lowest to 10 highest.",
            nullable=False,
            minimum=1,
            maximum=10,
        ),
        C(
            "people",
            "int64",
            "Person-years in the decile (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "expected",
            "float64",
            "Mean prediction (probability, or pounds) (empty when suppressed).",
        ),
        C(
            "observed",
            "float64",
            "Mean outcome (share admitted, or pounds) (empty when suppressed).",
        ),
        C("ratio", "float64", "observed / expected (empty when suppressed)."),
        _SUPPRESSED,
    ],
    key=["model_id", "target", "decile"],
    derived=True,
    produced_by=RISK,
)

risk_score = table(
    "risk_score",
    "one row per person × financial year scored",
    "Risk-profiling score of every person-year: the probability of an emergency admission in "
    "the next year and the expected cost of the next year, from that year's person_year by the "
    "current model (an Ibis expression, so it runs on every engine).",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C(
            "fy",
            "int16",
            "Financial year whose data the score uses (it predicts fy + 1).",
            nullable=False,
        ),
        _model_id(),
        C(
            "score",
            "float64",
            "Probability of an emergency admission in the next year (0–1).",
            minimum=0,
            maximum=1,
        ),
        C(
            "risk_percentile",
            "float64",
            "Percentile of the score among everyone scored in the year (0–100; 99.5 = top 0.5 %).",
            minimum=0,
            maximum=100,
        ),
        C(
            "expected_cost",
            "float64",
            "Expected total cost of the next year in pounds (linear cost model).",
        ),
    ],
    key=["person_id", "fy"],
    derived=True,
    produced_by=RISK,
)

need_level = table(
    "need_level",
    "one row per person × financial year scored",
    "Level of need (Low / Medium / High from thresholds on the risk score, End of life from "
    "the configured register and rules), the 3×3 matrix of functional need × complexity of "
    "health need, rising risk and annual change, with the versions of the rules used.",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C(
            "fy",
            "int16",
            "Financial year classified (using what was known by its end).",
            nullable=False,
        ),
        C(
            "has_ltc",
            "boolean",
            "Has at least one long-term condition (the people levels of need are for).",
            nullable=False,
        ),
        C(
            "score",
            "float64",
            "Risk score (probability of an emergency admission next year).",
            minimum=0,
            maximum=1,
        ),
        C(
            "risk_percentile",
            "float64",
            "Percentile of the score in the whole scored population (0–100).",
            minimum=0,
            maximum=100,
        ),
        C(
            "threshold_percentile",
            "float64",
            "Percentile of the score among the people the thresholds are set over (by default people with an LTC).",
            minimum=0,
            maximum=100,
        ),
        C(
            "level",
            "string",
            "Level of need; empty for people outside the classified population.",
            allowed=vocab.NEED_LEVELS,
        ),
        C("level_rank", "int8", "1 Low, 2 Medium, 3 High, 4 End of life.", minimum=1, maximum=4),
        C(
            "level_rule",
            "string",
            "The rule that set the level, in words (threshold or End of life rule).",
        ),
        C(
            "functional_need",
            "int8",
            "Level of functional need: 1 low, 2 medium, 3 high.",
            minimum=1,
            maximum=3,
        ),
        C(
            "health_complexity",
            "int8",
            "Complexity of health need: 1 low, 2 medium, 3 high.",
            minimum=1,
            maximum=3,
        ),
        C(
            "matrix_cell",
            "string",
            "Cell of the 3×3 matrix, F<functional>C<complexity> (F3C3 = high × high).",
        ),
        C(
            "matrix_level",
            "string",
            "Level of need the matrix cell maps to.",
            allowed=vocab.NEED_LEVELS[:3],
        ),
        C(
            "matrix_basis",
            "string",
            "assessment (DST domains of a recent assessment) or proxy (configured person_year rules).",
            allowed=vocab.MATRIX_BASES,
        ),
        C("assessment_id", "string", "Assessment the matrix cell came from, when assessed."),
        C(
            "rising_risk",
            "boolean",
            "Score up by at least the configured amount over the configured window.",
            nullable=False,
        ),
        C(
            "score_change",
            "float64",
            "Change in the rising-risk measure over the window (empty when no earlier score).",
        ),
        C("previous_level", "string", "Level in the previous year.", allowed=vocab.NEED_LEVELS),
        C(
            "annual_change",
            "string",
            "Change since the previous year: improved, maintained or deteriorated.",
            allowed=vocab.ANNUAL_CHANGES,
        ),
        C(
            "rules_version",
            "string",
            "Version of the need rules file (thresholds, End of life, matrix, rising risk).",
            nullable=False,
        ),
        C("model_id", "string", "Risk model that produced the score."),
    ],
    key=["person_id", "fy"],
    derived=True,
    produced_by=LEVELS,
)

need_summary = table(
    "need_summary",
    "one row per financial year × level of need (and one for people not classified)",
    "The pyramid of need each year: people at each level, how many are rising risk, how many "
    "improved, stayed or deteriorated since the year before, and their mean cost that year.",
    [
        C("fy", "int16", "Financial year.", nullable=False),
        C("level", "string", "Level of need, or Not classified.", nullable=False),
        C("level_rank", "int8", "1 Low … 4 End of life; 9 not classified."),
        C("people", "int64", "People (count: rounded; empty when suppressed).", minimum=0),
        C(
            "share_of_classified",
            "float64",
            "Share of the classified people of the year (0–1) (empty when suppressed).",
        ),
        C(
            "rising_risk",
            "int64",
            "Of them, rising risk (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "improved",
            "int64",
            "Improved since the previous year (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C("maintained", "int64", "Maintained (count: rounded; empty when suppressed).", minimum=0),
        C(
            "deteriorated",
            "int64",
            "Deteriorated (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C("mean_score", "float64", "Mean risk score (empty when suppressed)."),
        C("mean_cost", "float64", "Mean cost of the same year in pounds (empty when suppressed)."),
        _SUPPRESSED,
    ],
    key=["fy", "level"],
    derived=True,
    produced_by=LEVELS,
)

need_matrix = table(
    "need_matrix",
    "one row per financial year × functional need × complexity of health need",
    "The 3×3 classification matrix (seed 000 annex 2) among classified people: how many sit in "
    "each cell, from assessments and from proxies, and the level each cell supports.",
    [
        C("fy", "int16", "Financial year.", nullable=False),
        C(
            "functional_need",
            "int8",
            "1 low, 2 medium, 3 high.",
            nullable=False,
            minimum=1,
            maximum=3,
        ),
        C(
            "health_complexity",
            "int8",
            "1 low, 2 medium, 3 high.",
            nullable=False,
            minimum=1,
            maximum=3,
        ),
        C(
            "matrix_level",
            "string",
            "Level of need the cell supports.",
            allowed=vocab.NEED_LEVELS[:3],
        ),
        C(
            "people",
            "int64",
            "People in the cell (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C(
            "assessed",
            "int64",
            "Of them, placed by a DST assessment (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        C("mean_cost", "float64", "Mean cost of the same year in pounds (empty when suppressed)."),
        _SUPPRESSED,
    ],
    key=["fy", "functional_need", "health_complexity"],
    derived=True,
    produced_by=LEVELS,
)

person_currency = table(
    "person_currency",
    "one row per person × financial year × configured currency",
    "The value of every configured currency (a named classification of person-years: level "
    "of need, Southend-style LTC categories, NTP bands, any custom rule set) for every "
    "person-year. A person-year no rule matches keeps its row with matched = false.",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year.", nullable=False),
        C("currency", "string", "Currency name.", nullable=False),
        C(
            "currency_version",
            "string",
            "Version of the currencies file that defined it.",
            nullable=False,
        ),
        C("value", "string", "Value (category) of the currency; empty when no rule matched."),
        C(
            "value_order",
            "int16",
            "Position of the value in the currency's declared order (1 first).",
            minimum=1,
        ),
        C(
            "matched",
            "boolean",
            "False when the person-year matched no rule of the currency.",
            nullable=False,
        ),
    ],
    key=["person_id", "fy", "currency"],
    derived=True,
    produced_by="`yoc currency` (yearofcare.segmentation)",
)

currency_summary = table(
    "currency_summary",
    "one row per financial year × currency × value (plus one for person-years matching no rule)",
    "People and cost of the same year in each currency value, so the classification can be "
    "checked before tariffs are set. Unmatched person-years appear under value (no match).",
    [
        C("fy", "int16", "Financial year.", nullable=False),
        C("currency", "string", "Currency name.", nullable=False),
        C("value", "string", "Currency value, or (no match).", nullable=False),
        C("value_order", "int16", "Position in the declared order; 0 for (no match)."),
        C("people", "int64", "Person-years (count: rounded; empty when suppressed).", minimum=0),
        C(
            "share_of_people",
            "float64",
            "Share of the year's person-years (0–1) (empty when suppressed).",
        ),
        C(
            "cost_total",
            "float64",
            "Total cost of the same year in pounds (empty when suppressed).",
        ),
        C("mean_cost", "float64", "Mean cost per person-year in pounds (empty when suppressed)."),
        _SUPPRESSED,
    ],
    key=["fy", "currency", "value"],
    derived=True,
    produced_by="`yoc currency` (yearofcare.segmentation)",
)

assessment_level = table(
    "assessment_level",
    "one row per assessment",
    "Each DST assessment with the level its domains support (by the documented rule in the "
    "need rules file), the level the assessor concluded and the risk-profiling level of the "
    "same year, and whether the conclusion is above either.",
    [
        C("assessment_id", "string", "Identifier of the assessment.", nullable=False),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year of the assessment date.", nullable=False),
        C("assessment_date", "date", "Date of the assessment.", nullable=False),
        C("assessor_id", "string", "Pseudonymous assessor."),
        C("provider_code", "string", "Organisation the assessor works for."),
        C(
            "functional_need",
            "int8",
            "Functional need derived from the domains (1–3).",
            minimum=1,
            maximum=3,
        ),
        C(
            "health_complexity",
            "int8",
            "Complexity of health need derived from the domains (1–3).",
            minimum=1,
            maximum=3,
        ),
        C("matrix_cell", "string", "F<functional>C<complexity>."),
        C(
            "domain_level",
            "string",
            "Level of need the domains support (3×3 matrix).",
            allowed=vocab.NEED_LEVELS[:3],
        ),
        C("assessed_level", "string", "Level the assessor concluded.", allowed=vocab.NEED_LEVELS),
        C(
            "risk_level",
            "string",
            "Risk-profiling level of need in the same year (empty if not scored).",
            allowed=vocab.NEED_LEVELS,
        ),
        C(
            "above_domains",
            "boolean",
            "Concluded above what the domains support (End of life conclusions excluded: empty).",
        ),
        C(
            "above_risk_profile",
            "boolean",
            "Concluded above the risk-profiling level (End of life on either side: empty).",
        ),
        C("rules_version", "string", "Version of the need rules file.", nullable=False),
    ],
    key=["assessment_id"],
    derived=True,
    produced_by=ASSESS,
)

assessment_concordance = table(
    "assessment_concordance",
    "one row per comparison × concluded level × compared level",
    "Cross-table of the level the assessor concluded against the level the domains support "
    "and against the risk-profiling level (do the two methods 'map across well'?).",
    [
        C(
            "comparison",
            "string",
            "domains or risk_profile.",
            nullable=False,
            allowed=vocab.AUDIT_COMPARISONS,
        ),
        C(
            "assessed_level",
            "string",
            "Level the assessor concluded.",
            nullable=False,
            allowed=vocab.NEED_LEVELS,
        ),
        C(
            "compared_level",
            "string",
            "Level from the domains or the risk profile.",
            nullable=False,
            allowed=vocab.NEED_LEVELS,
        ),
        C(
            "assessments",
            "int64",
            "Assessments (count: rounded; empty when suppressed).",
            minimum=0,
        ),
        _SUPPRESSED,
    ],
    key=["comparison", "assessed_level", "compared_level"],
    derived=True,
    produced_by=ASSESS,
)

assessment_agreement = table(
    "assessment_agreement",
    "one row per comparison × weighting",
    "Agreement between the concluded level and the domains or the risk profile on the ordinal "
    "scale Low < Medium < High < End of life: Cohen's kappa, unweighted and weighted, with the "
    "large-sample 95 % confidence interval (Fleiss, Cohen and Everitt 1969).",
    [
        C(
            "comparison",
            "string",
            "domains or risk_profile.",
            nullable=False,
            allowed=vocab.AUDIT_COMPARISONS,
        ),
        C(
            "weights",
            "string",
            "none, linear or quadratic.",
            nullable=False,
            allowed=("none", "linear", "quadratic"),
        ),
        C("assessments", "int64", "Assessments compared.", minimum=0),
        C("observed_agreement", "float64", "Weighted observed agreement."),
        C("expected_agreement", "float64", "Weighted agreement expected by chance."),
        C("kappa", "float64", "Kappa."),
        C("lower", "float64", "Lower 95 % confidence limit."),
        C("upper", "float64", "Upper 95 % confidence limit."),
    ],
    key=["comparison", "weights"],
    derived=True,
    produced_by=ASSESS,
)

assessment_audit = table(
    "assessment_audit",
    "one row per comparison × unit (assessor or provider)",
    "Upcoding audit: each assessor's and provider's share of conclusions above what the "
    "domains (or the risk profile) support, against the overall rate: one-sided exact "
    "binomial p-value and funnel-plot limits at 95 % and 99.8 %; flagged above 99.8 %. "
    "Management information about assessors (exact counts); reports pass it through "
    "small-number suppression.",
    [
        C(
            "comparison",
            "string",
            "domains or risk_profile.",
            nullable=False,
            allowed=vocab.AUDIT_COMPARISONS,
        ),
        C("unit", "string", "assessor or provider.", nullable=False, allowed=vocab.AUDIT_UNITS),
        C("unit_id", "string", "Assessor id or provider code.", nullable=False),
        C("provider_code", "string", "Provider the unit belongs to."),
        C("assessments", "int64", "Assessments compared.", minimum=0),
        C("above", "int64", "Of them, concluded above.", minimum=0),
        C("share_above", "float64", "above / assessments."),
        C("expected_share", "float64", "Overall share above (all units)."),
        C("lower_95", "float64", "Funnel lower 95 % limit for this many assessments."),
        C("upper_95", "float64", "Funnel upper 95 % limit."),
        C("lower_998", "float64", "Funnel lower 99.8 % limit."),
        C("upper_998", "float64", "Funnel upper 99.8 % limit."),
        C("p_value", "float64", "One-sided exact binomial P(X ≥ above) at the overall share."),
        C("above_95", "boolean", "Share above the 95 % limit (a warning).", nullable=False),
        C("flagged", "boolean", "Share above the 99.8 % limit: possible upcoding.", nullable=False),
    ],
    key=["comparison", "unit", "unit_id"],
    derived=True,
    produced_by=ASSESS,
)

TABLES = (
    risk_model,
    risk_validation,
    risk_calibration,
    risk_score,
    need_level,
    need_summary,
    need_matrix,
    person_currency,
    currency_summary,
    assessment_level,
    assessment_concordance,
    assessment_agreement,
    assessment_audit,
)
