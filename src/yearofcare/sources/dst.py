"""NHS Continuing Healthcare Decision Support Tool (DST) assessments: one row per assessment
with a level in each of the eleven care domains (seed 000 annex 2.2), loaded into `assessment`.

Levels are accepted as the DST writes them — No needs, Low, Moderate, High, Severe, Priority —
or as their initials (N, L, M, H, S, P) or the numbers 0–5, in any case. Each domain accepts only
the levels the DST gives it (communication, continence and psychological stop at High;
cognition, mobility, nutrition and skin at Severe; behaviour, breathing, drug therapies and
altered states reach Priority): any other value quarantines the row, naming the column and the
value. A local export with other column names or level words loads through a mapping file
(`columns:` and `code_maps:`). The concluded level (Low, Medium, High, End of life; also 1–3,
EOL) and the functional need and complexity summaries (1–3) are optional.
"""

from __future__ import annotations

import ibis

from yearofcare import vocab
from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn

DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%b-%Y")

#: The highest level each domain has in the DST (2018 edition): 3 high, 4 severe, 5 priority.
DOMAIN_MAX: dict[str, int] = {
    "behaviour": 5,
    "cognition": 4,
    "communication": 3,
    "mobility": 4,
    "nutrition": 4,
    "continence": 3,
    "skin": 4,
    "breathing": 5,
    "drug_therapies": 5,
    "psychological": 3,
    "altered_states": 5,
}
_WORDS = (
    ("no needs", "n", "none", "no need", "0"),
    ("low", "l", "1"),
    ("moderate", "m", "2"),
    ("high", "h", "3"),
    ("severe", "s", "4"),
    ("priority", "p", "5"),
)
LEVEL_OUTCOMES = {
    "low": "Low",
    "1": "Low",
    "medium": "Medium",
    "2": "Medium",
    "high": "High",
    "3": "High",
    "end of life": "End of life",
    "eol": "End of life",
    "palliative": "End of life",
}
SUMMARY = {"1": "1", "low": "1", "2": "2", "medium": "2", "3": "3", "high": "3"}


def domain_codes(top: int) -> dict[str, str]:
    """Spellings of the levels 0 … `top` → the level number as text."""
    return {word: str(level) for level, words in enumerate(_WORDS[: top + 1]) for word in words}


def _domain(d: str) -> str:
    return "DST_" + d.upper()


COLUMNS = (
    RawColumn("NHS_NUMBER", "nhs_number", optional=True),
    RawColumn("DATE_OF_BIRTH", "dob", optional=True, formats=DATES),
    RawColumn("POSTCODE", "postcode", optional=True),
    RawColumn("ASSESSMENT_ID", "string", required=True),
    RawColumn("ASSESSMENT_DATE", "date", required=True, formats=DATES),
    RawColumn("ASSESSOR_ID", "string", optional=True),
    RawColumn("PROVIDER_CODE", "string", optional=True),
    *(RawColumn(_domain(d), "code", required=True) for d in vocab.DST_DOMAINS),
    RawColumn("FUNCTIONAL_NEED", "code", optional=True),
    RawColumn("HEALTH_COMPLEXITY", "code", optional=True),
    RawColumn("OUTCOME", "code", optional=True),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    assessment = t.select(
        assessment_id=common.activity_id(ctx, t.ASSESSMENT_ID),
        person_id=t.person_id,
        assessment_date=t.ASSESSMENT_DATE,
        assessor_id=t.ASSESSOR_ID,
        provider_code=t.PROVIDER_CODE,
        **{f"dst_{d}": t[_domain(d)].cast("int8") for d in vocab.DST_DOMAINS},
        functional_need=t.FUNCTIONAL_NEED.cast("int8"),
        health_complexity=t.HEALTH_COMPLEXITY.cast("int8"),
        assessed_level=t.OUTCOME,
    )
    person = common.person_rows(t, last_seen=t.ASSESSMENT_DATE, **common.birth(t))
    return {"assessment": assessment, "person": person}


ADAPTER = Adapter(
    name="dst",
    description="NHS CHC Decision Support Tool assessments: eleven care domains and the level concluded.",
    columns=COLUMNS,
    build=build,
    record_key=("ASSESSMENT_ID",),
    code_maps={
        **{_domain(d): domain_codes(DOMAIN_MAX[d]) for d in vocab.DST_DOMAINS},
        "FUNCTIONAL_NEED": SUMMARY,
        "HEALTH_COMPLEXITY": SUMMARY,
        "OUTCOME": LEVEL_OUTCOMES,
    },
    date_column="ASSESSMENT_DATE",
    person_rank=5,
    token_namespace="dst",
    feeds=("assessment",),
)
