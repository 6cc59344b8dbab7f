"""HES / SUS outpatients: one row per appointment; attended appointments become activity.

Appointments not attended (`ATTENDED` 2, 3, 4, 7: cancelled or did not attend) are excluded
with a reason. Diagnoses (ICD-10, rarely coded in outpatients) and procedures (OPCS-4; empty
slots hold `&`, `-` or tabs in HES) become coded events.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn, Rule, columns

ATTENDANCE = {
    "5": "attended",
    "6": "attended",
    "2": "not_attended",
    "3": "not_attended",
    "4": "not_attended",
    "7": "not_attended",
    "0": "not_attended",
    "9": "unknown",
}
FIRST_OR_FOLLOW_UP = {
    "1": "first_attendance",
    "3": "first_attendance",
    "5": "first_attendance",
    "2": "follow_up",
    "4": "follow_up",
    "6": "follow_up",
}
DIAGS = [f"DIAG_4_{i:02d}" for i in range(1, 13)]
OPERS = [f"OPERTN_{i:02d}" for i in range(1, 25)]

COLUMNS = (
    RawColumn("TOKEN_PERSON_ID", "token", optional=True, description="HES person token."),
    RawColumn("NEWNHSNO", "nhs_number", optional=True),
    RawColumn("DOB", "dob", optional=True),
    RawColumn("HOMEADD", "postcode", optional=True),
    RawColumn("ATTENDKEY", "string", required=True),
    RawColumn("APPTDATE", "date", required=True),
    RawColumn("ATTENDED", "code", required=True),
    RawColumn("FIRSTATT", "code", optional=True),
    RawColumn("PROCODE3", "string", required=True),
    RawColumn("TRETSPEF", "string", optional=True),
    RawColumn("SUSHRG", "string", optional=True),
    RawColumn("SEX", "code"),
    *common.BIRTH_COLUMNS,
    RawColumn("LSOA11", "string", optional=True),
    RawColumn("GPPRAC", "string", optional=True),
    *[RawColumn(c, "icd10", optional=True) for c in DIAGS],
    *columns("OPERTN_{:02d}", 1, 24, "opcs4"),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    act_id = common.activity_id(ctx, t.ATTENDKEY)
    t = t.mutate(_aid=act_id)
    activity = common.activity_frame(
        t,
        ctx,
        activity_id=t._aid,
        setting=ibis.literal("outpatient"),
        service_type=t.FIRSTATT,
        provider_code=t.PROCODE3,
        start_date=t.APPTDATE,
        end_date=t.APPTDATE,
        units=ibis.literal(1.0),
        unit_type=ibis.literal("attendance"),
        currency=t.SUSHRG,
        primary_code=t.DIAG_4_01,
        primary_code_system=common.first_code_system(t.DIAG_4_01, "ICD10"),
    )
    events = ibis.union(
        common.coded_events(t, DIAGS, "ICD10", date=t.APPTDATE, activity=t._aid, source=ctx.source),
        common.coded_events(t, OPERS, "OPCS4", date=t.APPTDATE, activity=t._aid, source=ctx.source),
        distinct=True,
    )
    person = common.person_rows(
        t,
        sex=t.SEX,
        lsoa=t.LSOA11,
        last_seen=t.APPTDATE,
        **common.hes_birth(t),
    )
    return {"activity": activity, "coded_event": events, "person": person}


ADAPTER = Adapter(
    name="hes_op",
    description="HES / SUS outpatient appointments (attended ones become activity).",
    columns=COLUMNS,
    build=build,
    record_key=("ATTENDKEY",),
    rules=(
        Rule(
            "excluded",
            "ATTENDED",
            lambda t: t.ATTENDED == "not_attended",
            "appointment not attended (cancelled or did not attend): not an attendance",
        ),
    ),
    code_maps={"ATTENDED": ATTENDANCE, "FIRSTATT": FIRST_OR_FOLLOW_UP, "SEX": common.SEX_CODES},
    defaults={"funding_route": "pbr"},
    null_values=("-", "&"),
    null_dates=common.HES_NULL_DATES,
    invalid_dates=common.HES_INVALID_DATES,
    date_column="APPTDATE",
    person_rank=4,
    feeds=("activity", "coded_event"),
    dataset="op",
)
