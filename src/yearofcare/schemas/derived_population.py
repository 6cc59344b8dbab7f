"""Tables written (or read) by `yoc build` besides `person_year` (declared in schemas/population)."""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

BUILD = "`yoc build` (yearofcare.population)"
BLOCK_RULES = ("activity_share", "registered_equal")

person_condition = table(
    "person_condition",
    "one row per person × financial year × condition with a diagnosis code by the end of the year",
    "Condition status with the rules applied (look-back, resolved codes, minimum age, minimum "
    "events), for every person in person_year who has any diagnosis code of the condition.",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year (named by its start year).", nullable=False),
        C("condition_id", "string", "Condition of the LTC catalogue.", nullable=False),
        C("first_diagnosis_date", "date", "Earliest diagnosis code on or before the year end."),
        C("last_diagnosis_date", "date", "Latest diagnosis code on or before the year end."),
        C("last_resolved_date", "date", "Latest resolved code on or before the year end."),
        C(
            "diagnoses_in_window",
            "int32",
            "Diagnosis events (codes or prescriptions) inside the condition's look-back window.",
            minimum=0,
        ),
        C("age_at_year_end", "int16", "Age on 31 March at the end of the year."),
        C("has_condition", "boolean", "Has the condition by the end of the year.", nullable=False),
        C(
            "status",
            "string",
            "active, or why not: resolved, outside_lookback, too_few_events, below_min_age.",
            nullable=False,
            allowed=("active", "resolved", "outside_lookback", "too_few_events", "below_min_age"),
        ),
    ],
    key=["person_id", "fy", "condition_id"],
    derived=True,
    produced_by=BUILD,
)

activity_costed = table(
    "activity_costed",
    "one row per activity row, plus one per person for block values shared over a registered population",
    "Every activity row with its cost: the supplied cost where there is one, else a share of a "
    "block contract, else the unit cost of its setting and currency (times units).",
    [
        C(
            "activity_id",
            "string",
            "Activity identifier (block:<contract>:<person> for shares).",
            nullable=False,
        ),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year of the start date.", nullable=False),
        C("source", "string", "Extract the row came from (block_contract for shares)."),
        C("setting", "string", "Care setting.", nullable=False, allowed=vocab.SETTINGS),
        C("service_type", "string", "Sub-type within the setting."),
        C("provider_code", "string", "ODS code of the provider."),
        C("start_date", "date", "Start date.", nullable=False),
        C("end_date", "date", "End date."),
        C("units", "float64", "Amount of activity in unit_type units.", minimum=0),
        C("unit_type", "string", "What units counts.", allowed=vocab.UNIT_TYPES),
        C("bed_days", "float64", "Occupied bed days.", minimum=0),
        C("currency", "string", "Currency the activity is counted in."),
        C("cost", "float64", "Cost in pounds.", nullable=False, minimum=0),
        C(
            "cost_basis",
            "string",
            "How the cost was obtained.",
            nullable=False,
            allowed=vocab.COST_BASES,
        ),
        C(
            "cost_source",
            "string",
            "Where the cost came from: supplied (by the extract), the unit-cost table name, "
            "or the block contract id.",
            nullable=False,
        ),
        C("funding_route", "string", "Who pays and how.", allowed=vocab.FUNDING_ROUTES),
        C(
            "is_activity",
            "boolean",
            "True for a real contact/spell/item; False for a block share given to a registered person.",
            nullable=False,
        ),
    ],
    key=["activity_id"],
    derived=True,
    produced_by=BUILD,
)

block_contract = table(
    "block_contract",
    "one row per block contract × financial year",
    "Block contract values to apportion to people (input to `yoc build --block-contracts FILE`, "
    "kept in the store for traceability). activity_share: the value is split equally over the "
    "contract's uncosted activity rows (so in proportion to each person's contacts); "
    "registered_equal: split equally over everyone registered on 30 September.",
    [
        C("contract_id", "string", "Contract identifier.", nullable=False),
        C("fy", "int16", "Financial year the value is for.", nullable=False),
        C(
            "setting",
            "string",
            "Setting the contract pays for.",
            nullable=False,
            allowed=vocab.SETTINGS,
        ),
        C("provider_code", "string", "Provider (empty = any provider)."),
        C("service_type", "string", "Service type (empty = any)."),
        C("value", "float64", "Contract value in pounds for the year.", nullable=False, minimum=0),
        C("rule", "string", "Apportionment rule.", nullable=False, allowed=BLOCK_RULES),
    ],
    key=["contract_id", "fy"],
    derived=False,
    produced_by="finance team; loaded by `yoc build --block-contracts FILE`",
)

build_dq_finding = table(
    "build_dq_finding",
    "one row per data-quality finding of the build",
    "Problems found while building person_year that do not stop the build; nothing is dropped "
    "(the rows stay in person_year), they are listed here and counted in the run log.",
    [
        C(
            "finding",
            "string",
            "Kind of finding.",
            nullable=False,
            allowed=(
                "activity_after_death",
                "activity_for_unknown_person",
                "registered_without_person",
                "unknown_age",
            ),
        ),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year of the activity or person-year.", nullable=False),
        C("activity_id", "string", "Activity row concerned."),
        C("event_date", "date", "Date of the activity."),
        C("detail", "string", "What was found."),
    ],
    derived=True,
    produced_by=BUILD,
)

person_year_meta = table(
    "person_year_meta",
    "one row per item of provenance of the latest build",
    "What the build used: code-list version and fingerprint, unit-cost tables, multimorbidity "
    "weights, years, configuration and data-quality counts (also in the run log parameters).",
    [
        C("run_id", "string", "Run of `yoc build` that wrote person_year.", nullable=False),
        C(
            "item",
            "string",
            "What is recorded (codelist, codelist_sha256, unit_costs, …).",
            nullable=False,
        ),
        C("value", "string", "Its value."),
    ],
    key=["item"],
    derived=True,
    produced_by=BUILD,
)

TABLES = (person_condition, activity_costed, block_contract, build_dq_finding, person_year_meta)
