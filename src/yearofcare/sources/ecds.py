"""Emergency Care Data Set: one row per attendance; diagnoses are SNOMED CT; FINAL_PRICE (the
tariff price SUS derived) becomes the cost."""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn
from yearofcare.sources.hes_ae import DEPARTMENT_TYPES

DATES = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y")
DIAGS = [f"DIAGNOSIS_CODE_{i}" for i in range(1, 13)]

COLUMNS = (
    RawColumn("TOKEN_PERSON_ID", "token", optional=True),
    RawColumn("NHS_NUMBER", "nhs_number", optional=True),
    RawColumn("DATE_OF_BIRTH", "dob", optional=True),
    RawColumn("POSTCODE", "postcode", optional=True),
    RawColumn("EPIKEY", "string", required=True, description="Attendance record key."),
    RawColumn("ARRIVAL_DATE", "date", required=True, formats=DATES),
    RawColumn("DEPARTURE_DATE", "date", optional=True, formats=DATES),
    RawColumn("PROVIDER_CODE", "string", required=True),
    RawColumn("DEPARTMENT_TYPE", "code"),
    RawColumn("STATED_GENDER", "code"),
    RawColumn("BIRTH_YEAR", "int", optional=True, minimum=1890, maximum=2100),
    RawColumn("BIRTH_MONTH", "int", optional=True, minimum=1, maximum=12),
    RawColumn("LSOA_2011", "string", optional=True),
    RawColumn("HEALTH_RESOURCE_GROUP", "string", optional=True),
    RawColumn("FINAL_PRICE", "float", optional=True, minimum=0),
    *[RawColumn(c, "snomed", optional=True) for c in DIAGS],
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    t = t.mutate(_aid=common.activity_id(ctx, t.EPIKEY))
    activity = common.activity_frame(
        t,
        ctx,
        activity_id=t._aid,
        setting=ibis.literal("ae"),
        service_type=t.DEPARTMENT_TYPE,
        provider_code=t.PROVIDER_CODE,
        start_date=t.ARRIVAL_DATE,
        end_date=t.DEPARTURE_DATE.fill_null(t.ARRIVAL_DATE),
        units=ibis.literal(1.0),
        unit_type=ibis.literal("attendance"),
        currency=t.HEALTH_RESOURCE_GROUP,
        cost=t.FINAL_PRICE,
        cost_basis=ibis.ifelse(t.FINAL_PRICE.notnull(), "tariff", ibis.null("string")),
        primary_code=t.DIAGNOSIS_CODE_1,
        primary_code_system=common.first_code_system(t.DIAGNOSIS_CODE_1, "SNOMED"),
    )
    events = common.coded_events(
        t, DIAGS, "SNOMED", date=t.ARRIVAL_DATE, activity=t._aid, source=ctx.source
    ).distinct()
    person = common.person_rows(
        t,
        sex=t.STATED_GENDER,
        lsoa=t.LSOA_2011,
        last_seen=t.ARRIVAL_DATE,
        **common.birth(t, t.BIRTH_YEAR, t.BIRTH_MONTH),
    )
    return {"activity": activity, "coded_event": events, "person": person}


ADAPTER = Adapter(
    name="ecds",
    description="Emergency Care Data Set attendances (SNOMED CT diagnoses, SUS price).",
    columns=COLUMNS,
    build=build,
    record_key=("EPIKEY",),
    code_maps={"DEPARTMENT_TYPE": DEPARTMENT_TYPES, "STATED_GENDER": common.SEX_CODES},
    defaults={"funding_route": "pbr"},
    null_dates=common.HES_NULL_DATES,
    invalid_dates=common.HES_INVALID_DATES,
    date_column="ARRIVAL_DATE",
    person_rank=4,
    feeds=("activity", "coded_event"),
)
