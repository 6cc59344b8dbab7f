"""The canonical tables every source adapter writes and every stage reads (DESIGN.md)."""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

PERSON_ID = C(
    "person_id",
    "string",
    "Keyed pseudonym of the NHS number (never the number itself).",
    nullable=False,
    role="identifier",
)

person = table(
    "person",
    "one row per person",
    "Everyone registered with a practice or seen by any service in the care economy.",
    [
        PERSON_ID,
        C(
            "sex",
            "string",
            "Sex as recorded: F, M or U (unknown).",
            nullable=False,
            allowed=vocab.SEXES,
        ),
        C("birth_year", "int16", "Year of birth.", minimum=1890, maximum=2100),
        C(
            "birth_month",
            "int8",
            "Month of birth (1–12); day is never held.",
            minimum=1,
            maximum=12,
        ),
        C("lsoa", "string", "Lower layer super output area of residence (2021 code)."),
        C(
            "imd_decile",
            "int8",
            "Index of Multiple Deprivation decile of the LSOA: 1 most deprived, 10 least.",
            minimum=1,
            maximum=10,
        ),
        C(
            "date_of_death",
            "date",
            "Date of death, from any source (including out-of-hospital deaths).",
        ),
        C("place_of_death", "string", "Where the person died.", allowed=vocab.PLACES_OF_DEATH),
        C("linked", "boolean", "True if the person's records were linked on a valid NHS number."),
    ],
    key=["person_id"],
)

practice = table(
    "practice",
    "one row per GP practice",
    "GP practices and the locality (place / primary care network) each belongs to.",
    [
        C("practice_code", "string", "ODS code of the practice.", nullable=False),
        C("practice_name", "string", "Practice name."),
        C("locality", "string", "Locality, place or primary care network the practice belongs to."),
    ],
    key=["practice_code"],
)

registration = table(
    "registration",
    "one row per person × practice registration spell",
    "GP registration spells: joiners, leavers and deaths end or start a spell.",
    [
        PERSON_ID,
        C("practice_code", "string", "ODS code of the practice.", nullable=False),
        C("start_date", "date", "First day registered.", nullable=False),
        C("end_date", "date", "Last day registered; empty while still registered."),
        C("end_reason", "string", "Why the spell ended.", allowed=("left", "died", "transferred")),
    ],
    key=["person_id", "practice_code", "start_date"],
)

activity = table(
    "activity",
    "one contact, spell, attendance, package week or prescription",
    "Every use of a health or care service, with its cost and how that cost was found.",
    [
        C(
            "activity_id",
            "string",
            "Identifier unique within the store (source-prefixed).",
            nullable=False,
            role="identifier",
        ),
        PERSON_ID,
        C(
            "source",
            "string",
            "Extract the row came from (hes_apc, csds, asc_cld, synth, …).",
            nullable=False,
        ),
        C("setting", "string", "Care setting.", nullable=False, allowed=vocab.SETTINGS),
        C(
            "service_type",
            "string",
            "Sub-type within the setting (e.g. home_care, nursing_care, district_nursing, community_bed).",
        ),
        C("provider_code", "string", "ODS code of the provider."),
        C("start_date", "date", "Admission, contact or period start date.", nullable=False),
        C("end_date", "date", "Discharge or period end date (same as start for a single contact)."),
        C("units", "float64", "Amount of activity in `unit_type` units.", minimum=0),
        C("unit_type", "string", "What `units` counts.", allowed=vocab.UNIT_TYPES),
        C(
            "bed_days",
            "float64",
            "Occupied bed days (inpatient, community bed, care home).",
            minimum=0,
        ),
        C(
            "currency",
            "string",
            "Currency the activity is counted in (HRG, contact type, care package type).",
        ),
        C(
            "cost",
            "float64",
            "Cost in pounds; empty when the source gives none (costing fills it).",
            minimum=0,
            role="money",
        ),
        C("cost_basis", "string", "How `cost` was obtained.", allowed=vocab.COST_BASES),
        C("funding_route", "string", "Who pays and how.", allowed=vocab.FUNDING_ROUTES),
        C(
            "primary_code",
            "string",
            "Primary diagnosis or reason code, normalised (e.g. I10, not I10X).",
        ),
        C(
            "primary_code_system",
            "string",
            "Code system of `primary_code`.",
            allowed=vocab.CODE_SYSTEMS,
        ),
    ],
    key=["activity_id"],
)

coded_event = table(
    "coded_event",
    "one row per person × code × date",
    "Diagnoses, procedures and findings as codes: ICD-10 from hospital activity, SNOMED CT or Read v2 from GP records.",
    [
        PERSON_ID,
        C("event_date", "date", "Date the code was recorded.", nullable=False),
        C("code_system", "string", "Code system.", nullable=False, allowed=vocab.CODE_SYSTEMS),
        C(
            "code",
            "string",
            "The code, normalised (ICD-10 without dots or X filler).",
            nullable=False,
        ),
        C("source", "string", "Extract the code came from.", nullable=False),
        C(
            "activity_id",
            "string",
            "The activity row the code belongs to, if any.",
            role="identifier",
        ),
        C("value", "float64", "Numeric value recorded with the code (e.g. eGFR), if any."),
    ],
)

_dst = [
    C(
        f"dst_{d}",
        "int8",
        f"DST {d.replace('_', ' ')} domain level: 0 no needs, 1 low, 2 moderate, 3 high, 4 severe, 5 priority.",
        minimum=0,
        maximum=5,
    )
    for d in vocab.DST_DOMAINS
]

assessment = table(
    "assessment",
    "one row per person × assessment",
    "Individual assessments with the NHS CHC Decision Support Tool's eleven care domains.",
    [
        C(
            "assessment_id",
            "string",
            "Identifier of the assessment.",
            nullable=False,
            role="identifier",
        ),
        PERSON_ID,
        C("assessment_date", "date", "Date of the assessment.", nullable=False),
        C("assessor_id", "string", "Pseudonymous identifier of the assessor."),
        C("provider_code", "string", "Organisation the assessor works for."),
        *_dst,
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
            "assessed_level",
            "string",
            "Level of need the assessor concluded.",
            allowed=vocab.NEED_LEVELS,
        ),
    ],
    key=["assessment_id"],
)

survey_response = table(
    "survey_response",
    "one row per person × survey",
    "Answers to the LTC6 questionnaire: six questions each scored 0–3.",
    [
        C(
            "response_id",
            "string",
            "Identifier of the response.",
            nullable=False,
            role="identifier",
        ),
        PERSON_ID,
        C("survey", "string", "Questionnaire name.", nullable=False, allowed=("LTC6",)),
        C("response_date", "date", "Date answered.", nullable=False),
        *[
            C(
                f"q{i}",
                "int8",
                f"Answer to question {i} (0–3); empty if not answered.",
                minimum=0,
                maximum=3,
            )
            for i in range(1, 7)
        ],
    ],
    key=["response_id"],
)

run_log = table(
    "run_log",
    "one row per stage run",
    "Every stage run, so any output can be traced to its inputs (the system audit).",
    [
        C("run_id", "string", "Unique identifier of the run.", nullable=False),
        C("stage", "string", "Stage that ran.", nullable=False),
        C(
            "status",
            "string",
            "Outcome: ok; failed (rolled back); interrupted (Ctrl-C, rolled back); died "
            "(killed part-way, found and cleaned up when the store was next opened).",
            nullable=False,
            allowed=("ok", "failed", "interrupted", "died"),
        ),
        C("started_at", "timestamp", "When the run started (UTC).", nullable=False),
        C("finished_at", "timestamp", "When the run ended (UTC)."),
        C("seconds", "float64", "Wall-clock duration."),
        C("engine", "string", "Engine used (duckdb or spark)."),
        C("code_version", "string", "yearofcare version (and git commit when known)."),
        C("parameters", "string", "Parameters as JSON."),
        C("input_rows", "string", "Row counts of inputs as JSON {name: rows}."),
        C("output_rows", "string", "Row counts of tables written as JSON {name: rows}."),
        C("message", "string", "Error message when the run failed."),
    ],
    key=["run_id"],
)

CANONICAL = (person, practice, registration, activity, coded_event, assessment, survey_response)
