"""Tables of the planning stage (issue 14): the Year of Care simulation (seed 004 §6.2, Table 3),
the service-model adjustment the budget reads, RRR unbundling (seed 000 annex 5) and the
delayed-discharge audit (seed 004 §6.3, Figure 10).

The simulation's money is in pounds (float64, rounded half up to the penny when written): it is
a projection with intervals, not a payment. RRR and the audit price real spells and days, so
their money is integer pence: each amount is rounded to the penny once, where it is first
computed, and the parts of a spell (acute + released = tariff) add up exactly.
"""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

SIMULATE = "`yoc simulate` (yearofcare.planning)"
RRR = "`yoc rrr` (yearofcare.planning)"
INGEST = "`yoc ingest --source delayed_discharge` (yearofcare.sources.delayed_discharge)"
MEASURES = ("people", "activity", "bed_days", "cost", "mean_cost")
PERIODS = ("base", "year 1", "year 2", "year 3", "year 4", "year 5", "all years")
DYNAMICS_SOURCES = ("history", "extrapolated", "assumed")
ALL = "all"


def _scenario() -> C:
    return C("scenario_id", "string", "Scenario identifier (scenario file `id`).", nullable=False)


def _cohort() -> list[C]:
    return [
        C(
            "cohort_id",
            "string",
            "Cohort of the scenario (a risk band or rule), or `all` for every cohort together.",
            nullable=False,
        ),
        C("cohort_label", "string", "Cohort in words (e.g. Cohort 1 (0% to 0.5%))."),
        C("cohort_order", "int16", "Position in the scenario (all cohorts = 0)."),
    ]


def _period() -> list[C]:
    return [
        C(
            "year",
            "int8",
            "Year of the simulation: 0 the base year (observed), 1–3 the years simulated; empty "
            "for the total over the simulated years.",
            minimum=0,
        ),
        C("fy", "int16", "Financial year of `year` (empty for the total)."),
        C("period", "string", "base, year 1 … or all years.", nullable=False, allowed=PERIODS),
    ]


def _interval(name: str, what: str) -> list[C]:
    return [
        C(name, "float64", f"{what} (the deterministic run: central effects, everyone once)."),
        C(f"{name}_lower", "float64", f"{what}: lower end of the Monte Carlo interval."),
        C(f"{name}_upper", "float64", f"{what}: upper end of the Monte Carlo interval."),
    ]


_SUPPRESSED = C(
    "suppressed",
    "boolean",
    "True when a small count in this row (and what is derived from it) was suppressed.",
    nullable=False,
)

# ---- the delayed-discharge audit (canonical: written by its source adapter) ----------------
delayed_discharge = table(
    "delayed_discharge",
    "one row per audited patient stay",
    "The delayed-discharge audit of the RRR clinical audits (seed 004 §6.3): patients in acute "
    "beds assessed as needing recovery, rehabilitation and reablement, the day each was "
    "medically fit to leave, the day they left, and why they stayed (Figure 10's reasons). "
    "Loaded by `yoc ingest --source delayed_discharge`; read by `yoc rrr` and by the outcomes "
    "stage's delayed-transfers measure.",
    [
        C(
            "record_id",
            "string",
            "Audit record identifier, prefixed by its load id.",
            nullable=False,
        ),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("provider_code", "string", "ODS code of the hospital trust."),
        C("ward", "string", "Ward (as the audit names it)."),
        C("admission_date", "date", "Date of admission."),
        C(
            "ready_date",
            "date",
            "Date the patient was medically fit for discharge (the acute phase ended).",
            nullable=False,
        ),
        C("discharge_date", "date", "Date the patient left hospital.", nullable=False),
        C(
            "delayed_days",
            "int32",
            "discharge_date − ready_date: days in an acute bed after being medically fit.",
            nullable=False,
            minimum=0,
        ),
        C(
            "reason",
            "string",
            "Why discharge was delayed (empty when not delayed, or delayed with no reason "
            "recorded); the audit's spelling (seed 004 words or DToC code A–I) mapped at ingest.",
            allowed=vocab.DELAY_REASONS,
        ),
        C(
            "rrr_need",
            "string",
            "Level of RRR need assessed in the acute phase (the tier of the RRR tariff).",
            allowed=vocab.RRR_TIERS,
        ),
    ],
    key=["record_id"],
)

# ---- the simulation ------------------------------------------------------------------------
planning_dynamics = table(
    "planning_dynamics",
    "one row per scenario × cohort × year since selection",
    "Cohort dynamics measured from the store's own past years: the people a cohort's definition "
    "selected in each earlier year, followed into the next years — still present, died, moved "
    "away, and their cost relative to the selection year (regression to the mean: the crisis "
    "curve). The baseline of the simulation follows these curves, so a scenario's saving is "
    "measured against the cohort's counterfactual decline, not against its peak year.",
    [
        _scenario(),
        *_cohort(),
        C("years_since", "int8", "Years since selection (0 = the selection year).", minimum=0),
        C(
            "selections",
            "int16",
            "Past selection years that reach this many years of follow-up.",
            minimum=0,
        ),
        C("members", "int64", "People selected in those years (count).", minimum=0),
        C("present_share", "float64", "Share of members with a person_year row in the year."),
        C("died_share", "float64", "Share of members who had died by the end of the year."),
        C("left_share", "float64", "Share alive but no longer seen (moved away)."),
        C(
            "joiner_share",
            "float64",
            "People the definition selects in the year who were not selected the year before, "
            "per member (the joiners an open cohort would take on).",
        ),
        C(
            "cost_ratio",
            "float64",
            "Cost per member selected (dead and leavers cost nothing) relative to the selection "
            "year, as the baseline applies it (each setting's measured ratio weighted by the "
            "cohort's base-year cost): below 1 is the fall the crisis curve shows.",
        ),
        C(
            "non_elective_ratio",
            "float64",
            "The same for acute non-elective cost (the part that regresses most).",
        ),
        C(
            "mean_cost_present",
            "float64",
            "Baseline mean cost per member present in the year (£): the current cohort's "
            "base-year cost carried along the curve.",
        ),
        C(
            "source",
            "string",
            "history (measured), extrapolated (past the years of history: the last year-on-year "
            "change carried on) or assumed (no history: the cohort keeps its cost).",
            nullable=False,
            allowed=DYNAMICS_SOURCES,
        ),
        _SUPPRESSED,
    ],
    key=["scenario_id", "cohort_id", "years_since"],
    derived=True,
    produced_by=SIMULATE,
)

planning_result = table(
    "planning_result",
    "one row per scenario × cohort × period × setting × measure",
    "Baseline (current service, with the cohort's measured dynamics) against scenario (the "
    "service change) over the simulated years: people, activity, bed days, cost and mean cost "
    "per person by cohort and setting, each with its Monte Carlo interval (person-level "
    "resampling and effect-size ranges) and, for cost, the probability the scenario costs less.",
    [
        _scenario(),
        *_cohort(),
        *_period(),
        C(
            "setting",
            "string",
            "person_year setting group (non_elective, community, …), a new service's id, or `all`.",
            nullable=False,
        ),
        C("setting_label", "string", "Setting in words."),
        C("measure", "string", "What the row counts.", nullable=False, allowed=MEASURES),
        *_interval("baseline", "Baseline"),
        *_interval("scenario", "Scenario"),
        *_interval("difference", "Scenario − baseline (negative = fewer, or a saving)"),
        C(
            "difference_mc_se",
            "float64",
            "Monte Carlo standard error of the mean difference over the runs (shrinks as 1/√runs).",
        ),
        C(
            "probability_saving",
            "float64",
            "Share of runs where the scenario costs less than the baseline (cost rows).",
            minimum=0,
            maximum=1,
        ),
        C("runs", "int32", "Monte Carlo runs.", minimum=0),
    ],
    key=["scenario_id", "cohort_id", "period", "setting", "measure"],
    derived=True,
    produced_by=SIMULATE,
)

planning_summary = table(
    "planning_summary",
    "one row per scenario × cohort (and all cohorts)",
    "The Table 3 view (seed 004 §6.2): each cohort's people and mean annual care cost per "
    "patient under the current service and the new one, with intervals, the saving over the "
    "simulated years and the probability there is one, the saving a naive comparison with the "
    "base year would claim, and the annual capitated budget that would meet the cohort's cost.",
    [
        _scenario(),
        C("scenario_name", "string", "Scenario in words."),
        *_cohort(),
        C("definition", "string", "How the cohort is selected (band or rule)."),
        C("base_fy", "int16", "Financial year the cohort was selected in.", nullable=False),
        C("years", "int8", "Years simulated.", minimum=1),
        C("people", "int64", "People in the cohort in the base year (count).", minimum=0),
        C("base_mean_cost", "float64", "Mean cost per person in the base year (£, observed)."),
        *_interval("baseline_mean_cost", "Mean annual cost per patient, current service (£)"),
        *_interval("scenario_mean_cost", "Mean annual cost per patient, new service (£)"),
        *_interval("saving", "Baseline − scenario cost over the simulated years (£)"),
        C(
            "probability_saving",
            "float64",
            "Share of runs in which the scenario costs less over the simulated years.",
            minimum=0,
            maximum=1,
        ),
        C(
            "naive_saving",
            "float64",
            "Base-year cost × years − scenario cost (£): the saving claimed against the peak "
            "year, which credits the scenario with the cohort's own regression to the mean.",
        ),
        C(
            "regression_ratio",
            "float64",
            "Baseline mean cost per patient in year 1 / the base year (below 1: regression to "
            "the mean measured from history).",
        ),
        C(
            "annual_budget",
            "float64",
            "Annual capitated budget that meets the cohort's expected cost under the new service "
            "(£, mean of the simulated years).",
        ),
        C(
            "annual_budget_p90",
            "float64",
            "Annual budget met in 90 % of runs (£): the expected budget plus a margin for "
            "uncertainty.",
        ),
        C("runs", "int32", "Monte Carlo runs.", minimum=0),
        C("seed", "int64", "Seed of the runs (the same seed gives the same answer)."),
        _SUPPRESSED,
    ],
    key=["scenario_id", "cohort_id"],
    derived=True,
    produced_by=SIMULATE,
)

planning_workforce = table(
    "planning_workforce",
    "one row per scenario × cohort × period × staff group",
    "Workforce: whole-time equivalents by staff group from the activity they deliver and their "
    "productivity (units a WTE delivers in a year), under the current service and the new one.",
    [
        _scenario(),
        *_cohort(),
        *_period(),
        C(
            "staff_group",
            "string",
            "Staff group (workforce file or a new service).",
            nullable=False,
        ),
        C("staff_label", "string", "Staff group in words."),
        C("setting", "string", "Setting (or new service) whose activity the group delivers."),
        C(
            "unit",
            "string",
            "What productivity counts.",
            allowed=("activity", "bed_days", "people"),
        ),
        C("units_per_wte", "float64", "Units one WTE delivers in a year.", minimum=0),
        C("share", "float64", "Share of the setting's units the group delivers.", minimum=0),
        *_interval("baseline_wte", "WTE, current service"),
        *_interval("scenario_wte", "WTE, new service"),
        *_interval("difference_wte", "Scenario − baseline WTE"),
    ],
    key=["scenario_id", "cohort_id", "period", "staff_group"],
    derived=True,
    produced_by=SIMULATE,
)

service_model_adjustment = table(
    "service_model_adjustment",
    "one row per scenario × financial year × setting",
    "Expected change in the cost of each setting from the new service model (004 §7.2: "
    "'modify this budget value to take account of the new service model'), as the planning "
    "stage's simulation estimates it. Read by `yoc budget` when present.",
    [
        C("scenario", "string", "Scenario name.", nullable=False),
        C("fy", "int16", "Financial year the change applies to.", nullable=False),
        C("setting", "string", "Care setting.", nullable=False, allowed=vocab.SETTINGS),
        C(
            "change_percent",
            "float64",
            "Expected change in cost, % (negative = saving).",
            nullable=False,
            minimum=-100,
        ),
        C("description", "string", "Where the figure comes from."),
    ],
    key=["scenario", "fy", "setting"],
    derived=True,
    produced_by=SIMULATE,
)

# ---- RRR unbundling and the audit ----------------------------------------------------------
_GROUP = C("group_id", "string", "RRR group (RRR settings file).", nullable=False)


def _pence(name: str, what: str) -> C:
    return C(name, "int64", f"{what} (pence).")


rrr_spell = table(
    "rrr_spell",
    "one row per non-elective spell of an RRR group",
    "Each non-elective spell of an LTC-related diagnosis or HRG group split at the group's trim "
    "point into an acute phase and an RRR phase: the acute phase keeps its share of the spell's "
    "tariff, the rest is released, and the RRR phase is priced from the tiered RRR tariff by "
    "the level of need assessed (000 annex 5).",
    [
        C("activity_id", "string", "The spell (activity).", nullable=False),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year of discharge.", nullable=False),
        C("provider_code", "string", "Provider of the spell."),
        _GROUP,
        C("admission_date", "date", "Admission date."),
        C("discharge_date", "date", "Discharge date."),
        C("length_of_stay", "int32", "Days from admission to discharge.", minimum=0),
        C("trim_days", "int32", "The group's trim point: days of the acute phase.", minimum=0),
        C("acute_days", "int32", "min(length of stay, trim point).", minimum=0),
        C("rrr_days", "int32", "Days after the trim point (the RRR phase).", minimum=0),
        C("need_tier", "string", "RRR tariff tier applied.", allowed=vocab.RRR_TIERS),
        C(
            "tier_source",
            "string",
            "Where the tier came from.",
            allowed=("audit", "need_level", "default"),
        ),
        _pence("tariff_pence", "The spell's cost"),
        _pence("acute_pence", "Acute phase: the tariff's acute share"),
        _pence("released_pence", "Tariff released from the acute phase (tariff − acute)"),
        _pence("rrr_pence", "RRR phase at the tiered RRR tariff"),
        _pence("net_pence", "Released − RRR tariff: what is left for step-up / step-down"),
    ],
    key=["activity_id"],
    derived=True,
    produced_by=RRR,
)

rrr_summary = table(
    "rrr_summary",
    "one row per financial year × group × provider × tier (with `all` totals)",
    "RRR unbundling totals (000 annex 5; 004 §6.3): spells, the bed days of the acute and RRR "
    "phases, the tariff, the money released from the acute phase, the RRR tariff's cost and what "
    "is left that could move to community step-up and step-down services.",
    [
        C("fy", "int16", "Financial year of discharge.", nullable=False),
        C("group_id", "string", "RRR group, or `all`.", nullable=False),
        C("group_label", "string", "Group in words."),
        C("provider_code", "string", "Provider, or `all`.", nullable=False),
        C("need_tier", "string", "Tier, or `all`.", nullable=False),
        C("spells", "int64", "Spells (count).", minimum=0),
        C("spells_unbundled", "int64", "Spells with an RRR phase (count).", minimum=0),
        C("bed_days", "int64", "Bed days of the spells.", minimum=0),
        C("acute_days", "int64", "Days in the acute phase.", minimum=0),
        C("rrr_days", "int64", "Days in the RRR phase.", minimum=0),
        C("rrr_share", "float64", "RRR days / bed days."),
        _pence("tariff_pence", "Tariff of the spells"),
        _pence("acute_pence", "Acute phase"),
        _pence("released_pence", "Released from the acute tariff"),
        _pence("rrr_pence", "RRR tariff"),
        _pence("net_pence", "Could move to community step-up / step-down"),
    ],
    key=["fy", "group_id", "provider_code", "need_tier"],
    derived=True,
    produced_by=RRR,
)

delayed_discharge_summary = table(
    "delayed_discharge_summary",
    "one row per financial year × provider × ward × reason (with `all` totals)",
    "Figure 10's view of the delayed-discharge audit (seed 004 §6.3): patients audited, those "
    "delayed, delayed days and their cost at the bed-day price, by reason and ward.",
    [
        C("fy", "int16", "Financial year of discharge.", nullable=False),
        C("provider_code", "string", "Provider, or `all`.", nullable=False),
        C("ward", "string", "Ward, or `all`.", nullable=False),
        C("reason", "string", "Reason, `not_delayed`, or `all`.", nullable=False),
        C("reason_label", "string", "Reason in words."),
        C("patients", "int64", "Audited stays (count).", minimum=0),
        C("delayed", "int64", "Stays with at least one delayed day (count).", minimum=0),
        C("delayed_days", "int64", "Delayed days.", minimum=0),
        C("mean_delay", "float64", "Delayed days per delayed stay."),
        C("share_of_delayed", "float64", "Share of the delayed stays with this reason (0–1)."),
        _pence("cost_pence", "Delayed days × the bed-day price"),
    ],
    key=["fy", "provider_code", "ward", "reason"],
    derived=True,
    produced_by=RRR,
)

CANONICAL = (delayed_discharge,)
TABLES = (
    planning_dynamics,
    planning_result,
    planning_summary,
    planning_workforce,
    service_model_adjustment,
    rrr_spell,
    rrr_summary,
    delayed_discharge_summary,
)
