"""Community and mental health services (CSDS, MHSDS): care contacts and bed stays.

Both national data sets are relational (a patient index, referrals, care contacts, hospital
spells). Commissioners receive them flattened by the DSCRO: one row per care contact or per
hospital / bed stay, carrying the patient's identifiers. The columns below use the data sets'
own data item names where there is one (`CareContDate`, `OrgIDProv`, `AttendOrDNACode`,
`ClinContDurOfCareCont`, `ConsMechanism`); `RecordType` says whether a row is a contact or a stay.
Contacts not attended (`AttendOrDNACode` 2, 3, 4, 7) are excluded with a reason.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn, Rule, end_before_start

RECORD_TYPES = {
    "CONTACT": "contact",
    "C": "contact",
    "STAY": "stay",
    "SPELL": "stay",
    "S": "stay",
    "BED": "stay",
}
ATTENDANCE = {
    "5": "attended",
    "6": "attended",
    "2": "not_attended",
    "3": "not_attended",
    "4": "not_attended",
    "7": "not_attended",
}
DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")


def contact_columns() -> tuple[RawColumn, ...]:
    return (
        RawColumn("NHSNumber", "nhs_number", optional=True),
        RawColumn("Person_ID", "token", optional=True, description="National pseudonymised id."),
        RawColumn("LocalPatientId", "local_id", optional=True),
        RawColumn("PersonBirthDate", "dob", optional=True, formats=DATES),
        RawColumn("Postcode", "postcode", optional=True),
        RawColumn("Gender", "code", optional=True),
        RawColumn("LSOA2011", "string", optional=True),
        RawColumn("RecordId", "string", required=True, description="Contact or stay id."),
        RawColumn("RecordType", "code", optional=True),
        RawColumn("CareContDate", "date", required=True, formats=DATES),
        RawColumn("EndDate", "date", optional=True, formats=DATES),
        RawColumn("OrgIDProv", "string", required=True),
        RawColumn("ServiceType", "string", optional=True),
        RawColumn("ClinContDurOfCareCont", "int", optional=True, minimum=0, maximum=1440),
        RawColumn("ConsMechanism", "string", optional=True),
        RawColumn("AttendOrDNACode", "code", optional=True),
        RawColumn("Cost", "float", optional=True, minimum=0),
        RawColumn("PrimDiag", "icd10", optional=True),
        RawColumn("SnomedCode", "snomed", optional=True),
    )


def make_build(setting: str):
    def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
        t = t.mutate(
            _aid=common.activity_id(ctx, t.RecordId),
            _stay=t.RecordType.fill_null("contact") == "stay",
        )
        end = ibis.ifelse(t._stay, t.EndDate, t.CareContDate)
        activity = common.activity_frame(
            t,
            ctx,
            activity_id=t._aid,
            setting=ibis.literal(setting),
            service_type=common.slug(t.ServiceType),
            provider_code=t.OrgIDProv,
            start_date=t.CareContDate,
            end_date=end,
            units=ibis.ifelse(t._stay, common.days_between(t.EndDate, t.CareContDate), 1.0),
            unit_type=ibis.ifelse(t._stay, "bed_days", "contact"),
            bed_days=ibis.ifelse(
                t._stay, common.days_between(t.EndDate, t.CareContDate), ibis.null("float64")
            ),
            cost=t.Cost,
            cost_basis=ibis.ifelse(t.Cost.notnull(), "actual", ibis.null("string")),
            primary_code=t.PrimDiag,
            primary_code_system=common.first_code_system(t.PrimDiag, "ICD10"),
        )
        events = ibis.union(
            common.coded_events(
                t, ["PrimDiag"], "ICD10", date=t.CareContDate, activity=t._aid, source=ctx.source
            ),
            common.coded_events(
                t, ["SnomedCode"], "SNOMED", date=t.CareContDate, activity=t._aid, source=ctx.source
            ),
            distinct=True,
        )
        person = common.person_rows(
            t,
            sex=t.Gender,
            lsoa=t.LSOA2011,
            last_seen=end.fill_null(t.CareContDate),
            **common.birth(t),
        )
        return {"activity": activity, "coded_event": events, "person": person}

    return build


def make_adapter(name: str, description: str, setting: str, funding: str) -> Adapter:
    return Adapter(
        name=name,
        description=description,
        columns=contact_columns(),
        build=make_build(setting),
        record_key=("RecordId",),
        rules=(
            Rule(
                "excluded",
                "AttendOrDNACode",
                lambda t: t.AttendOrDNACode == "not_attended",
                "contact not attended (cancelled or did not attend): not a contact",
            ),
            end_before_start("EndDate", "CareContDate"),
        ),
        code_maps={
            "RecordType": RECORD_TYPES,
            "AttendOrDNACode": ATTENDANCE,
            "Gender": common.SEX_CODES,
        },
        defaults={"funding_route": funding},
        date_column="CareContDate",
        person_rank=3,
        token_namespace=name,
        feeds=("activity", "coded_event"),
    )
