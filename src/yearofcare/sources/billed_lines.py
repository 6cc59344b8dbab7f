"""Billed lines: what a provider billed outside the capitated budget, line by line.

A provider's PbR (SLAM) or contract-monitoring lines (one row per line billed), checked against
activity tagged inside the capitated budget to stop the same care being paid twice (004 §7.4).
People are identified as in every extract: by NHS number (or a pseudonym made with our key),
turned into the keyed pseudonym at ingest; a line whose person cannot be linked is loaded with
`linked` false, and `yoc reconcile` names it. The point of delivery (`POD`) becomes a care
setting through the code map below (PbR POD codes and contract-monitoring service lines);
a mapping file can add local codes.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn

#: Point of delivery → care setting (NHS PbR POD codes; contract-monitoring service lines).
PODS = {
    **dict.fromkeys(("NEL", "NELST", "NELXBD", "NE", "EMERGENCY"), "acute_non_elective"),
    **dict.fromkeys(("EL", "ELXBD", "ELECTIVE"), "acute_elective"),
    **dict.fromkeys(("DC", "DAYCASE", "DAY_CASE"), "acute_day_case"),
    **dict.fromkeys(("OPFA", "OPFUP", "OPPROC", "OP", "OUTPATIENT"), "outpatient"),
    **dict.fromkeys(("AE", "A&E", "ED", "UEC"), "ae"),
    **dict.fromkeys(("COMM", "CHS", "COMMUNITY"), "community"),
    **dict.fromkeys(("MH", "MHS", "MENTAL_HEALTH"), "mental_health"),
    **dict.fromkeys(("ASC", "SOCIAL_CARE"), "social_care"),
    **dict.fromkeys(("AMB", "AMBULANCE"), "ambulance"),
    **dict.fromkeys(("OOH", "OUT_OF_HOURS"), "out_of_hours"),
    **dict.fromkeys(("HOSPICE",), "hospice"),
    **dict.fromkeys(("VCS", "THIRD_SECTOR"), "third_sector"),
}
ROUTES = {
    "PBR": "pbr",
    "SLAM": "pbr",
    "CM": "contract_monitoring",
    "CMDS": "contract_monitoring",
    "CONTRACT_MONITORING": "contract_monitoring",
}
#: Who pays for the care billed (the funding routes of activity): a line billed to NHS England
#: for a specialised service is not paid from the local capitated budget.
FUNDING = {
    **{r.upper(): r for r in ("pbr", "block", "local_authority", "nhs_england", "primary_care")},
    "NHSE": "nhs_england",
    "SPECIALISED": "nhs_england",
    "LA": "local_authority",
    "CHARITABLE": "charitable",
}
DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")

COLUMNS = (
    common.NHS,
    RawColumn("PSEUDONYM", "pseudonym", optional=True, description="Pseudonym made with our key."),
    RawColumn("LINE_REF", "string", required=True, description="The provider's line reference."),
    RawColumn("BILLING_ROUTE", "code", optional=True, description="PBR or CM (default PBR)."),
    RawColumn("PROVIDER_CODE", "string", required=True, description="ODS code of the provider."),
    RawColumn("FUNDING_ROUTE", "code", optional=True, description="Who pays (e.g. PBR, NHSE)."),
    RawColumn("POD", "code", required=True, description="Point of delivery (PbR POD code)."),
    RawColumn("HRG", "string", optional=True, description="HRG or currency billed."),
    RawColumn("SERVICE", "string", optional=True, description="Service type billed."),
    RawColumn("ACTIVITY_DATE", "date", required=True, formats=DATES),
    RawColumn("AMOUNT", "float", required=True, minimum=0, description="Pounds billed."),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    line = t.select(
        line_id=common.activity_id(ctx, t.LINE_REF),
        person_id=t.person_id,
        linked=t._linked.fill_null(False),
        file_row=t._row.cast("int64"),
        line_ref=t.LINE_REF,
        billing_route=t.BILLING_ROUTE.fill_null("pbr"),
        provider_code=t.PROVIDER_CODE,
        funding_route=t.FUNDING_ROUTE,
        setting=t.POD,
        service_type=common.slug(t.SERVICE),
        hrg=t.HRG,
        activity_date=t.ACTIVITY_DATE,
        billed_pence=(t.AMOUNT * 100).round().cast("int64"),
    )
    return {"billed_line": line}


ADAPTER = Adapter(
    name="billed_lines",
    description="Providers' PbR or contract-monitoring billed lines, checked for double payment.",
    columns=COLUMNS,
    build=build,
    record_key=("LINE_REF",),
    code_maps={"POD": PODS, "BILLING_ROUTE": ROUTES, "FUNDING_ROUTE": FUNDING},
    date_column="ACTIVITY_DATE",
    person_rank=9,
    token_namespace="billing",
    feeds=("billed_line",),
)
