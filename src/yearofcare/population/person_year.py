"""`person_year`: one row per person per financial year, and the `yoc build` service.

Who: everyone registered with a practice at any time in the year, or with any activity (or
block share) in the year. Which years: every financial year with activity in the store,
together with the years in which a registration spell starts or ends inside that span (or
the years asked for). Activity belongs to the year of its start date.

Per person-year (columns declared in schemas/population.py):

- age on 30 September and its band (ages from year and month of birth; an unknown month is
  taken as July; a baby born after 30 September is 0). An unknown birth year leaves the age
  empty and the band `unknown` — never 0, never 0-17;
- sex from `person`; a person-year with no `person` row (registered, or seen in activity,
  under a pseudonym the spine does not hold) gets sex U and unknown age, and is listed in
  `build_dq_finding` (`registered_without_person`, `activity_for_unknown_person`);
- practice registered with on 30 September, else the longest spell in the year, and its
  locality; months registered = calendar months of the year with at least one registered day;
- died in the year; last year of life = died in the year or within six months after its end;
- `ltc_<id>` flags (conditions.py) and counts, Charlson ×3 and CMS (multimorbidity.py);
- `n_<group>` and `cost_<group>` by the COST_GROUPS, cost_total, bed days by setting and care
  home days, from `activity_costed` (costing.py). Block shares given to a registered person
  count in cost but not in `n_<group>`.

Activity after the person's death is kept (counted in its year) and reported in
`build_dq_finding` and the run log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import ibis
import pandas as pd

from yearofcare.errors import StageError
from yearofcare.fy import fy_expr
from yearofcare.population.admissions import is_emergency_admission
from yearofcare.population.codelists import Codelist, load_codelist, match_events
from yearofcare.population.conditions import age_on, person_condition
from yearofcare.population.config import PopulationConfig
from yearofcare.population.costing import (
    check_block_contracts,
    check_block_overlaps,
    check_costed,
    check_supplied_costs,
    cost_activity,
    priced_activity,
    registered_on,
)
from yearofcare.population.multimorbidity import (
    CharlsonSpec,
    CmsSpec,
    charlson_flags,
    charlson_scores,
    load_charlson,
    load_cms,
    ltc_count_aggregates,
)
from yearofcare.population.prices import UnitCosts, load_unit_costs
from yearofcare.progress import SILENT, Progress
from yearofcare.schemas.population import AGE_BANDS, COST_GROUPS, UNKNOWN_AGE_BAND
from yearofcare.store import Store
from yearofcare.sums import exact_sum

LAST_YEAR_OF_LIFE_MONTHS = 6
FINDINGS = (
    "activity_after_death",
    "activity_for_unknown_person",
    "registered_without_person",
    "unknown_age",
)


# ---- pieces (Ibis expressions only) --------------------------------------------------------
def registration_years(registration: ibis.Table, years: list[int]) -> ibis.Table:
    """Each registration spell clipped to each year it overlaps: spell × fy with dates and months.

    One branch per year (a union), not a join with a table of years, so the result can be
    cached on every engine.
    """
    parts = []
    for fy in years:
        fy_start, fy_end, mid = date(fy, 4, 1), date(fy + 1, 3, 31), date(fy, 9, 30)
        r = registration.filter(
            (registration.start_date <= fy_end)
            & (registration.end_date.isnull() | (registration.end_date >= fy_start))
        )
        s = ibis.greatest(r.start_date, fy_start)
        e = ibis.least(r.end_date.fill_null(fy_end), fy_end)
        parts.append(
            r.select(
                "person_id",
                "practice_code",
                fy=ibis.literal(fy).cast("int32"),
                start_date=r.start_date,
                m0=(s.year() * 12 + s.month() - (fy * 12 + 4)).cast("int32"),
                m1=(e.year() * 12 + e.month() - (fy * 12 + 4)).cast("int32"),
                days=e.delta(s, unit="day").cast("int32"),
                covers_mid=(r.start_date <= mid) & (r.end_date.isnull() | (r.end_date >= mid)),
            )
        )
    return ibis.union(*parts, distinct=False)


def registration_features(reg_years: ibis.Table) -> ibis.Table:
    """person_id, fy, months_registered and practice_code (30 September, else longest spell)."""
    t = reg_years
    months = t.group_by(["person_id", "fy"]).aggregate(
        **{f"k{k}": ibis.ifelse((t.m0 <= k) & (t.m1 >= k), 1, 0).max() for k in range(12)}
    )
    months = months.select(
        "person_id", "fy", months_registered=sum(months[f"k{k}"] for k in range(12))
    )
    rank = ibis.row_number().over(
        group_by=[t.person_id, t.fy],
        order_by=[
            ibis.desc(ibis.ifelse(t.covers_mid, 1, 0)),
            ibis.desc(t.days),
            ibis.desc(t.start_date),
            t.practice_code,
        ],
    )
    practice = (
        t.mutate(rank=rank)
        .filter(lambda x: x["rank"] == 0)
        .select("person_id", "fy", "practice_code")
    )
    return months.join(practice, ["person_id", "fy"])


def activity_features(rows: ibis.Table) -> ibis.Table:
    """Counts, costs and bed days by person × year, in one aggregate over the costed rows.

    `rows` needs person_id, fy, setting, service_type, start_date, bed_days, cost and is_activity
    (costing.priced_activity or activity_costed). The setting is first mapped to the small
    integer of its cost group so that the 30-odd filtered sums compare integers. Costs and bed
    days are summed exactly (`sums.exact_sum`): rebuilding gives the same bits.
    """
    groups = list(COST_GROUPS)
    code = ibis.cases(
        *[(rows.setting.isin(settings), i) for i, settings in enumerate(COST_GROUPS.values())],
        else_=-1,
    ).cast("int8")
    t = rows.mutate(grp=code)
    acute = [groups.index(g) for g in ("non_elective", "elective", "day_case")]
    aggs: dict[str, ibis.Value] = {}
    for i, group in enumerate(groups):
        aggs[f"n_{group}"] = t.count(where=(t.grp == i) & t.is_activity)
        aggs[f"cost_{group}"] = exact_sum(t.cost, where=t.grp == i)
    emergency = is_emergency_admission(t.setting, t.service_type)
    aggs["n_emergency"] = t.count(where=emergency & t.is_activity)
    aggs["cost_total"] = exact_sum(t.cost)
    aggs["bed_days_acute"] = exact_sum(t.bed_days, where=t.grp.isin(acute))
    aggs["bed_days_community"] = exact_sum(t.bed_days, where=t.grp == groups.index("community"))
    aggs["bed_days_mental_health"] = exact_sum(
        t.bed_days, where=t.grp == groups.index("mental_health")
    )
    aggs["care_home_days"] = exact_sum(t.bed_days, where=t.grp == groups.index("social_care"))
    aggs["last_activity"] = t.start_date.max()
    aggs["uncosted"] = t.count() - t.cost.count()
    aggs["negative"] = ibis.ifelse(t.cost.min() < 0, 1, 0)
    return t.group_by(["person_id", "fy"]).aggregate(**aggs).mutate(fy=lambda x: x.fy.cast("int32"))


def condition_columns(pc: ibis.Table, codelist: Codelist, cms: CmsSpec) -> ibis.Table:
    """`ltc_<id>` flags, LTC counts and the CMS by person × year, from person_condition rows.

    Each condition is one bit of an integer, so one sum per person-year (person_condition has
    one row per person, year and condition) replaces one aggregate per flag and per CMS term;
    flags and the CMS are then read from the bits row by row. A CMS condition with a
    first-diagnosis window (cancer) gets its own aggregate, as its rows count only inside it.
    """
    ids = [r.condition_id for r in codelist.rules]
    bits = ibis.memtable(
        pd.DataFrame(
            {"b_id": ids, "bit": pd.Series([2**i for i in range(len(ids))], dtype="int64")}
        )
    )
    held = pc.filter(pc.has_condition)
    t = held.join(bits, held.condition_id == bits.b_id)
    windows = dict(cms.windows)
    aggs: dict[str, ibis.Value] = {"mask": t.bit.sum().cast("int64")}
    first_fy = fy_expr(t.first_diagnosis_date).cast("int32")
    for i, (name, cms_ids, _) in enumerate(cms.items):
        if name in windows:
            inside = t.condition_id.isin(list(cms_ids)) & (
                first_fy > t.fy.cast("int32") - windows[name]
            )
            aggs[f"cms_w{i}"] = ibis.ifelse(inside, 1, 0).max()
    aggs.update(ltc_count_aggregates(t, codelist))
    g = t.group_by(["person_id", "fy"]).aggregate(**aggs)

    def has(cid: str) -> ibis.BooleanValue:
        return (g.mask // (2 ** ids.index(cid))) % 2 == 1

    terms = []
    for i, (name, cms_ids, weight) in enumerate(cms.items):
        present = g[f"cms_w{i}"] == 1 if name in windows else _any(has(c) for c in cms_ids)
        terms.append(ibis.ifelse(present, weight, 0.0))
    return g.select(
        "person_id",
        "fy",
        **{f"ltc_{c}": has(c) for c in ids},
        ltc_count=g.ltc_count,
        physical_ltc_count=g.physical_ltc_count,
        mental_ltc_count=g.mental_ltc_count,
        cms_score=sum(terms).round(2).cast("float64"),
    )


def _any(values) -> ibis.BooleanValue:
    out = None
    for v in values:
        out = v if out is None else out | v
    return out


def with_prescriptions(events: ibis.Table, activity: ibis.Table) -> ibis.Table:
    """Coded events and the BNF codes of prescribing activity, each with `n`, the prescriptions
    it stands for: a coded event is one; a prescribing row is its items (`units`, at least one),
    as person-level dispensing data has a row per item line with its number of items.

    Prescription extracts carry their BNF code on the activity row (`primary_code`), so the
    prescription-defined conditions (4+ prescriptions in the year) read it from there.
    """
    cols = ("person_id", "event_date", "code_system", "code")
    coded = events.select(*cols, n=ibis.literal(1.0))
    rx = activity.filter((activity.primary_code_system == "BNF") & activity.primary_code.notnull())
    rx = rx.select(
        "person_id",
        event_date=rx.start_date,
        code_system=ibis.literal("BNF"),
        code=rx.primary_code,
        n=ibis.greatest(rx.units.fill_null(1.0), 1.0).cast("float64"),
    )
    return ibis.union(coded, rx, distinct=False)


def membership(reg_years: ibis.Table | None, acts: ibis.Table) -> ibis.Table:
    """person_id × fy of everyone registered in the year or with activity in it."""
    parts = [acts.select("person_id", fy=acts.fy.cast("int32"))]
    if reg_years is not None:
        parts.append(reg_years.select("person_id", "fy"))
    return ibis.union(*parts, distinct=True)


def age_band(age: ibis.IntegerValue) -> ibis.StringValue:
    """The age band of `age`; `unknown` when the age is not known."""
    return ibis.cases(
        *[((age >= lo) & (age <= hi), name) for name, lo, hi in AGE_BANDS],
        else_=ibis.literal(UNKNOWN_AGE_BAND),
    )


def age_in_year(birth_year: ibis.IntegerValue, birth_month: ibis.IntegerValue, fy) -> ibis.Value:
    """Age on 30 September of `fy`: 0 for a baby born after it, empty for an unknown birth
    year (`greatest` would turn that into 0 on both engines, as it skips nulls)."""
    age = age_on(birth_year, birth_month, fy, 9)
    return ibis.ifelse(birth_year.isnull(), ibis.null("int32"), ibis.greatest(age, 0))


def assemble(
    base: ibis.Table,
    person: ibis.Table,
    reg: ibis.Table | None,
    practice: ibis.Table | None,
    acts: ibis.Table,
    flags: ibis.Table,
    charlson: ibis.Table,
    codelist: Codelist,
    cms: CmsSpec,
) -> ibis.Table:
    """Join the pieces onto the person × year base and derive the person_year columns."""
    t = base.left_join(person, "person_id").drop("person_id_right")
    if reg is not None:
        t = t.left_join(reg, ["person_id", "fy"]).drop("person_id_right", "fy_right")
    else:
        t = t.mutate(months_registered=ibis.literal(0), practice_code=ibis.null("string"))
    if practice is not None:
        loc = practice.select(p_code="practice_code", locality="locality")
        t = t.left_join(loc, t.practice_code == loc.p_code).drop("p_code")
    else:
        t = t.mutate(locality=ibis.null("string"))
    t = t.left_join(acts, ["person_id", "fy"]).drop("person_id_right", "fy_right")
    t = t.left_join(flags.mutate(fy=flags.fy.cast("int32")), ["person_id", "fy"]).drop(
        "person_id_right", "fy_right"
    )
    t = t.left_join(charlson.mutate(fy=charlson.fy.cast("int32")), ["person_id", "fy"]).drop(
        "person_id_right", "fy_right"
    )
    ltc_cols = [f"ltc_{r.condition_id}" for r in codelist.rules]
    t = t.mutate(**{c: t[c].fill_null(False) for c in ltc_cols})
    age = age_in_year(t.birth_year, t.birth_month, t.fy)
    fy_start, fy_end = ibis.date(t.fy, 4, 1), ibis.date(t.fy + 1, 3, 31)
    lyol_end = ibis.date(t.fy + 1, 3 + LAST_YEAR_OF_LIFE_MONTHS, 30)
    dod = t.date_of_death
    zero_cols = {c: t[c].fill_null(0) for g in COST_GROUPS for c in (f"n_{g}", f"cost_{g}")}
    for c in (
        "n_emergency",
        "cost_total",
        "bed_days_acute",
        "bed_days_community",
        "bed_days_mental_health",
        "care_home_days",
        "charlson_charlson",
        "charlson_quan",
        "charlson_shmi",
        "ltc_count",
        "physical_ltc_count",
        "mental_ltc_count",
        "cms_score",
    ):
        zero_cols[c] = t[c].fill_null(0)
    t = t.mutate(
        age=age,
        age_band=age_band(age),
        sex=t.sex.fill_null("U"),
        months_registered=t.months_registered.fill_null(0),
        died_in_year=(dod.notnull() & (dod >= fy_start) & (dod <= fy_end)).fill_null(False),
        last_year_of_life=(dod.notnull() & (dod >= fy_start) & (dod <= lyol_end)).fill_null(False),
        **zero_cols,
    )
    return t


def dq_findings(
    activity: ibis.Table, person: ibis.Table, acts: ibis.Table, years: list[int]
) -> ibis.Table:
    """Activity after the person's death, and activity for a person not in `person`.

    `acts` (activity_features) says which person-years have activity after death or no person
    row, so the pass over activity only looks at those few people (a semi-join).
    """
    p = person.select(p_id="person_id", dod="date_of_death")
    flagged = acts.left_join(p, acts.person_id == p.p_id)
    flagged = flagged.filter(
        flagged.p_id.isnull() | (flagged.dod.notnull() & (flagged.last_activity > flagged.dod))
    ).select(f_id="person_id", dod="dod", known=flagged.p_id.notnull())
    flagged = flagged.distinct()
    a = activity.mutate(fy=fy_expr(activity.start_date).cast("int32"))
    a = a.filter(a.fy.isin(years))
    j = a.join(flagged, a.person_id == flagged.f_id)
    after = j.filter(j.known & (j.start_date > j.dod)).select(
        finding=ibis.literal("activity_after_death"),
        person_id=j.person_id,
        fy=j.fy.cast("int16"),
        activity_id=j.activity_id,
        event_date=j.start_date,
        detail=ibis.literal("activity (")
        + j.setting
        + ") on "
        + j.start_date.cast("string")
        + " after death on "
        + j.dod.cast("string"),
    )
    unknown = j.filter(~j.known).select(
        finding=ibis.literal("activity_for_unknown_person"),
        person_id=j.person_id,
        fy=j.fy.cast("int16"),
        activity_id=j.activity_id,
        event_date=j.start_date,
        detail=ibis.literal("person_id not in the person table"),
    )
    return ibis.union(after, unknown, distinct=False)


def person_findings(person_year: ibis.Table, person: ibis.Table) -> ibis.Table:
    """Registered person-years with no `person` row, and person-years of unknown age.

    Neither is dropped: the first get sex U and unknown age in person_year (their sex and
    birth are not known anywhere), the second sit in the `unknown` age band of every analysis.
    """
    p = person.select(p_id="person_id", p_birth="birth_year")
    j = person_year.select("person_id", "fy", "months_registered", "age").left_join(
        p, person_year.person_id == p.p_id
    )
    registered = j.months_registered > 0
    where = ibis.ifelse(registered, " (registered)", " (not registered)")
    missing = j.filter(j.p_id.isnull() & registered).select(
        finding=ibis.literal("registered_without_person"),
        person_id=j.person_id,
        fy=j.fy.cast("int16"),
        activity_id=ibis.null("string"),
        event_date=ibis.null("date"),
        detail=ibis.literal(
            "registered with a practice but not in the person table: sex and age unknown"
        ),
    )
    no_age = j.filter(j.age.isnull()).select(
        finding=ibis.literal("unknown_age"),
        person_id=j.person_id,
        fy=j.fy.cast("int16"),
        activity_id=ibis.null("string"),
        event_date=ibis.null("date"),
        detail=ibis.ifelse(j.p_id.isnull(), "no person row", "no birth year in any source").concat(
            where
        ),
    )
    return ibis.union(missing, no_age, distinct=False)


# ---- the service (executes) ----------------------------------------------------------------
@dataclass
class BuildResult:
    run_id: str
    years: list[int]
    rows: dict[str, int]
    findings: dict[str, int] = field(default_factory=dict)


def discover_years(store: Store) -> list[int]:
    """Financial years with activity, plus years with registration changes inside that span.

    Executes two small aggregate queries.
    """
    act_years: list[int] = []
    if store.exists("activity"):
        a = store.table("activity")
        frame = store.to_pandas(a.select(fy=fy_expr(a.start_date)).distinct())
        act_years = sorted(int(y) for y in frame.fy.dropna())
    reg_years: list[int] = []
    if store.exists("registration"):
        r = store.table("registration")
        starts = r.select(fy=fy_expr(r.start_date))
        ends = r.filter(r.end_date.notnull()).select(fy=fy_expr(r.end_date))
        frame = store.to_pandas(ibis.union(starts, ends, distinct=True))
        reg_years = sorted(int(y) for y in frame.fy.dropna())
    if act_years:
        lo, hi = act_years[0], act_years[-1]
        return sorted(set(act_years) | {y for y in reg_years if lo <= y <= hi})
    return reg_years


def build(
    store: Store,
    config: PopulationConfig | None = None,
    years: list[int] | None = None,
    block_contracts: pd.DataFrame | None = None,
    progress: Progress = SILENT,
) -> BuildResult:
    """Build person_year (and person_condition, activity_costed, build_dq_finding, meta)."""
    config = config or PopulationConfig()
    for name in ("person", "activity"):
        if not store.exists(name):
            raise StageError(
                f"yoc build needs the {name} table, which the store does not have",
                hint="load the canonical tables first (yoc synth, or ingest your extracts)",
            )
    codelist = load_codelist(config.codelist)
    unit_costs = load_unit_costs(config.unit_costs, config.price_uplift)
    charlson_spec = load_charlson(config.charlson_mapping, config.charlson_weights)
    cms_spec = load_cms(config.cms_weights)
    contracts_frame = (
        check_block_contracts(block_contracts) if block_contracts is not None else None
    )
    years = sorted(set(years)) if years else discover_years(store)
    if not years:
        raise StageError(
            "no financial year to build: the store has no activity and no registrations",
            hint="load activity or registrations, or give --years",
        )
    params = _parameters(config, codelist, unit_costs, charlson_spec, cms_spec, years)
    with progress.task("build person_year", total=6) as bar, store.stage("build", params) as run:
        person = run.read("person")
        activity = run.read("activity")
        registration = run.read("registration") if store.exists("registration") else None
        practice = run.read("practice") if store.exists("practice") else None
        coded_event = run.read("coded_event") if store.exists("coded_event") else None
        contracts = None
        if contracts_frame is not None:
            run.write("block_contract", contracts_frame)
            contracts = run.staged("block_contract")
        elif store.exists("block_contract"):
            contracts = run.read("block_contract")
        execute = store.to_pandas
        if contracts is not None:
            check_block_overlaps(activity, contracts, execute)
        bar.advance()

        registered = registered_on(registration, years) if registration is not None else None

        def costed_rows() -> ibis.Table:
            c = cost_activity(activity, unit_costs, contracts, registered)
            return c.filter(c.fy.isin(years))

        if contracts is None and not config.keep_activity_costed:
            rows = priced_activity(activity, unit_costs, years)
        else:
            rows = costed_rows()
            if config.keep_activity_costed:
                run.write("activity_costed", rows)
                rows = run.staged("activity_costed")
        # one pass over activity: everything person_year needs, plus the rows that cannot be
        # costed; the detailed checks below only run (and explain) when something is wrong
        acts = store.cache(activity_features(rows))
        totals = execute(acts.aggregate(uncosted=acts.uncosted.sum(), negative=acts.negative.sum()))
        if (totals.negative.fillna(0) > 0).any():
            check_supplied_costs(activity, execute)
        if (totals.uncosted.fillna(0) > 0).any():
            check_costed(costed_rows(), unit_costs, execute)
        bar.advance()

        # the clipped spells feed membership and registration features, the base every join
        reg_years = registration_years(registration, years) if registration is not None else None
        if reg_years is not None:
            reg_years = store.cache(reg_years)
        base = store.cache(membership(reg_years, acts))
        bar.advance()

        empty_events = _empty_coded_events()
        events = coded_event if coded_event is not None else empty_events
        matched = match_events(with_prescriptions(events, activity), codelist)
        pc = person_condition(matched, person, years, codelist)
        pc = pc.join(base.mutate(fy=base.fy.cast("int16")), ["person_id", "fy"])
        run.write("person_condition", pc)
        flags = condition_columns(run.staged("person_condition"), codelist, cms_spec)
        charlson = charlson_scores(
            charlson_flags(events, charlson_spec, years, config.charlson_lookback_years),
            charlson_spec,
        )
        bar.advance()

        reg = registration_features(reg_years) if reg_years is not None else None
        person_year = assemble(
            base, person, reg, practice, acts, flags, charlson, codelist, cms_spec
        )
        run.write("person_year", person_year)
        bar.advance()

        findings = ibis.union(
            dq_findings(activity, person, acts, years),
            person_findings(run.staged("person_year"), person),
            distinct=False,
        )
        run.write("build_dq_finding", findings)
        counts = store.to_pandas(
            (f := run.staged("build_dq_finding")).group_by("finding").aggregate(n=f.count())
        )
        found = {str(r.finding): int(r.n) for r in counts.itertuples(index=False)}
        run.parameters["dq_findings"] = found
        meta = _meta(run.run_id, params, found)
        run.write("person_year_meta", meta)
        for cached in (base, reg_years, acts):
            if cached is not None:
                cached.release()
        bar.advance()
        rows = dict(run.output_rows)
    return BuildResult(run.run_id, years, rows, found)


def _empty_coded_events() -> ibis.Table:
    return ibis.memtable(
        pd.DataFrame(
            {
                "person_id": pd.Series([], dtype="string"),
                "event_date": pd.Series([], dtype="datetime64[s]"),
                "code_system": pd.Series([], dtype="string"),
                "code": pd.Series([], dtype="string"),
            }
        )
    ).mutate(event_date=lambda t: t.event_date.cast("date"))


def _parameters(
    config: PopulationConfig,
    codelist: Codelist,
    unit_costs: UnitCosts,
    charlson: CharlsonSpec,
    cms: CmsSpec,
    years: list[int],
) -> dict:
    return {
        "years": years,
        "config": config.model_dump(mode="json"),
        "codelist": codelist.version,
        "codelist_sha256": codelist.sha256,
        "unit_costs": list(unit_costs.names),
        "unit_costs_sha256": unit_costs.sha256,
        "unit_costs_price_years": [f"{y}/{(y + 1) % 100:02d}" for y in unit_costs.price_years],
        **unit_costs.uplift.describe(unit_costs.price_years, years),
        "charlson_files_sha256": {f.path: f.sha256 for f in charlson.files},
        "cms_file_sha256": {cms.file.path: cms.file.sha256},
    }


def _meta(run_id: str, params: dict, findings: dict[str, int]) -> pd.DataFrame:
    items = {
        "codelist": params["codelist"],
        "codelist_sha256": params["codelist_sha256"],
        "unit_costs": ",".join(params["unit_costs"]),
        "unit_costs_sha256": params["unit_costs_sha256"],
        "unit_costs_price_years": ",".join(params["unit_costs_price_years"]),
        "price_uplift": params["price_uplift"],
        "price_uplift_sha256": params["price_uplift_sha256"],
        "price_uplift_factors": json.dumps(params["price_uplift_factors"], sort_keys=True),
        "price_uplift_held_years": ",".join(params["price_uplift_held_years"]),
        "charlson": json.dumps(params["charlson_files_sha256"], sort_keys=True),
        "cms": json.dumps(params["cms_file_sha256"], sort_keys=True),
        "years": ",".join(str(y) for y in params["years"]),
        "config": json.dumps(params["config"], sort_keys=True),
    }
    for kind in FINDINGS:
        items[f"dq_{kind}"] = str(findings.get(kind, 0))
    return pd.DataFrame(
        {"run_id": run_id, "item": list(items), "value": [str(v) for v in items.values()]}
    )
