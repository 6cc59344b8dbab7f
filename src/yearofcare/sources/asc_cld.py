"""Adult Social Care Client Level Data (ASC-CLD): requests, assessments, services, reviews.

One row per event, named as in the ASC-CLD specification (spaces as underscores). Service events
become `social_care` activity from their start to their end date (an open service, to the end
of the extract's period): `units` in weeks, `bed_days` for residential and nursing care, and
cost from `Unit_Cost` × `Cost_Frequency_Unit_Type` (× `Planned_units_per_week` for hourly and
daily rates). Assessments and
reviews become contacts without cost; requests are excluded (a request is not a service).
Clients are identified by NHS number where recorded, else by the council's own person id.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn, Rule, end_before_start

EVENT_TYPES = {
    "REQUEST": "request",
    "ASSESSMENT": "assessment",
    "SERVICE": "service",
    "REVIEW": "review",
}
#: ASC-CLD Service_Component → activity service_type.
SERVICE_COMPONENTS = {
    "Residential care": "residential_care",
    "Nursing care": "nursing_care",
    "Home care": "home_care",
    "Home Support": "home_care",
    "Supported Living": "supported_living",
    "Extra Care": "extra_care",
    "Day Care": "day_care",
    "Direct Payment": "direct_payment",
    "Reablement": "reablement",
    "ST-Max": "reablement",
    "Short Term Residential Care": "respite",
    "Respite": "respite",
    "Equipment": "equipment",
    "Carer Support": "carer_support",
    "Other Long Term Care": "other",
    "Other Short Term Care": "other",
}
#: Cost_Frequency_Unit_Type → cost per week of one unit, as a multiplier of Unit_Cost.
FREQUENCIES = {
    "Weekly": "weekly",
    "Hourly": "hourly",
    "Daily": "daily",
    "Fortnightly": "fortnightly",
    "4-Weekly": "four_weekly",
    "Monthly": "monthly",
    "Annually": "annually",
    "One-Off": "one_off",
}
GENDERS = {**common.SEX_CODES, "MALE": "M", "FEMALE": "F", "OTHER": "U", "UNKNOWN": "U"}
DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")
BEDDED = ("residential_care", "nursing_care", "respite")

COLUMNS = (
    RawColumn("LA_Code", "string", optional=True),
    RawColumn("LA_Person_Unique_Identifier", "local_id", optional=True),
    RawColumn("NHS_Number", "nhs_number", optional=True),
    RawColumn("Date_of_Birth", "dob", optional=True, formats=DATES),
    RawColumn("Postcode", "postcode", optional=True),
    RawColumn("Gender", "code", optional=True),
    RawColumn("Event_Reference", "string", required=True),
    RawColumn("Event_Type", "code", required=True),
    RawColumn("Event_Start_Date", "date", required=True, formats=DATES),
    RawColumn("Event_End_Date", "date", optional=True, formats=DATES),
    RawColumn("Service_Component", "code", optional=True),
    RawColumn("Unit_Cost", "float", optional=True, minimum=0),
    RawColumn("Cost_Frequency_Unit_Type", "code", optional=True),
    RawColumn("Planned_units_per_week", "float", optional=True, minimum=0),
    RawColumn("Date_of_Death", "date", optional=True, formats=DATES),
)


def _weekly_cost(t: ibis.Table) -> ibis.Value:
    per = t.Planned_units_per_week.fill_null(1.0)
    f = t.Cost_Frequency_Unit_Type
    return ibis.cases(
        (f == "weekly", t.Unit_Cost),
        (f == "hourly", t.Unit_Cost * per),
        (f == "daily", t.Unit_Cost * t.Planned_units_per_week.fill_null(7.0)),
        (f == "fortnightly", t.Unit_Cost / 2.0),
        (f == "four_weekly", t.Unit_Cost / 4.0),
        (f == "monthly", t.Unit_Cost * 12.0 / 52.0),
        (f == "annually", t.Unit_Cost / 52.0),
        else_=ibis.null("float64"),
    )


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    service = t.Event_Type == "service"
    start, end = t.Event_Start_Date, t.Event_End_Date
    if ctx.period_end is not None:  # an open service runs to the end of the extract's period
        end = end.fill_null(ibis.greatest(ibis.date(ctx.period_end), start))
    else:
        end = end.fill_null(start)
    days = ibis.ifelse(service, (end.delta(start, unit="day") + 1).cast("float64"), 0.0)
    weeks = days / 7.0
    one_off = t.Cost_Frequency_Unit_Type == "one_off"
    cost = ibis.ifelse(one_off, t.Unit_Cost, _weekly_cost(t) * weeks)
    stype = ibis.ifelse(service, t.Service_Component, t.Event_Type)
    activity = common.activity_frame(
        t,
        ctx,
        activity_id=common.activity_id(ctx, t.Event_Reference),
        setting=ibis.literal("social_care"),
        service_type=stype,
        provider_code=t.LA_Code,
        start_date=ibis.ifelse(service, start, t.Event_Start_Date),
        end_date=ibis.ifelse(service, end, t.Event_End_Date.fill_null(t.Event_Start_Date)),
        units=ibis.ifelse(service, weeks, 1.0),
        unit_type=ibis.ifelse(service, "weeks", "contact"),
        bed_days=ibis.ifelse(service & stype.isin(BEDDED), days, ibis.null("float64")),
        cost=ibis.ifelse(service, cost, ibis.null("float64")),
        cost_basis=ibis.ifelse(service & cost.notnull(), "actual", ibis.null("string")),
    )
    person = common.person_rows(
        t,
        sex=t.Gender,
        date_of_death=t.Date_of_Death,
        last_seen=t.Event_End_Date.fill_null(t.Event_Start_Date),
        **common.birth(t),
    )
    return {"activity": activity, "person": person}


ADAPTER = Adapter(
    name="asc_cld",
    description="Adult Social Care Client Level Data events (services, assessments, reviews).",
    columns=COLUMNS,
    build=build,
    record_key=("Event_Reference",),
    rules=(
        Rule(
            "excluded",
            "Event_Type",
            lambda t: t.Event_Type == "request",
            "request for support: not a service or contact",
        ),
        end_before_start("Event_End_Date", "Event_Start_Date"),
    ),
    code_maps={
        "Event_Type": EVENT_TYPES,
        "Service_Component": SERVICE_COMPONENTS,
        "Cost_Frequency_Unit_Type": FREQUENCIES,
        "Gender": GENDERS,
    },
    defaults={"funding_route": "local_authority"},
    date_column="Event_Start_Date",
    person_rank=3,
)
