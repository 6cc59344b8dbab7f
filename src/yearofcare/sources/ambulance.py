"""Ambulance incidents (Ambulance Data Set style): one row per incident attended or resolved."""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn

OUTCOMES = {
    "hear_and_treat": "hear_and_treat",
    "H&T": "hear_and_treat",
    "see_and_treat": "see_and_treat",
    "S&T": "see_and_treat",
    "see_treat_convey": "see_treat_convey",
    "see_and_convey": "see_treat_convey",
    "S&C": "see_treat_convey",
    "conveyed": "see_treat_convey",
}
DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")

COLUMNS = (
    RawColumn("NHS_NUMBER", "nhs_number", optional=True),
    RawColumn("DATE_OF_BIRTH", "dob", optional=True, formats=DATES),
    RawColumn("POSTCODE", "postcode", optional=True),
    RawColumn("SEX", "code", optional=True),
    RawColumn("INCIDENT_ID", "string", required=True),
    RawColumn("INCIDENT_DATE", "date", required=True, formats=DATES),
    RawColumn("TRUST_CODE", "string", required=True),
    RawColumn("CATEGORY", "string", optional=True),
    RawColumn("OUTCOME", "code", required=True),
    RawColumn("COST", "float", optional=True, minimum=0),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    activity = common.activity_frame(
        t,
        ctx,
        activity_id=common.activity_id(ctx, t.INCIDENT_ID),
        setting=ibis.literal("ambulance"),
        service_type=t.OUTCOME,
        provider_code=t.TRUST_CODE,
        start_date=t.INCIDENT_DATE,
        end_date=t.INCIDENT_DATE,
        units=ibis.literal(1.0),
        unit_type=ibis.literal("incident"),
        currency=t.OUTCOME,
        cost=t.COST,
        cost_basis=ibis.ifelse(t.COST.notnull(), "actual", ibis.null("string")),
    )
    person = common.person_rows(t, sex=t.SEX, last_seen=t.INCIDENT_DATE, **common.birth(t))
    return {"activity": activity, "person": person}


ADAPTER = Adapter(
    name="ambulance",
    description="Ambulance incidents: hear and treat, see and treat, see and convey.",
    columns=COLUMNS,
    build=build,
    record_key=("INCIDENT_ID",),
    code_maps={"OUTCOME": OUTCOMES, "SEX": common.SEX_CODES},
    defaults={"funding_route": "block"},
    date_column="INCIDENT_DATE",
    person_rank=4,
)
