"""Person-level prescribing (dispensed items, as NHSBSA supplies them): one row per item line.

Each row becomes `prescribing` activity: `units` = items, cost = actual cost (else the net
ingredient cost), primary code = the BNF presentation code.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn

DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%Y%m")

COLUMNS = (
    RawColumn("NHS_NUMBER", "nhs_number", optional=True),
    RawColumn("PSEUDONYM", "pseudonym", optional=True),
    RawColumn("ITEM_ID", "string", required=True),
    RawColumn("DISPENSED_DATE", "date", required=True, formats=DATES),
    RawColumn("BNF_CODE", "bnf", required=True),
    RawColumn("ITEMS", "int", required=True, minimum=0),
    RawColumn("QUANTITY", "float", optional=True, minimum=0),
    RawColumn("NIC", "float", optional=True, minimum=0),
    RawColumn("ACTUAL_COST", "float", optional=True, minimum=0),
    RawColumn("PRESCRIBER_CODE", "string", optional=True),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    cost = t.ACTUAL_COST.fill_null(t.NIC)
    activity = common.activity_frame(
        t,
        ctx,
        activity_id=common.activity_id(ctx, t.ITEM_ID),
        setting=ibis.literal("prescribing"),
        provider_code=t.PRESCRIBER_CODE,
        start_date=t.DISPENSED_DATE,
        end_date=t.DISPENSED_DATE,
        units=t.ITEMS.cast("float64"),
        unit_type=ibis.literal("items"),
        cost=cost,
        cost_basis=ibis.ifelse(cost.notnull(), "actual", ibis.null("string")),
        primary_code=t.BNF_CODE,
        primary_code_system=common.first_code_system(t.BNF_CODE, "BNF"),
    )
    person = common.person_rows(t, last_seen=t.DISPENSED_DATE)
    return {"activity": activity, "person": person}


ADAPTER = Adapter(
    name="prescribing",
    description="Person-level dispensed prescription items (BNF codes, actual cost).",
    columns=COLUMNS,
    build=build,
    record_key=("ITEM_ID",),
    defaults={"funding_route": "primary_care"},
    date_column="DISPENSED_DATE",
    person_rank=5,
)
