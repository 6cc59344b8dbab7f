"""Derived tables of the population stage: `person_year` (one row per person per year).

The LTC flag columns come from the condition catalogue (a versioned data file), one boolean
`ltc_<condition_id>` each; cost and activity columns come from the setting groups below.
"""

from __future__ import annotations

import csv
from importlib import resources

from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

CATALOGUE = "yoc_ltc_catalogue_2026.csv"

#: Groups that person_year reports cost and activity by; each maps activity settings to it.
COST_GROUPS: dict[str, tuple[str, ...]] = {
    "non_elective": ("acute_non_elective",),
    "elective": ("acute_elective",),
    "day_case": ("acute_day_case",),
    "outpatient": ("outpatient",),
    "ae": ("ae",),
    "community": ("community",),
    "mental_health": ("mental_health",),
    "gp": ("gp", "out_of_hours"),
    "prescribing": ("prescribing",),
    "social_care": ("social_care",),
    "ambulance": ("ambulance",),
    "other": ("hospice", "third_sector"),
}

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-17", 0, 17),
    ("18-64", 18, 64),
    ("65-74", 65, 74),
    ("75-84", 75, 84),
    ("85+", 85, 200),
)
#: The band of a person-year whose age is not known (no birth year): never folded into 0-17.
UNKNOWN_AGE_BAND = "unknown"
#: Every age band value person_year holds, in display order.
AGE_BAND_NAMES: tuple[str, ...] = (*(b[0] for b in AGE_BANDS), UNKNOWN_AGE_BAND)


def catalogue_rows(name: str = CATALOGUE) -> list[dict[str, str]]:
    path = resources.files("yearofcare.reference") / "conditions" / name
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def condition_ids(name: str = CATALOGUE) -> tuple[str, ...]:
    return tuple(r["condition_id"] for r in catalogue_rows(name))


#: Catalogue kinds: a `condition` counts towards the LTC counts; a `register` (palliative care)
#: is flagged like a condition but is not a long-term condition and is never counted.
KINDS: tuple[str, ...] = ("condition", "register")


def counted_condition_ids(name: str = CATALOGUE) -> tuple[str, ...]:
    """The catalogue entries that are long-term conditions (counted in `ltc_count`)."""
    return tuple(r["condition_id"] for r in catalogue_rows(name) if r["kind"] == "condition")


def _flag_description(row: dict[str, str]) -> str:
    name = row["condition_id"].replace("_", " ")
    if row["kind"] == "register":
        return (
            f"On the {name} register by the end of the year (a register flag, not a long-term "
            "condition: not counted in ltc_count or the CMS)."
        )
    return f"Has {name} by the end of the year (condition rules applied)."


person_year = table(
    "person_year",
    "one row per person × financial year in which the person was registered or seen",
    "The person-level year: demographics, long-term conditions, multimorbidity, activity and cost by setting.",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False, role="identifier"),
        C(
            "fy",
            "int16",
            "Financial year, named by the year it starts (2024 = 2024/25).",
            nullable=False,
        ),
        C(
            "age",
            "int16",
            "Age in whole years on 30 September of the year (0 for a baby born after it); "
            "empty when the birth year is not known.",
            minimum=0,
            maximum=130,
        ),
        C(
            "age_band",
            "string",
            "Age band; `unknown` when the birth year is not known.",
            nullable=False,
            allowed=AGE_BAND_NAMES,
        ),
        C(
            "sex",
            "string",
            "F, M or U (U also when the person has no `person` row: see build_dq_finding).",
            nullable=False,
            allowed=("F", "M", "U"),
        ),
        C("imd_decile", "int8", "Deprivation decile (1 most deprived).", minimum=1, maximum=10),
        C("lsoa", "string", "LSOA of residence."),
        C(
            "practice_code",
            "string",
            "Practice registered with on 30 September (else the longest spell in the year).",
        ),
        C("locality", "string", "Locality of that practice."),
        C(
            "months_registered",
            "int8",
            "Whole or part months of the year registered with any practice.",
            minimum=0,
            maximum=12,
        ),
        C("died_in_year", "boolean", "Died during the year.", nullable=False),
        C("date_of_death", "date", "Date of death, if known."),
        C(
            "last_year_of_life",
            "boolean",
            "Died during the year or within six months after it ends, so most of the year fell in the last 12 months of life.",
        ),
        *[
            C(f"ltc_{r['condition_id']}", "boolean", _flag_description(r), role="derived")
            for r in catalogue_rows()
        ],
        C(
            "ltc_count",
            "int16",
            "Number of long-term conditions of the catalogue held (registers such as palliative "
            "care are not counted).",
            minimum=0,
            role="derived",
        ),
        C(
            "physical_ltc_count",
            "int16",
            "Number of physical long-term conditions.",
            minimum=0,
            role="derived",
        ),
        C(
            "mental_ltc_count",
            "int16",
            "Number of mental health long-term conditions.",
            minimum=0,
            role="derived",
        ),
        C(
            "charlson_charlson",
            "int16",
            "Charlson index, Quan ICD-10 mapping, original Charlson (1987) weights.",
            minimum=0,
            role="derived",
        ),
        C(
            "charlson_quan",
            "int16",
            "Charlson index, Quan ICD-10 mapping, Quan (2011) updated weights.",
            minimum=0,
            role="derived",
        ),
        C(
            "charlson_shmi",
            "int16",
            "Charlson index, Quan ICD-10 mapping, UK SHMI weights.",
            minimum=0,
            role="derived",
        ),
        C(
            "cms_score",
            "float64",
            "Cambridge Multimorbidity Score, general-outcome weights (Payne et al. 2020).",
            role="derived",
        ),
        *[
            C(
                f"n_{g}",
                "int32",
                f"Activity count: {g.replace('_', ' ')} (spells, attendances, contacts, items or package weeks).",
                minimum=0,
                role="count",
            )
            for g in COST_GROUPS
        ],
        C(
            "n_emergency",
            "int32",
            "Emergency admissions: acute non-elective spells that are not maternity, births or "
            "transfers (population.admissions).",
            minimum=0,
        ),
        *[
            C(
                f"cost_{g}",
                "float64",
                f"Cost in pounds: {g.replace('_', ' ')}.",
                minimum=0,
                role="money",
            )
            for g in COST_GROUPS
        ],
        C(
            "cost_total",
            "float64",
            "Total health and care cost in pounds.",
            minimum=0,
            role="money",
        ),
        C("bed_days_acute", "float64", "Acute hospital bed days in the year.", minimum=0),
        C("bed_days_community", "float64", "Community hospital bed days.", minimum=0),
        C("bed_days_mental_health", "float64", "Mental health inpatient bed days.", minimum=0),
        C(
            "care_home_days",
            "float64",
            "Days in a residential or nursing care home placement.",
            minimum=0,
        ),
    ],
    key=["person_id", "fy"],
    derived=True,
    produced_by="`yoc build` (yearofcare.population)",
)

TABLES = (person_year,)
