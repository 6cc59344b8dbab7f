"""RRR unbundling (DH 2012 annex 5; NHS England 2016 §6.3) as pieces returning Ibis expressions.

1. `rrr_spells`: emergency non-elective spells of the configured LTC-related groups (the first
   group in the settings whose ICD-10 or HRG prefix matches the spell's primary diagnosis or
   currency), with their length of stay and tariff in whole pence (the spell's cost as the
   money stage counts it: rounded half up to the penny once).
2. `with_tiers`: the tier of the RRR tariff for each spell: the RRR need the delayed-discharge
   audit recorded for the stay (same person, same discharge date), else the tier of the
   person's level of need (`need_level`, of the spell's year or the year before), else the
   default tier.
3. `unbundle`: the split at the group's trim point. acute days = min(length of stay, trim
   point), RRR days = the rest. The tariff is shared by days, an acute day weighing w RRR days:
   acute = round_half_up(tariff × w·acute / (w·acute + RRR)) in pence, released = tariff − acute
   (so the parts always add up to the tariff), RRR tariff = RRR days × the tier's day price +
   its assessment price (when there is an RRR phase), net = released − RRR tariff: what could
   move to community step-up and step-down services.
4. `rrr_summary`: totals by financial year, group, provider and tier, with `all` rows.

Integer pence throughout; the one rounding rule is half up at the acute share.
"""

from __future__ import annotations

import ibis

from yearofcare.fy import fy_expr
from yearofcare.planning.rrr_settings import RrrSettings, pence
from yearofcare.schemas.planning import ALL

NOT_RECORDED = "not recorded"
_TIER_RANK = {"Low": 1, "Medium": 2, "High": 3}


def _cases(value: ibis.Value, mapping: dict, else_=None, type_: str = "string") -> ibis.Value:
    other = ibis.null(type_) if else_ is None else ibis.literal(else_, type=type_)
    if not mapping:
        return other
    return ibis.cases(
        *[(value == k, ibis.literal(v, type=type_)) for k, v in mapping.items()], else_=other
    )


def _group_of(t: ibis.Table, settings: RrrSettings) -> ibis.StringValue:
    code = t.primary_code.upper()
    hrg = t.currency.upper()
    branches = []
    for g in settings.groups:
        hits = [code.startswith(p) for p in g.icd10] + [hrg.startswith(p) for p in g.hrg]
        branches.append((ibis.or_(*hits).fill_null(False), ibis.literal(g.id)))
    return ibis.cases(*branches, else_=ibis.null("string"))


def rrr_spells(
    activity: ibis.Table, settings: RrrSettings, costed: ibis.Table | None = None
) -> ibis.Table:
    """Emergency non-elective spells of the RRR groups: one row per spell, tariff in pence.

    `costed` (activity_id, cost_pence) gives each spell's cost as the money stage counts it
    (`finance.costs.costed_rows`: the cost the build gave it, in pence rounded half up); a spell
    it does not cost keeps the extract's cost, rounded half up to the penny here.
    """
    a = activity.filter(
        (activity.setting == "acute_non_elective")
        & activity.end_date.notnull()
        & ~activity.service_type.isin(settings.exclude_service_types).fill_null(False)
    )
    a = a.mutate(group_id=_group_of(a, settings))
    a = a.filter(a.group_id.notnull())
    supplied = (a.cost * 100).round().cast("int64")
    if costed is not None:
        c = costed.select(_aid=costed.activity_id, _pence=costed.cost_pence)
        a = a.left_join(c, a.activity_id == c._aid)
        tariff = ibis.coalesce(a._pence, supplied)
    else:
        tariff = supplied
    return a.select(
        activity_id=a.activity_id,
        person_id=a.person_id,
        fy=fy_expr(a.end_date).cast("int16"),
        provider_code=a.provider_code.fill_null(NOT_RECORDED),
        group_id=a.group_id,
        admission_date=a.start_date,
        discharge_date=a.end_date,
        length_of_stay=ibis.greatest(a.end_date.delta(a.start_date, unit="day"), 0).cast("int32"),
        tariff_pence=tariff.cast("int64").fill_null(0),
    )


def with_tiers(
    spells: ibis.Table,
    settings: RrrSettings,
    need_level: ibis.Table | None = None,
    audit: ibis.Table | None = None,
) -> ibis.Table:
    """Each spell with its RRR tariff tier and where the tier came from."""
    t = spells
    if audit is not None:
        rank = _cases(audit.rrr_need, _TIER_RANK, type_="int8")
        a = (
            audit.filter(audit.rrr_need.notnull())
            .mutate(_rank=rank)
            .group_by(_ap=audit.person_id, _ad=audit.discharge_date)
            .aggregate(_audit_rank=ibis._["_rank"].max())
        )
        t = t.left_join(a, (t.person_id == a._ap) & (t.discharge_date == a._ad)).drop("_ap", "_ad")
        audit_tier = _cases(t._audit_rank, {v: k for k, v in _TIER_RANK.items()})
    else:
        t = t.mutate(_audit_rank=ibis.null("int8"))
        audit_tier = ibis.null("string")
    t = t.mutate(_audit_tier=audit_tier)
    if need_level is not None:
        shift = 1 if settings.need_year == "previous" else 0
        n = need_level.filter(need_level.level.notnull()).select(
            _np=need_level.person_id,
            _nfy=(need_level.fy + shift).cast("int16"),
            _level=need_level.level,
        )
        t = t.left_join(n, (t.person_id == n._np) & (t.fy == n._nfy)).drop("_np", "_nfy")
        need_tier = _cases(t._level, settings.tier_of())
    else:
        need_tier = ibis.null("string")
    t = t.mutate(_need_tier=need_tier)
    return t.mutate(
        need_tier=ibis.coalesce(t._audit_tier, t._need_tier, ibis.literal(settings.default_tier)),
        tier_source=ibis.cases(
            (t._audit_tier.notnull(), "audit"),
            (t._need_tier.notnull(), "need_level"),
            else_="default",
        ),
    ).select(*spells.columns, "need_tier", "tier_source")


def unbundle(spells: ibis.Table, settings: RrrSettings) -> ibis.Table:
    """The split of each spell at its group's trim point, priced (the `rrr_spell` rows)."""
    t = spells
    trim = _cases(t.group_id, {g.id: g.trim_days for g in settings.groups}, type_="int32")
    weight = _cases(
        t.group_id, {g.id: int(g.acute_day_weight * 100) for g in settings.groups}, type_="int64"
    )
    day = _cases(t.need_tier, {x.tier: pence(x.day_price) for x in settings.tiers}, type_="int64")
    once = _cases(
        t.need_tier, {x.tier: pence(x.assessment_price) for x in settings.tiers}, type_="int64"
    )
    t = t.mutate(trim_days=trim, _w=weight, _day=day, _once=once)
    t = t.mutate(acute_days=ibis.least(t.length_of_stay, t.trim_days).cast("int32"))
    t = t.mutate(rrr_days=(t.length_of_stay - t.acute_days).cast("int32"))
    num = t._w * t.acute_days.cast("int64")
    den = num + 100 * t.rrr_days.cast("int64")
    # round half up: floor((2·tariff·num + den) / (2·den)), all whole numbers
    share = (2 * t.tariff_pence * num + den) // (2 * den)
    t = t.mutate(
        acute_pence=ibis.ifelse(t.rrr_days == 0, t.tariff_pence, share.cast("int64")).cast("int64")
    )
    t = t.mutate(
        released_pence=(t.tariff_pence - t.acute_pence).cast("int64"),
        rrr_pence=ibis.ifelse(t.rrr_days > 0, t.rrr_days.cast("int64") * t._day + t._once, 0).cast(
            "int64"
        ),
    )
    t = t.mutate(net_pence=(t.released_pence - t.rrr_pence).cast("int64"))
    return t.drop("_w", "_day", "_once")


_SUMS = (
    "bed_days",
    "acute_days",
    "rrr_days",
    "tariff_pence",
    "acute_pence",
    "released_pence",
    "rrr_pence",
    "net_pence",
)
_LEVELS = (
    ("group_id", "provider_code", "need_tier"),
    ("group_id", "provider_code"),
    ("group_id",),
    ("provider_code",),
    ("need_tier",),
    (),
)


def rrr_summary(rrr_spell: ibis.Table, settings: RrrSettings) -> ibis.Table:
    """Totals by financial year × group × provider × tier, with `all` for each rolled-up key."""
    t = rrr_spell.mutate(bed_days=rrr_spell.length_of_stay)
    keys = ("group_id", "provider_code", "need_tier")
    parts = []
    for level in _LEVELS:
        agg = t.group_by(["fy", *level]).aggregate(
            spells=t.count(),
            spells_unbundled=(t.rrr_days > 0).cast("int64").sum(),
            **{c: t[c].cast("int64").sum() for c in _SUMS},
        )
        parts.append(
            agg.mutate(**{k: ibis.literal(ALL) for k in keys if k not in level}).select(
                "fy", *keys, "spells", "spells_unbundled", *_SUMS
            )
        )
    s = ibis.union(*parts, distinct=False)
    labels = {g.id: g.label for g in settings.groups} | {ALL: "All groups"}
    return s.mutate(
        group_label=_cases(s.group_id, labels),
        rrr_share=ibis.ifelse(
            s.bed_days > 0, s.rrr_days.cast("float64") / s.bed_days.cast("float64"), None
        ),
    )
