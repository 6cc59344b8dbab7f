"""HES A&E (to 2019-20): one row per attendance. A&E diagnosis codes are not ICD-10: the first
is kept as the activity's primary code with no code system, and none become coded events."""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn

DEPARTMENT_TYPES = {
    "01": "type_1",
    "1": "type_1",
    "02": "type_2",
    "2": "type_2",
    "03": "type_3",
    "3": "type_3",
    "04": "type_4",
    "4": "type_4",
    "99": "unknown",
}

COLUMNS = (
    RawColumn("TOKEN_PERSON_ID", "token", optional=True),
    RawColumn("NEWNHSNO", "nhs_number", optional=True),
    RawColumn("DOB", "dob", optional=True),
    RawColumn("HOMEADD", "postcode", optional=True),
    RawColumn("AEKEY", "string", required=True),
    RawColumn("ARRIVALDATE", "date", required=True),
    RawColumn("PROCODE3", "string", required=True),
    RawColumn("AEDEPTTYPE", "code"),
    RawColumn("AEATTENDDISP", "string", optional=True),
    RawColumn("SUSHRG", "string", optional=True),
    RawColumn("SEX", "code"),
    *common.BIRTH_COLUMNS,
    RawColumn("LSOA11", "string", optional=True),
    RawColumn("GPPRAC", "string", optional=True),
    RawColumn("DIAG_01", "string", optional=True),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    activity = common.activity_frame(
        t,
        ctx,
        activity_id=common.activity_id(ctx, t.AEKEY),
        setting=ibis.literal("ae"),
        service_type=t.AEDEPTTYPE,
        provider_code=t.PROCODE3,
        start_date=t.ARRIVALDATE,
        end_date=t.ARRIVALDATE,
        units=ibis.literal(1.0),
        unit_type=ibis.literal("attendance"),
        currency=t.SUSHRG,
        primary_code=t.DIAG_01,
    )
    person = common.person_rows(
        t,
        sex=t.SEX,
        lsoa=t.LSOA11,
        last_seen=t.ARRIVALDATE,
        **common.hes_birth(t),
    )
    return {"activity": activity, "person": person}


ADAPTER = Adapter(
    name="hes_ae",
    description="HES accident and emergency attendances (before ECDS).",
    columns=COLUMNS,
    build=build,
    record_key=("AEKEY",),
    code_maps={"AEDEPTTYPE": DEPARTMENT_TYPES, "SEX": common.SEX_CODES},
    defaults={"funding_route": "pbr"},
    null_values=("-", "&"),
    null_dates=common.HES_NULL_DATES,
    invalid_dates=common.HES_INVALID_DATES,
    date_column="ARRIVALDATE",
    person_rank=4,
    dataset="ae",
)
