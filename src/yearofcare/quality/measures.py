"""Data-quality measures as Ibis expressions: per load, per source × month, per column, per reason.

Everything here builds expressions over the bookkeeping tables ingest writes (`ingest_load`,
`ingest_reject`, `ingest_person`, `ingest_registration`) and the canonical rows (`activity`,
`coded_event`); nothing is executed and no backend is named. Rows trace to their load by the
load-id prefix of `activity_id` (see `yearofcare.ingest.tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import ibis
import pyarrow as pa

from yearofcare import schemas, sources
from yearofcare.ingest.tables import PREFIX
from yearofcare.sources.base import CODE_SYSTEM_KINDS, IDENTIFIER_KINDS

#: Reasons that say a value of a column is wrong (not the row as a whole).
INVALID_REASONS: tuple[str, ...] = (
    "invalid_date",
    "impossible_date",
    "end_before_start",
    "invalid_number",
    "out_of_range",
    "unknown_code",
    "invalid_code",
    "invalid_pseudonym",
)
#: Reasons about codes (standardisation of codes and descriptors, Kent priority 1).
CODE_REASONS: tuple[str, ...] = ("invalid_code", "unknown_code")
CODE_KINDS: frozenset[str] = frozenset({"code", *CODE_SYSTEM_KINDS})

#: Canonical columns profiled per load (identifiers and the source label are always set).
PROFILED: dict[str, tuple[str, ...]] = {
    "activity": (
        "setting",
        "service_type",
        "provider_code",
        "start_date",
        "end_date",
        "units",
        "unit_type",
        "bed_days",
        "currency",
        "cost",
        "cost_basis",
        "funding_route",
        "primary_code",
        "primary_code_system",
    ),
    "coded_event": ("event_date", "code_system", "code", "value"),
    "registration": ("practice_code", "start_date", "end_date", "end_reason"),
}

#: Activity columns that make two rows the same record when they arrive in different loads.
SAME_RECORD: tuple[str, ...] = (
    "person_id",
    "setting",
    "provider_code",
    "start_date",
    "end_date",
    "primary_code",
    "currency",
    "units",
)


@dataclass(frozen=True)
class Inputs:
    """The tables the measures read; only `ingest_load` is required."""

    ingest_load: ibis.Table
    ingest_reject: ibis.Table | None = None
    activity: ibis.Table | None = None
    coded_event: ibis.Table | None = None
    ingest_person: ibis.Table | None = None
    ingest_registration: ibis.Table | None = None


#: A period written at the end of a file name: `_2024-25`, `-2024`, ` 202404`, `_2024_04_01`.
_PERIOD_SUFFIX = r"[_\-. ]*(19|20)[0-9]{2}([_\-/]?[0-9]{2,4})*([_\-. ].*)?$"


def feed(source: ibis.StringValue, file_name: ibis.StringValue) -> ibis.StringValue:
    """The series a load belongs to: its source, or for canonical files (one format, many
    tables and services) the source and the file name without extension and period."""
    stem = file_name.re_replace(r"\.[A-Za-z0-9]+$", "").re_replace(_PERIOD_SUFFIX, "")
    return ibis.ifelse(source == "canonical", source + ":" + stem.lower(), source)


def _ratio(num: ibis.Value, den: ibis.Value) -> ibis.Value:
    return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))


def load_of(id_column: ibis.StringValue) -> ibis.StringValue:
    """The load that brought a row, from its load-prefixed identifier."""
    return id_column.substr(0, PREFIX)


def _empty(schema: dict[str, str]) -> ibis.Table:
    arrow = pa.schema([(k, ibis.dtype(v).to_pyarrow()) for k, v in schema.items()])
    return ibis.memtable(arrow.empty_table())


def _rejects(inp: Inputs) -> ibis.Table:
    if inp.ingest_reject is not None:
        return inp.ingest_reject
    return _empty(
        {c.name: c.type for c in schemas.get("ingest_reject").columns}  # an empty reject table
    )


# ---- contract columns -----------------------------------------------------------------------
@cache
def contract_columns() -> pa.Table:
    """Every raw column each format's contract declares: source, column, kind, required.

    Metadata of the adapters (not data). The `canonical` format has one contract per table and
    is left out; its columns appear through the problems found in them.
    """
    rows: dict[str, list] = {"source": [], "column": [], "kind": [], "required": []}
    for name in sources.FORMATS:
        if name == "canonical":
            continue
        for c in sources.get(name).columns:
            rows["source"].append(name)
            rows["column"].append(c.name)
            rows["kind"].append(c.kind)
            rows["required"].append(bool(c.required))
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("source", pa.string()),
                ("column", pa.string()),
                ("kind", pa.string()),
                ("required", pa.bool_()),
            ]
        ),
    )


def identifier_columns() -> frozenset[tuple[str, str]]:
    """(source, column) pairs holding identifiers: their values are never shown."""
    t = contract_columns().to_pylist()
    return frozenset((r["source"], r["column"]) for r in t if r["kind"] in IDENTIFIER_KINDS)


# ---- per load ---------------------------------------------------------------------------------
def _stored_records(inp: Inputs) -> ibis.Table | None:
    parts = []
    if inp.activity is not None:
        parts.append(inp.activity.select(load_id=load_of(inp.activity.activity_id)))
    if inp.coded_event is not None:
        ce = inp.coded_event.filter(inp.coded_event.activity_id.notnull())
        parts.append(ce.select(load_id=load_of(ce.activity_id)))
    if inp.ingest_registration is not None:
        parts.append(inp.ingest_registration.select("load_id"))
    if not parts:
        return None
    u = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    return u.group_by("load_id").aggregate(records_stored=ibis._.count())


def _code_values(inp: Inputs) -> ibis.Table | None:
    if inp.coded_event is None:
        return None
    ce = inp.coded_event.filter(inp.coded_event.activity_id.notnull())
    return ce.group_by(load_id=load_of(ce.activity_id)).aggregate(code_values_loaded=ce.count())


def duplicates_across_loads(activity: ibis.Table) -> ibis.Table:
    """Activity rows per load that repeat a row of another current load of the same source.

    Two rows are the same record when SAME_RECORD all match (blanks matching blanks): the usual
    cause is overlapping extracts (June sent in both the Q1 and the June file).
    """
    a = activity.mutate(
        _load=load_of(activity.activity_id),
        _key=ibis.literal("|").join(
            [activity[c].cast("string").fill_null("\u2205") for c in SAME_RECORD]
        ),
    )
    shared = (
        a.group_by(["source", "_key"])
        .aggregate(_loads=a._load.nunique())
        .filter(lambda t: t._loads > 1)
    )
    j = a.join(shared, ["source", "_key"])
    return j.group_by(load_id=j._load).aggregate(duplicates_across_loads=j.count())


def load_measures(inp: Inputs) -> ibis.Table:
    """`dq_load`: one row per load with its counts, rates and timeliness."""
    loads = inp.ingest_load
    rej = _rejects(inp)
    code_rej = rej.reason.isin(CODE_REASONS)
    per_load = rej.group_by("load_id").aggregate(
        problems=rej.count(),
        rows_malformed=rej.row_number.nunique(where=rej.reason == "malformed_row"),
        rows_code_invalid=rej.row_number.nunique(where=code_rej & ~_is_identifier(rej)),
    )
    t = loads.left_join(per_load, "load_id").select(loads, *_others(per_load, "load_id"))
    for extra in (_stored_records(inp), _code_values(inp)):
        if extra is not None:
            t = t.left_join(extra, "load_id").select(t, *_others(extra, "load_id"))
    if inp.activity is not None:
        dup = duplicates_across_loads(inp.activity)
        t = t.left_join(dup, "load_id").select(t, *_others(dup, "load_id"))
    fill = {
        c: ibis.literal(0, "int64")
        for c in (
            "problems",
            "rows_malformed",
            "rows_code_invalid",
            "records_stored",
            "code_values_loaded",
            "duplicates_across_loads",
        )
    }
    t = t.mutate(**{c: (t[c] if c in t.columns else v).fill_null(0) for c, v in fill.items()})
    nhs_rows = t.nhs_number_present + t.nhs_number_missing
    linked = (t.rows_loaded - t.rows_unlinked + t.rows_linked_probabilistic).clip(lower=0)
    day = t.loaded_at.date()
    return t.select(
        "load_id",
        "source",
        feed=feed(t.source, t.file_name),
        extract_id=t.extract_id,
        file_name=t.file_name,
        status=t.status,
        period_start=t.period_start,
        period_end=t.period_end,
        period_month=t.period_start.fill_null(day).truncate("M"),
        loaded_at=t.loaded_at,
        lag_days=ibis.ifelse(
            t.period_end.notnull(), day.delta(t.period_end, unit="day"), ibis.null("int64")
        ).cast("int64"),
        rows_read=t.rows_read,
        rows_loaded=t.rows_loaded,
        rows_quarantined=t.rows_quarantined,
        rows_corrected=t.rows_corrected,
        rows_opted_out=t.rows_opted_out,
        rows_duplicate=t.rows_duplicate,
        rows_excluded=t.rows_excluded,
        rows_malformed=t.rows_malformed,
        rows_late=t.rows_late,
        nhs_number_present=t.nhs_number_present,
        nhs_number_valid=t.nhs_number_valid,
        nhs_number_invalid=t.nhs_number_invalid,
        nhs_number_missing=t.nhs_number_missing,
        pseudonym_supplied=t.pseudonym_supplied,
        token_linked=t.token_linked,
        rows_linked=linked.cast("int64"),
        rows_unlinked=t.rows_unlinked,
        rows_linked_probabilistic=t.rows_linked_probabilistic,
        persons=t.persons,
        problems=t.problems,
        records_stored=t.records_stored,
        duplicates_across_loads=t.duplicates_across_loads,
        code_values_loaded=t.code_values_loaded,
        rows_code_invalid=t.rows_code_invalid,
        nhs_coverage=_ratio(t.nhs_number_present, nhs_rows),
        nhs_validity=_ratio(t.nhs_number_valid, t.nhs_number_present),
        nhs_valid_coverage=_ratio(t.nhs_number_valid, nhs_rows),
        linkage_rate=_ratio(linked, t.rows_loaded),
        quarantine_rate=_ratio(t.rows_quarantined, t.rows_read),
        correction_rate=_ratio(t.rows_corrected, t.rows_read),
        duplicate_rate=_ratio(t.rows_duplicate, t.rows_read),
        code_validity=1 - _ratio(t.rows_code_invalid, t.rows_read),
        delimiter=t.delimiter,
        encoding=t.encoding,
        mapping_hash=t.mapping_hash,
    )


def _others(t: ibis.Table, *keys: str) -> list[ibis.Value]:
    return [t[c] for c in t.columns if c not in keys]


def _is_identifier(rej: ibis.Table) -> ibis.BooleanValue:
    pairs = sorted(identifier_columns())
    if not pairs:
        return ibis.literal(False)
    keys = [f"{s}\u241f{c}" for s, c in pairs]
    return (rej.source + "\u241f" + rej.column.fill_null("")).isin(keys)


# ---- per reason -------------------------------------------------------------------------------
def reject_summary(rejects: ibis.Table, examples: int = 5) -> ibis.Table:
    """`dq_reject`: problems per load × column × reason × action, with example row numbers."""
    keys = ["load_id", "source", "file_name", "column", "reason", "action"]
    r = rejects.mutate(column=rejects.column.fill_null(""))
    counts = r.group_by(keys).aggregate(
        rows=r.row_number.nunique(), problems=r.count(), first_row=r.row_number.min()
    )
    d = r.select(*keys, "row_number").distinct()
    d = d.mutate(_rank=ibis.row_number().over(group_by=keys, order_by=d.row_number))
    d = d.filter(d._rank < examples)
    wide = d.group_by(keys).aggregate(
        **{f"_r{i}": d.row_number.max(where=d._rank == i) for i in range(examples)}
    )
    wide = wide.select(
        *keys,
        example_rows=ibis.literal(", ").join(
            [wide[f"_r{i}"].cast("string") for i in range(examples)]
        ),
    )
    j = counts.join(wide, keys)
    return j.select(*keys, "rows", "problems", "first_row", "example_rows")


# ---- per column -------------------------------------------------------------------------------
def file_columns(inp: Inputs) -> ibis.Table:
    """`dq_column` level file: every contract column of every load, with its problems."""
    loads = inp.ingest_load.select("load_id", "source", "rows_read")
    rej = _rejects(inp)
    rej = rej.filter(rej.column.notnull() & (rej.column != ""))
    bad = rej.reason.isin(INVALID_REASONS)
    own = bad | (rej.reason == "missing_required")
    probs = rej.group_by(["load_id", "column"]).aggregate(
        missing=rej.row_number.nunique(where=rej.reason == "missing_required"),
        invalid=rej.row_number.nunique(where=bad),
        corrected=rej.row_number.nunique(where=rej.action == "corrected"),
        quarantined=rej.row_number.nunique(where=(rej.action == "quarantined") & own),
    )
    contract = ibis.memtable(contract_columns())
    declared = loads.join(contract, "source").select("load_id", "column")
    seen = probs.select("load_id", "column")
    keys = ibis.union(declared, seen, distinct=True)
    t = keys.join(loads, "load_id")
    t = t.left_join(contract, ["source", "column"]).select(t, contract.kind, contract.required)
    t = t.left_join(probs, ["load_id", "column"]).select(t, *_others(probs, "load_id", "column"))
    missing = t.missing.fill_null(0)
    invalid = t.invalid.fill_null(0)
    return t.select(
        "load_id",
        "source",
        level=ibis.literal("file"),
        table_name=ibis.null("string"),
        column=t.column,
        kind=t.kind,
        required=t.required,
        rows=t.rows_read,
        filled=ibis.null("int64"),
        missing=ibis.ifelse(t.required.fill_null(False), missing, ibis.null("int64")).cast("int64"),
        invalid=invalid.cast("int64"),
        corrected=t.corrected.fill_null(0).cast("int64"),
        quarantined=t.quarantined.fill_null(0).cast("int64"),
        completeness=ibis.ifelse(
            t.required.fill_null(False),
            1 - _ratio(missing, t.rows_read),
            ibis.null("float64"),
        ),
        validity=1 - _ratio(invalid, t.rows_read),
    )


def _violation(col: schemas.Column, v: ibis.Value) -> ibis.BooleanValue | None:
    conds: list[ibis.BooleanValue] = []
    if col.allowed:
        conds.append(~v.isin(list(col.allowed)))
    if col.minimum is not None:
        conds.append(v < col.minimum)
    if col.maximum is not None:
        conds.append(v > col.maximum)
    if not conds:
        return None
    return v.notnull() & ibis.or_(*conds)


def profile(t: ibis.Table, load: ibis.Value, source: ibis.Value, table_name: str) -> ibis.Table:
    """`dq_column` level table for one canonical table: per load, each column's fill and
    declared-constraint violations (one scan, then one row per column)."""
    declared = schemas.get(table_name)
    cols = [c for c in PROFILED[table_name] if c in t.columns]
    x = t.mutate(_load=load, _source=source)
    aggs: dict[str, ibis.Value] = {"_rows": x.count()}
    for c in cols:
        aggs[f"f_{c}"] = x[c].count()
        bad = _violation(declared.column(c), x[c])
        aggs[f"i_{c}"] = bad.sum() if bad is not None else ibis.literal(0, "int64")
    wide = x.group_by(["_load", "_source"]).aggregate(**aggs)
    parts = []
    for c in cols:
        filled = wide[f"f_{c}"].cast("int64")
        invalid = wide[f"i_{c}"].fill_null(0).cast("int64")
        parts.append(
            wide.select(
                load_id=wide._load,
                source=wide._source,
                level=ibis.literal("table"),
                table_name=ibis.literal(table_name),
                column=ibis.literal(c),
                kind=ibis.literal(declared.column(c).type),
                required=ibis.literal(not declared.column(c).nullable),
                rows=wide._rows.cast("int64"),
                filled=filled,
                missing=(wide._rows - filled).cast("int64"),
                invalid=invalid,
                corrected=ibis.literal(0, "int64"),
                quarantined=ibis.literal(0, "int64"),
                completeness=_ratio(filled, wide._rows),
                validity=_ratio(filled - invalid, filled),
            )
        )
    return ibis.union(*parts, distinct=False)


def table_columns(inp: Inputs) -> list[ibis.Table]:
    """`dq_column` level table for activity, coded_event and registration."""
    out = []
    if inp.activity is not None:
        a = inp.activity
        out.append(profile(a, load_of(a.activity_id), a.source, "activity"))
    if inp.coded_event is not None:
        ce = inp.coded_event.filter(inp.coded_event.activity_id.notnull())
        out.append(profile(ce, load_of(ce.activity_id), ce.source, "coded_event"))
    if inp.ingest_registration is not None:
        reg = inp.ingest_registration
        loads = inp.ingest_load.select("load_id", _src=inp.ingest_load.source)
        r = reg.join(loads, "load_id")
        out.append(profile(r, r.load_id, r._src, "registration"))
    return out


def column_measures(inp: Inputs) -> ibis.Table:
    """`dq_column`: file-level contract columns and table-level canonical columns."""
    parts = [file_columns(inp), *table_columns(inp)]
    return ibis.union(*parts, distinct=False)


# ---- per source × month -----------------------------------------------------------------------
def _records(inp: Inputs) -> ibis.Table | None:
    """Every stored record with its load, source, date, person and whether it is costed/coded."""
    parts: list[ibis.Table] = []
    if inp.activity is not None:
        a = inp.activity
        parts.append(
            a.select(
                load_id=load_of(a.activity_id),
                source=a.source,
                record_date=a.start_date,
                person_id=a.person_id,
                costed=a.cost.notnull(),
                coded=a.primary_code.notnull(),
            )
        )
    if inp.coded_event is not None:
        ce = inp.coded_event.filter(inp.coded_event.activity_id.notnull())
        ce = ce.mutate(_load=load_of(ce.activity_id))
        if inp.activity is not None:
            with_activity = inp.activity.select(_load=load_of(inp.activity.activity_id)).distinct()
            ce = ce.anti_join(with_activity, "_load")
        parts.append(
            ce.select(
                load_id=ce._load,
                source=ce.source,
                record_date=ce.event_date,
                person_id=ce.person_id,
                costed=ibis.literal(False),
                coded=ibis.literal(True),
            )
        )
    if inp.ingest_registration is not None:
        reg = inp.ingest_registration
        loads = inp.ingest_load.select("load_id", _src=inp.ingest_load.source)
        r = reg.join(loads, "load_id")
        parts.append(
            r.select(
                load_id=r.load_id,
                source=r._src,
                record_date=r.start_date,
                person_id=r.person_id,
                costed=ibis.literal(False),
                coded=ibis.literal(False),
            )
        )
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def source_month(inp: Inputs) -> ibis.Table:
    """`dq_source_month`: records of current loads by source and month of their date."""
    rec = _records(inp)
    if rec is None:
        return _empty({c.name: c.type for c in schemas.get("dq_source_month").columns})
    rec = rec.filter(rec.record_date.notnull())
    loads = inp.ingest_load.select("load_id", "period_start", "period_end")
    r = rec.left_join(loads, "load_id").select(rec, loads.period_start, loads.period_end)
    if inp.ingest_person is not None:
        p = inp.ingest_person.select("load_id", "person_id", _linked=inp.ingest_person.linked)
        p = p.group_by(["load_id", "person_id"]).aggregate(_linked=p._linked.any())
        r = r.left_join(p, ["load_id", "person_id"]).select(r, p._linked)
        linked = r._linked.fill_null(False)
    else:
        linked = ibis.literal(False)
    r = r.mutate(
        month=r.record_date.truncate("M"),
        _linked=linked,
        _late=(r.period_start.notnull() & (r.record_date < r.period_start)),
    )
    bounds = r.group_by("source").aggregate(
        source_period_start=r.period_start.min(), source_period_end=r.period_end.max()
    )
    g = r.group_by(["source", "month"]).aggregate(
        loads=r.load_id.nunique(),
        records=r.count(),
        persons=r.person_id.nunique(),
        records_linked=r._linked.sum(),
        records_costed=r.costed.sum(),
        records_coded=r.coded.sum(),
        records_late=r._late.sum(),
    )
    return g.select(
        "source",
        "month",
        *(
            g[c].fill_null(0).cast("int64").name(c)
            for c in (
                "loads",
                "records",
                "persons",
                "records_linked",
                "records_costed",
                "records_coded",
                "records_late",
            )
        ),
        linkage_rate=_ratio(g.records_linked, g.records),
        costed_rate=_ratio(g.records_costed, g.records),
        coded_rate=_ratio(g.records_coded, g.records),
    ).join(bounds, "source")
