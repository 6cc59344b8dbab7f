"""GP registrations: the spine of the population — one row per person × practice spell.

Carries the demographics the spine trusts most (rank 1): sex, date of birth (only year and month
are kept), LSOA and deprivation decile, and the date and place of death where the practice
record or the DSCRO's death linkage supplies them. Also gives the practice list.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn, end_before_start

END_REASONS = {
    "D": "died",
    "DEATH": "died",
    "DIED": "died",
    "L": "left",
    "LEFT": "left",
    "R": "left",
    "REMOVED": "left",
    "E": "left",
    "EMBARKATION": "left",
    "T": "transferred",
    "TRANSFER": "transferred",
    "TRANSFERRED": "transferred",
    "O": "left",
    "OTHER": "left",
}
PLACES = {
    "HOSPITAL": "hospital",
    "HOME": "home",
    "CARE_HOME": "care_home",
    "CARE HOME": "care_home",
    "HOSPICE": "hospice",
    "OTHER": "other",
}
DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")

COLUMNS = (
    RawColumn("NHS_NUMBER", "nhs_number", optional=True),
    RawColumn("PSEUDONYM", "pseudonym", optional=True),
    RawColumn("DATE_OF_BIRTH", "dob", optional=True, formats=DATES),
    RawColumn("POSTCODE", "postcode", optional=True),
    RawColumn("SEX", "code"),
    RawColumn("LSOA", "string", optional=True),
    RawColumn("IMD_DECILE", "int", optional=True, minimum=1, maximum=10),
    RawColumn("PRACTICE_CODE", "string", required=True),
    RawColumn("PRACTICE_NAME", "string", optional=True),
    RawColumn("LOCALITY", "string", optional=True),
    RawColumn("REGISTRATION_DATE", "date", required=True, formats=DATES),
    RawColumn("DEREGISTRATION_DATE", "date", optional=True, formats=DATES),
    RawColumn("DEREGISTRATION_REASON", "code", optional=True),
    RawColumn("DATE_OF_DEATH", "date", optional=True, formats=DATES),
    RawColumn("PLACE_OF_DEATH", "code", optional=True),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    reason = t.DEREGISTRATION_REASON
    registration = t.select(
        person_id=t.person_id,
        practice_code=t.PRACTICE_CODE,
        start_date=t.REGISTRATION_DATE,
        end_date=t.DEREGISTRATION_DATE,
        end_reason=ibis.ifelse(t.DEREGISTRATION_DATE.notnull(), reason, ibis.null("string")),
    )
    practice = t.group_by(practice_code=t.PRACTICE_CODE).aggregate(
        practice_name=t.PRACTICE_NAME.max(), locality=t.LOCALITY.max()
    )
    death = t.DATE_OF_DEATH.fill_null(
        ibis.ifelse(reason == "died", t.DEREGISTRATION_DATE, ibis.null("date"))
    )
    person = common.person_rows(
        t,
        sex=t.SEX,
        lsoa=t.LSOA,
        imd_decile=t.IMD_DECILE,
        date_of_death=death,
        place_of_death=ibis.ifelse(death.notnull(), t.PLACE_OF_DEATH, ibis.null("string")),
        last_seen=t.DEREGISTRATION_DATE.fill_null(t.REGISTRATION_DATE),
        **common.birth(t),
    )
    return {"registration": registration, "practice": practice, "person": person}


ADAPTER = Adapter(
    name="gp_registrations",
    description="GP practice registrations with demographics (the population spine).",
    columns=COLUMNS,
    build=build,
    record_key=("person_id", "PRACTICE_CODE", "REGISTRATION_DATE"),
    rules=(end_before_start("DEREGISTRATION_DATE", "REGISTRATION_DATE"),),
    code_maps={
        "SEX": common.SEX_CODES,
        "DEREGISTRATION_REASON": END_REASONS,
        "PLACE_OF_DEATH": PLACES,
    },
    person_rank=1,
    feeds=("registration", "practice"),
)
