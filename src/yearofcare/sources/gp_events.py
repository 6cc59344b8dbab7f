"""GP records: coded entries (SNOMED CT or Read v2) and the consultations they belong to.

Each row is one coded entry of a GP journal, or a consultation with no code. A consultation
(`CONSULTATION_ID`, with its `CONSULTATION_TYPE`) becomes one `gp` activity row when its type
is a patient contact; administrative consultations give codes but no activity. The
consultation type is the row's service type and its currency, so a surgery consultation, a
telephone consultation and a home visit are priced each at its own unit cost. A coded event's
`activity_id` is its consultation's (load-prefixed), or the row's own id when it has none.
"""

from __future__ import annotations

import ibis

from yearofcare import codes
from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn, Rule

SYSTEMS = {
    "SNOMED": "SNOMED",
    "SNOMEDCT": "SNOMED",
    "SNOMED CT": "SNOMED",
    "SCT": "SNOMED",
    "READ": "READ2",
    "READ2": "READ2",
    "READV2": "READ2",
    "R2": "READ2",
}
#: Consultation type → activity service_type; "none" means not a patient contact.
CONSULTATION_TYPES = {
    "face_to_face": "surgery_consultation",
    "surgery": "surgery_consultation",
    "surgery_consultation": "surgery_consultation",
    "telephone": "telephone_consultation",
    "telephone_consultation": "telephone_consultation",
    "video": "video_consultation",
    "video_consultation": "video_consultation",
    "online": "online_consultation",
    "online_consultation": "online_consultation",
    "home_visit": "home_visit",
    "out_of_hours": "out_of_hours",
    "administrative": "none",
    "admin": "none",
    "results": "none",
    "none": "none",
}
DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d")

COLUMNS = (
    RawColumn("NHS_NUMBER", "nhs_number", optional=True),
    RawColumn("PSEUDONYM", "pseudonym", optional=True),
    RawColumn("EVENT_ID", "string", optional=True, description="Journal entry id."),
    RawColumn("PRACTICE_CODE", "string", required=True),
    RawColumn("EVENT_DATE", "date", required=True, formats=DATES),
    RawColumn("CODE_SYSTEM", "code", optional=True),
    RawColumn("CODE", "string", optional=True),
    RawColumn("VALUE", "float", optional=True),
    RawColumn("CONSULTATION_ID", "string", optional=True),
    RawColumn("CONSULTATION_TYPE", "code", optional=True),
)


def invalid_code(t: ibis.Table) -> ibis.BooleanValue:
    """A CODE that is not a valid code of its row's CODE_SYSTEM (a Read v2 code may carry its
    two-digit term code). NULL, not matched, when the system itself is unknown."""
    system = t.CODE_SYSTEM
    valid = ibis.or_(
        *[(system == s.name) & s.valid_raw_expr(t.CODE) for s in (codes.SNOMED, codes.READ2)]
    )
    return t.CODE.notnull() & ~valid


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    consult = common.activity_id(ctx, "c" + t.CONSULTATION_ID)
    own = common.activity_id(ctx, "r" + t._row.cast("string"))
    t = t.mutate(_aid=ibis.ifelse(t.CONSULTATION_ID.notnull(), consult, own))
    coded = t.filter(t.CODE.notnull())
    events = coded.select(
        person_id=coded.person_id,
        event_date=coded.EVENT_DATE,
        code_system=coded.CODE_SYSTEM,
        code=ibis.ifelse(coded.CODE_SYSTEM == "READ2", coded.CODE.left(5), coded.CODE),
        source=ibis.literal(ctx.source),
        activity_id=coded._aid,
        value=coded.VALUE,
    )
    contacts = t.filter(
        t.CONSULTATION_ID.notnull()
        & t.CONSULTATION_TYPE.notnull()
        & (t.CONSULTATION_TYPE != "none")
    )
    first = contacts.group_by(["_aid", "person_id"]).aggregate(
        _date=contacts.EVENT_DATE.min(),
        _type=contacts.CONSULTATION_TYPE.max(),
        _practice=contacts.PRACTICE_CODE.max(),
        _code=contacts.CODE.min(),
        _system=contacts.CODE_SYSTEM.min(),
    )
    activity = common.activity_frame(
        first,
        ctx,
        activity_id=first._aid,
        setting=ibis.ifelse(first._type == "out_of_hours", "out_of_hours", "gp"),
        service_type=first._type,
        currency=first._type,
        provider_code=first._practice,
        start_date=first._date,
        end_date=first._date,
        units=ibis.literal(1.0),
        unit_type=ibis.literal("contact"),
    )
    person = common.person_rows(t, last_seen=t.EVENT_DATE)
    return {"activity": activity, "coded_event": events, "person": person}


ADAPTER = Adapter(
    name="gp_events",
    description="GP coded entries (SNOMED CT / Read v2) and consultations.",
    columns=COLUMNS,
    build=build,
    record_key=("EVENT_ID",),
    rules=(
        Rule(
            "invalid_code",
            "CODE",
            invalid_code,
            "CODE is not a valid code of its CODE_SYSTEM (SNOMED CT concept id or Read v2 code)",
        ),
        Rule(
            "missing_required",
            "CODE",
            lambda t: t.CODE.isnull() & t.CONSULTATION_ID.isnull(),
            "a row needs a CODE or a CONSULTATION_ID",
        ),
    ),
    code_maps={"CODE_SYSTEM": SYSTEMS, "CONSULTATION_TYPE": CONSULTATION_TYPES},
    defaults={"funding_route": "primary_care"},
    date_column="EVENT_DATE",
    person_rank=2,
    feeds=("activity", "coded_event"),
)
