"""HES / SUS admitted patient care: episodes (one row per consultant episode) built into spells.

A hospital provider spell is the episodes at one provider with the same hospital provider
spell number (`PROVSPNOPS`), else the same SUS spell id (`SUSSPELLID`), else (as HES extracts
for analysts often have neither) the same person and admission date; its episodes ordered by
`EPIORDER`. The spell key never depends on whether an episode's NHS number is valid: before
the build, the episodes of one spell share the person of the best-identified episode
(`Adapter.record_group`, `linkage.groups`), so an episode with a missing or invalid NHS
number stays in its spell instead of becoming another admission.
The spell takes its admission method, classification, primary diagnosis and HRG from its first
episode, its discharge date from the latest `DISDATE`, its supplied tariff (`SPELL_TARIFF`)
once — from the first episode that carries one, so an extract repeating it on every episode
does not multiply it — and every diagnosis (ICD-10) and procedure (OPCS-4) of every episode as
coded events. Unfinished episodes (`EPISTAT` ≠ 3) are excluded as HES analysis requires; their
finished versions arrive in a later extract.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import (
    Adapter,
    BuildContext,
    RawColumn,
    Rule,
    columns,
    end_before_start,
)

#: ADMIMETH → admission group (HES data dictionary). 98/99 (not applicable / not known) are
#: deliberately absent: such rows are quarantined unless a mapping file maps them.
ADMISSION_GROUPS = {
    **dict.fromkeys(("11", "12", "13"), "elective"),
    **dict.fromkeys(("21", "22", "23", "24", "25", "28", "2A", "2B", "2C", "2D"), "emergency"),
    **dict.fromkeys(("31", "32"), "maternity"),
    **dict.fromkeys(("82", "83"), "birth"),
    "81": "transfer",
    **dict.fromkeys(("84", "89"), "other_non_elective"),
}
DAY_CASE_CLASSES = ("2", "3", "4")

COLUMNS = (
    RawColumn("PSEUDO_HESID", "token", optional=True, description="HES person token."),
    RawColumn("NEWNHSNO", "nhs_number", optional=True, description="NHS number (SUS/DSCRO)."),
    RawColumn("DOB", "dob", optional=True, description="Date of birth (identifiable feeds)."),
    RawColumn("HOMEADD", "postcode", optional=True, description="Postcode (identifiable feeds)."),
    RawColumn("EPIKEY", "string", required=True, description="Episode key."),
    RawColumn("PROVSPNOPS", "string", optional=True, description="Provider spell number."),
    RawColumn("SUSSPELLID", "string", optional=True, description="SUS spell identifier."),
    RawColumn("ADMIDATE", "date", required=True),
    RawColumn("DISDATE", "date"),
    RawColumn("EPISTART", "date"),
    RawColumn("EPIEND", "date"),
    RawColumn("EPIORDER", "int", minimum=1, maximum=99),
    RawColumn(
        "EPISTAT",
        "string",
        optional=True,
        description="Episode status (3 = finished). Absent (as in SUS extracts, which carry "
        "finished episodes): every episode is taken as finished.",
    ),
    RawColumn("ADMIMETH", "code", required=True),
    RawColumn("CLASSPAT", "string"),
    RawColumn("DISMETH", "string"),
    RawColumn("PROCODE3", "string", required=True),
    RawColumn("SUSHRG", "string", optional=True),
    RawColumn(
        "SPELL_TARIFF",
        "float",
        optional=True,
        minimum=0,
        description="PbR tariff of the spell in pounds, on one of its episodes (SUS PbR "
        "extracts carry it; HES does not, and costing then prices the spell from unit costs).",
    ),
    RawColumn("SEX", "code"),
    *common.BIRTH_COLUMNS,
    RawColumn("STARTAGE", "int", optional=True, minimum=0, maximum=7007),
    RawColumn("LSOA11", "string", optional=True),
    RawColumn("GPPRAC", "string", optional=True),
    RawColumn("TRETSPEF", "string", optional=True),
    *columns("DIAG_4_{:02d}", 1, 20, "icd10"),
    *columns("OPERTN_4_{:02d}", 1, 24, "opcs4"),
)
DIAGS = [f"DIAG_4_{i:02d}" for i in range(1, 21)]
OPERS = [f"OPERTN_4_{i:02d}" for i in range(1, 25)]


def spell_key(t: ibis.Table) -> ibis.StringValue:
    """Which spell an episode belongs to at its provider: the provider spell number, else the
    SUS spell id, else the person and admission date."""
    return ibis.coalesce(
        "P:" + t.PROVSPNOPS,
        "S:" + t.SUSSPELLID,
        "A:" + t.person_id + ":" + t.ADMIDATE.cast("string"),
    )


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    t = t.mutate(_spell=spell_key(t))
    key = ["PROCODE3", "_spell"]
    order = [t.EPIORDER.fill_null(99), t.EPISTART, t._row]
    w = ibis.window(group_by=[t[k] for k in key], order_by=order)
    tariff_first = ibis.window(
        group_by=[t[k] for k in key], order_by=[t.SPELL_TARIFF.isnull(), *order]
    )
    eps = t.mutate(_ord=ibis.row_number().over(w), _tord=ibis.row_number().over(tariff_first))
    spell_end = eps.group_by(key).aggregate(
        _end=eps.DISDATE.max(),
        _died=(eps.DISMETH == "4").any(),
        _hrg=eps.SUSHRG.max(),
        _tariff=eps.SPELL_TARIFF.max(where=eps._tord == 0),
    )
    first = eps.filter(eps._ord == 0)
    s = first.join(spell_end, key)
    group = s.ADMIMETH
    setting = ibis.cases(
        ((group == "elective") & s.CLASSPAT.isin(DAY_CASE_CLASSES), "acute_day_case"),
        (group == "elective", "acute_elective"),
        else_="acute_non_elective",
    )
    act_id = common.activity_id(ctx, s.EPIKEY)
    activity = s.select(
        activity_id=act_id,
        person_id=s.person_id,
        source=ibis.literal(ctx.source),
        setting=setting,
        # non-elective spells keep their kind: emergency, maternity, birth, transfer or other
        # (only emergencies are emergency admissions: population.admissions)
        service_type=ibis.ifelse(group == "elective", ibis.null("string"), group),
        provider_code=s.PROCODE3,
        start_date=s.ADMIDATE,
        end_date=s._end,
        units=ibis.literal(1.0),
        unit_type=ibis.literal("spell"),
        bed_days=s._end.delta(s.ADMIDATE, unit="day").cast("float64"),
        currency=s.SUSHRG.fill_null(s._hrg),
        cost=s._tariff,
        cost_basis=ibis.ifelse(s._tariff.notnull(), "tariff", ibis.null("string")),
        funding_route=ctx.default("funding_route"),
        primary_code=s.DIAG_4_01,
        primary_code_system=ibis.ifelse(s.DIAG_4_01.notnull(), "ICD10", ibis.null("string")),
    )
    ids = s.select(*key, _aid=act_id, _pid=s.person_id)
    coded = eps.join(ids, key).mutate(person_id=lambda x: x._pid)
    events = ibis.union(
        common.coded_events(
            coded, DIAGS, "ICD10", date=coded.ADMIDATE, activity=coded._aid, source=ctx.source
        ),
        common.coded_events(
            coded, OPERS, "OPCS4", date=coded.ADMIDATE, activity=coded._aid, source=ctx.source
        ),
        distinct=True,
    )
    died = ibis.ifelse(s._died, s._end, ibis.null("date"))
    person = common.person_rows(
        s,
        sex=s.SEX,
        lsoa=s.LSOA11,
        date_of_death=died,
        place_of_death=ibis.ifelse(died.notnull(), "hospital", ibis.null("string")),
        last_seen=s._end.fill_null(s.ADMIDATE),
        **common.hes_birth(s),
    )
    return {"activity": activity, "coded_event": events, "person": person}


ADAPTER = Adapter(
    name="hes_apc",
    description="HES / SUS admitted patient care episodes (built into hospital spells).",
    columns=COLUMNS,
    build=build,
    record_key=("EPIKEY",),
    rules=(
        Rule(
            "excluded",
            "EPISTAT",
            lambda t: t.EPISTAT.notnull() & (t.EPISTAT != "3"),
            "unfinished episode (EPISTAT is not 3): HES analysis counts finished episodes only",
        ),
        end_before_start("DISDATE", "ADMIDATE"),
    ),
    code_maps={"ADMIMETH": ADMISSION_GROUPS, "SEX": common.SEX_CODES},
    defaults={"funding_route": "pbr"},
    null_values=("-",),
    null_dates=common.HES_NULL_DATES,
    invalid_dates=common.HES_INVALID_DATES,
    date_column="ADMIDATE",
    person_rank=4,
    token_namespace="hes",
    feeds=("activity", "coded_event"),
    record_group=(("PROCODE3", "PROVSPNOPS"), ("PROCODE3", "SUSSPELLID")),
    dataset="apc",
)
