"""Pieces several adapters share: HES conventions, code columns to coded events, empty tables."""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from yearofcare import schemas
from yearofcare.sources.base import BuildContext, RawColumn

#: HES and SUS date sentinels (HES data dictionary: 1800-01-01 null, 1801-01-01 invalid).
HES_NULL_DATES = ("1800-01-01", "18000101")
HES_INVALID_DATES = ("1801-01-01", "18010101")

#: HES / SUS "Person stated gender code" (1996-97 onwards; 2022-23 adds X).
SEX_CODES = {
    "1": "M",
    "2": "F",
    "0": "U",
    "9": "U",
    "X": "U",
    "M": "M",
    "F": "F",
    "U": "U",
    "I": "U",
}

#: Fields every person-identifying extract may carry for the trusted linkage step.
NHS = RawColumn("NHS_NUMBER", "nhs_number", optional=True, description="NHS number (10 digits).")
DOB = RawColumn("DATE_OF_BIRTH", "dob", optional=True, description="Date of birth.")
POSTCODE = RawColumn("POSTCODE", "postcode", optional=True, description="Postcode of residence.")


def activity_id(ctx: BuildContext, key: ibis.Value) -> ibis.StringValue:
    """Load-prefixed activity identifier, so every row traces to its `ingest_load`."""
    return ibis.literal(f"{ctx.load_id}-") + key.cast("string")


def coded_events(
    t: ibis.Table,
    code_columns: Sequence[str],
    system: str,
    *,
    date: ibis.Value,
    activity: ibis.Value,
    source: str,
) -> ibis.Table:
    """One row per non-blank code in `code_columns` (codes were normalised by the parse).

    The code columns are gathered into an array and unnested: one scan, any number of slots.
    """
    if len(code_columns) == 1:
        codes = t.select(person_id=t.person_id, _d=date, _a=activity, _c=t[code_columns[0]])
    else:
        wide = t.select(
            person_id=t.person_id,
            _d=date,
            _a=activity,
            _c=ibis.array([t[c] for c in code_columns]),
        )
        codes = wide.unnest("_c")
    codes = codes.filter(codes._c.notnull())
    return codes.select(
        person_id=codes.person_id,
        event_date=codes._d,
        code_system=ibis.literal(system),
        code=codes._c,
        source=ibis.literal(source),
        activity_id=codes._a,
        value=ibis.null("float64"),
    )


#: What one row may say about its person: the facts `ingest_person` keeps per load (its
#: declared columns, less the bookkeeping ones the ingest adds).
PERSON_FACTS = tuple(
    c
    for c in schemas.get("ingest_person").columns
    if c.name not in ("load_id", "source", "rank", "person_id", "linked")
)


def person_rows(t: ibis.Table, **cols: ibis.Value) -> ibis.Table:
    """Per-row person facts (the ingest aggregates them per person and load)."""
    unknown = set(cols) - {c.name for c in PERSON_FACTS}
    if unknown:
        raise ValueError(f"person_rows: not person facts of ingest_person: {sorted(unknown)}")
    values = {
        c.name: (cols[c.name] if c.name in cols else ibis.null(c.dtype)).cast(c.dtype)
        for c in PERSON_FACTS
    }
    return t.select(person_id=t.person_id, linked=t._linked, **values)


def birth(
    t: ibis.Table, year: ibis.Value | None = None, month: ibis.Value | None = None
) -> dict[str, ibis.Value]:
    """Birth year and month: from a full date of birth (identity step) when the format has
    one, else from the given year/month columns."""
    y = year.cast("int16") if year is not None else ibis.null("int16")
    m = month.cast("int8") if month is not None else ibis.null("int8")
    if "_dob_year" in t.columns:
        has_dob = t._dob_year.notnull()
        return {
            "birth_year": ibis.ifelse(has_dob, t._dob_year, y),
            "birth_month": ibis.ifelse(has_dob, t._dob_month, m),
        }
    return {"birth_year": y, "birth_month": m}


#: Birth as HES and SUS give it: MYDOB (MMYYYY) or year and month of birth apart.
BIRTH_COLUMNS = (
    RawColumn("MYDOB", "date", optional=True, formats=("%m%Y",)),
    RawColumn("BIRTH_YEAR", "int", optional=True, minimum=1890, maximum=2099),
    RawColumn("BIRTH_MONTH", "int", optional=True, minimum=1, maximum=12),
)


def hes_birth(t: ibis.Table) -> dict[str, ibis.Value]:
    """Birth year and month of a HES / SUS row: date of birth, else MYDOB, else the year and
    month of birth columns (a month without a year is dropped)."""
    year = ibis.coalesce(t.MYDOB.year().cast("int16"), t.BIRTH_YEAR.cast("int16"))
    month = ibis.ifelse(
        t.MYDOB.notnull(),
        t.MYDOB.month().cast("int8"),
        ibis.ifelse(t.BIRTH_YEAR.notnull(), t.BIRTH_MONTH.cast("int8"), ibis.null("int8")),
    )
    return birth(t, year, month)


def slug(value: ibis.StringValue) -> ibis.StringValue:
    """Free-text service or team type as a lower-case identifier (`District Nursing` →
    `district_nursing`)."""
    return value.lower().re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "")


def days_between(end: ibis.Value, start: ibis.Value) -> ibis.Value:
    return end.delta(start, unit="day").cast("float64")


def first_code_system(code: ibis.Value, system: str) -> ibis.Value:
    return ibis.ifelse(code.notnull(), system, ibis.null("string"))


def activity_frame(t: ibis.Table, ctx: BuildContext, **cols: ibis.Value) -> ibis.Table:
    """An `activity` selection with every declared column (missing ones null)."""
    declared = schemas.get("activity")
    unknown = set(cols) - set(declared.names)
    if unknown:
        raise ValueError(f"activity_frame: not columns of activity: {sorted(unknown)}")
    defaults = {
        "person_id": t.person_id,
        "source": ibis.literal(ctx.source),
        "funding_route": ctx.default("funding_route"),
    }
    values = {}
    for c in declared.columns:
        v = cols.get(c.name, defaults.get(c.name))
        values[c.name] = v.cast(c.dtype) if v is not None else ibis.null(c.dtype)
    return t.select(**values)
