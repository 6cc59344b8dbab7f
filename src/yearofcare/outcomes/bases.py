"""The base tables measures count over: Ibis pieces, one row per thing counted.

Every base has `fy`, `person_id`, `practice_code`, `provider_code`, `level` (need_level, when
the store has it) and `has_ltc`, plus its own columns (`BASES[name].columns`). A base whose
source table is missing is not an error: its measures say which table they need and the
command that writes it.

- population: registered person-years (person_year, months registered > 0), with flags for an
  LTC6 response and an assessment in the year.
- ltc6: LTC6 responses (survey_response); answers outside 0–3 are read as not answered and
  counted in the run's notes.
- risk_change: people scored in a year and the year before (risk_score), improved /
  maintained / deteriorated by the measures file's tolerance.
- admission: non-elective spells (activity), by year of discharge, with length of stay,
  weekend discharge and excess bed days beyond the spell's trim point (upper quartile + 1.5 ×
  interquartile range of length of stay in its currency, the Payment by Results rule).
- care_home: care-home days (social care rows with bed days) and who funds them.
- care_home_admission: the first care-home day after 365 days without one (a permanent
  admission from the community), whether an NHS bed stay ended in the days before it.
- reablement: reablement packages (social care, service type reablement), whether the person
  is alive and at home (not in hospital nor a care home) the configured days after it starts.
- delayed_transfer: the delayed-discharge audit (`delayed_discharge`, planning stage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ibis

from yearofcare import schemas
from yearofcare.errors import ConfigError
from yearofcare.fy import fy_expr
from yearofcare.population.analysis.common import amount

COMMON = ("fy", "person_id", "practice_code", "provider_code", "level", "has_ltc")
LTC6_QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6")
CARE_HOME_SERVICES = ("residential_care", "nursing_care")
PUBLIC_FUNDING = ("local_authority", "nhs_england", "pbr", "block")
BED_SETTINGS = ("acute_non_elective", "acute_elective", "community", "mental_health")


@dataclass(frozen=True)
class Base:
    name: str
    requires: tuple[str, ...]  # store tables it is built from
    command: str  # what writes them
    columns: tuple[str, ...]
    build: Callable[[Tables, object], ibis.Table]
    lookback_days: int = 0  # years reported start this many days after the data starts


#: Columns that come from an optional table: measures reading them need that table.
OPTIONAL_COLUMNS = {
    "level": ("need_level", "yoc risk score"),
    "has_ltc6": ("survey_response", "yoc ingest (LTC6 responses)"),
    "has_assessment": ("assessment", "yoc ingest (assessments)"),
}


class Tables:
    """Store tables by name, read once (via a stage run or the store)."""

    def __init__(self, read: Callable[[str], ibis.Table], exists: Callable[[str], bool]):
        self._read, self._exists, self._cache = read, exists, {}

    def has(self, name: str) -> bool:
        return self._exists(name)

    def __getitem__(self, name: str) -> ibis.Table:
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]


def _py(t: Tables) -> ibis.Table:
    py = t["person_year"]
    return py.filter(py.months_registered.fill_null(0) > 0)


def _people(t: Tables) -> ibis.Table:
    """person × fy → practice, LTC flag and (when need_level exists) level of need."""
    py = t["person_year"]
    out = py.select(
        _pid=py.person_id,
        _fy=py.fy.cast("int16"),
        practice_code=py.practice_code,
        has_ltc=py.ltc_count.fill_null(0) >= 1,
    )
    if t.has("need_level"):
        nl = t["need_level"]
        nl = nl.select(_npid=nl.person_id, _nfy=nl.fy.cast("int16"), level=nl.level)
        out = out.left_join(nl, [out._pid == nl._npid, out._fy == nl._nfy]).drop("_npid", "_nfy")
    else:
        out = out.mutate(level=ibis.null("string"))
    return out


def _attach(base: ibis.Table, t: Tables, provider: ibis.Value | None = None) -> ibis.Table:
    """Add practice, LTC flag and level of the person's year to rows with person_id and fy."""
    p = _people(t)
    base = base.view()
    j = base.left_join(p, [base.person_id == p._pid, base.fy == p._fy]).drop("_pid", "_fy")
    if "provider_code" not in j.columns:
        j = j.mutate(provider_code=ibis.null("string"))
    return j.mutate(has_ltc=j.has_ltc.fill_null(False))


def population(t: Tables, s) -> ibis.Table:
    py = _py(t)
    base = py.mutate(fy=py.fy.cast("int16"), age_65_plus=py.age >= 65)
    for name, table, date in (
        ("has_ltc6", "survey_response", "response_date"),
        ("has_assessment", "assessment", "assessment_date"),
    ):
        if t.has(table):
            r = t[table]
            seen = r.select(_sp=r.person_id, _sfy=fy_expr(r[date])).distinct()
            base = base.left_join(seen, [base.person_id == seen._sp, base.fy == seen._sfy])
            base = base.mutate(**{name: base._sp.notnull()}).drop("_sp", "_sfy")
        else:
            base = base.mutate(**{name: ibis.null("boolean")})
    return _attach(base.drop("practice_code"), t)


def ltc6(t: Tables, s) -> ibis.Table:
    r = t["survey_response"]
    r = r.filter(r.survey == "LTC6")
    answers = {q: ibis.ifelse(r[q].between(0, 3), r[q], ibis.null("int8")) for q in LTC6_QUESTIONS}
    base = r.select(person_id=r.person_id, fy=fy_expr(r.response_date), **answers)
    return _attach(base, t)


def ltc6_out_of_range(t: Tables) -> ibis.Table:
    """Responses with an answer outside 0–3 (read as not answered), for the run's notes."""
    r = t["survey_response"]
    bad = ibis.literal(False)
    for q in LTC6_QUESTIONS:
        bad = bad | (r[q].notnull() & ~r[q].between(0, 3))
    return r.filter(bad).select("response_id")


def risk_change(t: Tables, s) -> ibis.Table:
    r = t["risk_score"]
    now = r.select(person_id=r.person_id, fy=r.fy.cast("int16"), score=r.score)
    before = r.select(_bp=r.person_id, _bfy=(r.fy + 1).cast("int16"), previous_score=r.score)
    j = now.join(before, [now.person_id == before._bp, now.fy == before._bfy]).drop("_bp", "_bfy")
    tol = float(s.risk_change_tolerance)
    change = j.score - j.previous_score
    cls = ibis.cases(
        (change < -tol, "improved"), (change > tol, "deteriorated"), else_="maintained"
    )
    return _attach(j.mutate(score_change=change, change_class=cls), t)


def _los(a: ibis.Table) -> ibis.IntegerValue:
    end = a.end_date.fill_null(a.start_date)
    return end.delta(a.start_date, unit="day")


def admission(t: Tables, s) -> ibis.Table:
    a = t["activity"]
    a = a.filter(a.setting == "acute_non_elective")
    end = a.end_date.fill_null(a.start_date)
    a = a.mutate(_end=end, los=_los(a).cast("float64"), _cur=a.currency.fill_null("(none)"))
    q = a.group_by(_qc=a._cur).aggregate(_q1=a.los.quantile(0.25), _q3=a.los.quantile(0.75))
    a = a.left_join(q, a._cur == q._qc).select(*a.columns, "_q1", "_q3").view()
    trim = a._q3 + 1.5 * (a._q3 - a._q1)
    dow = a._end.day_of_week.index()  # Monday = 0
    base = a.select(
        person_id=a.person_id,
        fy=fy_expr(a._end),
        provider_code=a.provider_code,
        los=a.los,
        bed_days=amount(a.bed_days),
        trim_point=trim,
        excess_bed_days=ibis.greatest(a.los - trim, 0.0),
        weekend_discharge=(dow >= 5).cast("int8"),
        discharge_weekday=dow.cast("int8"),
        cost=amount(a.cost),
    )
    return _attach(base, t)


def _care_home_rows(t: Tables) -> ibis.Table:
    a = t["activity"]
    return a.filter(
        (a.setting == "social_care")
        & (a.service_type.isin(CARE_HOME_SERVICES) | (amount(a.bed_days) > 0))
    )


def care_home(t: Tables, s) -> ibis.Table:
    a = _care_home_rows(t)
    days = ibis.ifelse(amount(a.bed_days) > 0, amount(a.bed_days), _los(a).cast("float64") + 1)
    public = a.funding_route.isin(PUBLIC_FUNDING).fill_null(False)
    base = a.select(
        person_id=a.person_id,
        fy=fy_expr(a.start_date),
        provider_code=a.provider_code,
        care_home_days=days,
        public_days=ibis.ifelse(public, days, 0.0),
        nursing_days=ibis.ifelse(a.service_type == "nursing_care", days, 0.0),
        cost=amount(a.cost),
    )
    return _attach(base, t)


def _placements(t: Tables) -> ibis.Table:
    """First day of each care-home placement after 365 days without one."""
    a = _care_home_rows(t)
    w = ibis.window(group_by=a.person_id, order_by=[a.start_date, a.activity_id])
    prev = a.end_date.fill_null(a.start_date).lag().over(w)
    a = a.mutate(_prev=prev)
    new = a._prev.isnull() | (a.start_date.delta(a._prev, unit="day") > 365)
    return a.filter(new).select(
        person_id=a.person_id, start_date=a.start_date, fy=fy_expr(a.start_date)
    )


def care_home_admission(t: Tables, s) -> ibis.Table:
    p = _placements(t)
    a = t["activity"]
    stays = a.filter(a.setting.isin(BED_SETTINGS) & (amount(a.bed_days) > 0))
    stays = stays.select(_sp=stays.person_id, _send=stays.end_date.fill_null(stays.start_date))
    days = int(s.care_home_after_stay_days)
    j = p.left_join(
        stays,
        [
            p.person_id == stays._sp,
            stays._send <= p.start_date,
            stays._send >= p.start_date - ibis.interval(days=days),
        ],
    )
    after = j.group_by(["person_id", "start_date", "fy"]).aggregate(
        after_nhs_stay=j._sp.notnull().any().cast("int8")
    )
    py = t["person_year"]
    ages = py.select(_ap=py.person_id, _afy=py.fy.cast("int16"), _age=py.age)
    after = after.left_join(ages, [after.person_id == ages._ap, after.fy == ages._afy])
    after = after.mutate(age_65_plus=after._age >= 65).drop("_ap", "_afy", "_age")
    return _attach(after, t)


def reablement(t: Tables, s) -> ibis.Table:
    a = t["activity"]
    r = a.filter((a.setting == "social_care") & (a.service_type == "reablement"))
    w = ibis.window(group_by=r.person_id, order_by=[r.start_date, r.activity_id])
    prev = r.end_date.fill_null(r.start_date).lag().over(w)
    r = r.mutate(_prev=prev)
    r = r.filter(r._prev.isnull() | (r.start_date.delta(r._prev, unit="day") > 28))
    days = int(s.reablement_days)
    pk = r.select(
        person_id=r.person_id, start_date=r.start_date, _day=r.start_date + ibis.interval(days=days)
    )
    last_day = a.aggregate(_last=a.end_date.fill_null(a.start_date).max())
    pk = pk.cross_join(last_day).filter(lambda x: x._day <= x._last).drop("_last").view()
    away = a.filter(
        (a.setting.isin(BED_SETTINGS) & (amount(a.bed_days) > 0))
        | ((a.setting == "social_care") & a.service_type.isin(CARE_HOME_SERVICES))
    )
    away = away.select(
        _wp=away.person_id, _w0=away.start_date, _w1=away.end_date.fill_null(away.start_date)
    )
    j = pk.left_join(away, [pk.person_id == away._wp, away._w0 <= pk._day, away._w1 >= pk._day])
    g = (
        j.group_by(["person_id", "start_date", "_day"])
        .aggregate(_away=j._wp.notnull().any())
        .view()
    )
    person = t["person"]
    dead = person.select(_dp=person.person_id, _dod=person.date_of_death)
    g = g.left_join(dead, g.person_id == dead._dp)
    alive = g._dod.isnull() | (g._dod > g._day)
    base = g.select(
        person_id=g.person_id,
        fy=fy_expr(g.start_date),
        at_home=(alive & ~g._away).cast("int8"),
    )
    return _attach(base, t)


DELAYED_DATE = ("discharge_date", "ready_date", "start_date")
DELAYED_DAYS = ("delayed_days", "days_delayed")


def delayed_transfer(t: Tables, s) -> ibis.Table:
    d = t["delayed_discharge"]
    date = next((c for c in DELAYED_DATE if c in d.columns), None)
    days = next((c for c in DELAYED_DAYS if c in d.columns), None)
    if date is None or days is None or "person_id" not in d.columns:
        raise MissingData(
            "delayed_discharge",
            "yoc ingest --source delayed_discharge",
            f"delayed_discharge has none of {', '.join(DELAYED_DATE)} or {', '.join(DELAYED_DAYS)}",
        )
    prov = d["provider_code"] if "provider_code" in d.columns else ibis.null("string")
    base = d.select(
        person_id=d.person_id,
        fy=fy_expr(d[date]),
        provider_code=prov,
        delayed_days=amount(d[days].cast("float64")),
    )
    return _attach(base, t)


class MissingData(Exception):
    """A base cannot be built: which table it needs and the command that writes it."""

    def __init__(self, table: str, command: str, detail: str = "") -> None:
        self.table, self.command, self.detail = table, command, detail
        super().__init__(f"needs {table} (run {command})" + (f": {detail}" if detail else ""))


def data_start_fy(t: Tables) -> int | None:
    """Financial year of the earliest activity (None without activity)."""
    if not t.has("activity"):
        return None
    a = t["activity"]
    return a.aggregate(first=a.start_date.min())


def _names(table: str) -> tuple[str, ...]:
    return schemas.get(table).names


BUILD = "yoc build"
BASES: dict[str, Base] = {
    b.name: b
    for b in (
        Base(
            "population",
            ("person_year",),
            BUILD,
            (*_names("person_year"), "age_65_plus", "has_ltc6", "has_assessment"),
            population,
        ),
        Base(
            "ltc6",
            ("survey_response", "person_year"),
            "yoc ingest (LTC6 responses), yoc build",
            LTC6_QUESTIONS,
            ltc6,
        ),
        Base(
            "risk_change",
            ("risk_score", "person_year"),
            "yoc risk score",
            ("score", "previous_score", "score_change", "change_class"),
            risk_change,
        ),
        Base(
            "admission",
            ("activity", "person_year"),
            BUILD,
            (
                "los",
                "bed_days",
                "trim_point",
                "excess_bed_days",
                "weekend_discharge",
                "discharge_weekday",
                "cost",
            ),
            admission,
        ),
        Base(
            "care_home",
            ("activity", "person_year"),
            BUILD,
            ("care_home_days", "public_days", "nursing_days", "cost"),
            care_home,
        ),
        Base(
            "care_home_admission",
            ("activity", "person_year"),
            BUILD,
            ("start_date", "after_nhs_stay", "age_65_plus"),
            care_home_admission,
            lookback_days=365,
        ),
        Base("reablement", ("activity", "person_year", "person"), BUILD, ("at_home",), reablement),
        Base(
            "delayed_transfer",
            ("delayed_discharge", "person_year"),
            "yoc ingest --source delayed_discharge",
            ("delayed_days",),
            delayed_transfer,
        ),
    )
}


def build_base(name: str, t: Tables, settings) -> ibis.Table:
    """The base as an expression, or MissingData naming the table and command it needs."""
    b = BASES[name]
    for table in b.requires:
        if not t.has(table):
            raise MissingData(table, "yoc build" if table == "person_year" else b.command)
    return b.build(t, settings)


def check_columns(measures, path: Path | None) -> None:
    """Every base and column a measure names exists (ConfigError naming measure and setting)."""
    for m in measures.measures:
        for where, part, base in (
            ("numerator", m.numerator, m.num_base()),
            ("denominator", m.den(), m.den_base()),
        ):
            if base not in BASES:
                raise ConfigError(
                    f"measures file {path}: measure {m.id} {where} names base {base!r}",
                    hint="bases: " + ", ".join(BASES),
                )
            known = set(COMMON) | set(BASES[base].columns)
            cols = [*part.columns(), *(c.column for c in m.where)]
            for col in cols:
                if col not in known:
                    raise ConfigError(
                        f"measures file {path}: measure {m.id} {where} reads column {col!r}, "
                        f"which base {base} does not have",
                        hint=f"{base} columns: " + ", ".join(sorted(known)),
                    )
