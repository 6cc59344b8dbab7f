"""Read a preflighted file, pseudonymise, type and check every value — all vectorised SQL.

The work happens on a private in-memory DuckDB connection (the *scratch*), never the store:
1. DuckDB's CSV reader loads the file as text (`all VARCHAR`); rows with the wrong number of
   fields are caught by the reader and quarantined as `malformed_row` with their line number;
2. the trusted identity step (`linkage.identity`) turns identifiers into pseudonyms and flags
   opted-out rows, which are dropped and only counted;
3. each column is typed with `try_cast` / `try_strptime` and checked (dates, numbers, codes,
   code maps); failures become reject rows with the file's row and column;
4. duplicates (by the format's record key) and the format's row rules quarantine rows.
Only pseudonymised, typed rows and masked rejects leave as Arrow tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa

from yearofcare.linkage import identity as idsql
from yearofcare.sources.base import CODE_SYSTEM_KINDS, Adapter, RawColumn
from yearofcare.sources.mapping import Mapping
from yearofcare.sources.preflight import FileFacts

MIN_DATE = date(1890, 1, 1)
MAX_DATE = date(2099, 12, 31)
VALUE_CHARS = 60
_CODE_PATTERNS = {
    "icd10": "[A-Z][0-9]{2}[0-9A-Z]{0,2}",
    "opcs4": "[A-Z][0-9]{2,3}",
    "snomed": "[0-9]{6,18}",
    "read2": "[A-Za-z0-9.]{5}",
    "bnf": "[0-9A-Z]{7,15}",
}
#: Codes already in normal form (no filler, no punctuation, upper case): used as they are.
_CLEAN_CODES = {
    "icd10": "[A-Z][0-9]{2}[0-9]?",
    "opcs4": "[A-Z][0-9]{2}[0-9]?",
    "snomed": "[0-9]{6,18}",
    "bnf": "[0-9A-Z]{7,15}",
}
QUARANTINE_ALWAYS = ("duplicate", "malformed_row", "excluded", "end_before_start")


@dataclass(frozen=True)
class ParseOptions:
    """What the parse needs beyond the contract: the load's identity and the opt-out list."""

    source: str
    load_id: str
    content_hash: str
    optout_table: str | None = None


@dataclass
class Parsed:
    """The outcome of parsing one file."""

    good: pa.Table
    rejects: pa.Table
    counts: dict[str, int] = field(default_factory=dict)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def scratch(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for one ingest (raw identifiers live only here)."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    return con


# ---- 1. read ------------------------------------------------------------------------------
def read_raw(con: duckdb.DuckDBPyConnection, facts: FileFacts, adapter: Adapter) -> list[tuple]:
    """Load the contract's columns as text into temp table `raw` with `_row` (file line).

    Returns malformed rows as (line, column, message) tuples.
    """
    cols = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in facts.header) + "}"
    select = ", ".join(
        f"{q(facts.resolved[c.name])} AS {q(c.name)}"
        if c.name in facts.resolved
        else f"NULL::VARCHAR AS {q(c.name)}"
        for c in adapter.columns
    )
    encoding = {"latin-1": "latin-1", "utf-16": "utf-16"}.get(facts.encoding, "utf-8")
    con.execute("DROP TABLE IF EXISTS raw_src")
    if facts.kind == "parquet":
        select = ", ".join(
            f"CAST({q(facts.resolved[c.name])} AS VARCHAR) AS {q(c.name)}"
            if c.name in facts.resolved
            else f"NULL::VARCHAR AS {q(c.name)}"
            for c in adapter.columns
        )
        con.execute(
            f"CREATE TEMP TABLE raw AS SELECT file_row_number + 1 AS _row, {select} "
            f"FROM read_parquet({lit(str(facts.path))}, file_row_number = true)"
        )
        return []
    con.execute(
        f"""CREATE TEMP TABLE raw_src AS SELECT {select} FROM read_csv(
            {lit(str(facts.path))}, header = true, delim = {lit(facts.delimiter)},
            quote = '"', escape = '"', columns = {cols}, auto_detect = false,
            ignore_errors = true, store_rejects = true, null_padding = false,
            encoding = {lit(encoding)}, max_line_size = 4194304,
            rejects_table = 'yoc_rejects', rejects_scan = 'yoc_scans')"""
    )
    malformed = con.execute(
        """SELECT line, any_value(column_name), any_value(error_type || ': ' || error_message)
           FROM yoc_rejects GROUP BY line ORDER BY line"""
    ).fetchall()
    n = con.execute("SELECT count(*) FROM raw_src").fetchone()[0]
    if malformed:
        bad = np.array([m[0] for m in malformed], dtype=np.int64)
        lines = np.setdiff1d(np.arange(2, 2 + n + len(bad), dtype=np.int64), bad)[:n]
        con.register("_yoc_lines", pa.table({"_row": lines}))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw AS SELECT l._row, r.* "
            "FROM raw_src r POSITIONAL JOIN _yoc_lines l"
        )
        con.unregister("_yoc_lines")
        con.execute("DROP TABLE raw_src")
    else:  # the usual case: no copy, the line number is the insertion order
        con.execute("CREATE OR REPLACE TEMP VIEW raw AS SELECT rowid + 2 AS _row, * FROM raw_src")
    return [(int(line), col, msg) for line, col, msg in malformed]


# ---- 2 + 3. identity and typing ------------------------------------------------------------
@dataclass
class _Col:
    """SQL pieces for one contract column.

    `pre` expressions are computed once per row in an inner query (blanked value, parsed date,
    number, normalised code); `typed` and `error` refer to them by name.
    """

    typed: dict[str, str]  # output column -> SQL
    error: str | None  # SQL giving a reason code or NULL
    message: str  # SQL giving the message when error is not NULL
    required: bool
    identifier: bool
    pre: dict[str, str] = field(default_factory=dict)


def _blank(col: RawColumn, nulls: Sequence[str]) -> str:
    v = f"nullif(trim({q(col.name)}), '')"
    if nulls:
        return f"CASE WHEN {v} IN ({', '.join(lit(x) for x in nulls)}) THEN NULL ELSE {v} END"
    return v


def _date_sql(v: str, formats: Sequence[str]) -> str:
    """Parse with the formats in order; ISO dates take DuckDB's fast cast."""
    parts = []
    for f in formats:
        if f == "%Y-%m-%d":
            parts.append(f"try_cast({v} AS DATE)")
        else:
            parts.append(f"try_strptime({v}, {lit(f)})::DATE")
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _in(values: Sequence[str]) -> str:
    return ", ".join(lit(x) for x in values) or "NULL"


def _column_sql(col: RawColumn, adapter: Adapter, mapping: Mapping) -> _Col:
    name = col.name
    blank = _blank(col, (*adapter.null_values, *mapping.null_values))
    v = q("__v_" + name)
    pre = {"__v_" + name: blank}
    shown = f"{lit(name)} || ' ' || quote_val"
    required_missing = f"WHEN {v} IS NULL THEN 'missing_required'" if col.required else ""
    missing_msg = f"{lit(name + ' is blank but required')}"
    kind = col.kind
    if kind == "date":
        formats = mapping.date_formats.get(name, col.formats)
        nulls, invalid = _in(adapter.null_dates), _in(adapter.invalid_dates)
        p = q("__p_" + name)
        pre["__p_" + name] = _date_sql(blank, formats)
        in_range = f"{p} BETWEEN DATE '{MIN_DATE}' AND DATE '{MAX_DATE}'"
        typed = (
            f"CASE WHEN {v} IN ({nulls}) OR {v} IN ({invalid}) THEN NULL "
            f"WHEN {in_range} THEN {p} END"
        )
        missing = (
            f"WHEN ({v} IS NULL OR {v} IN ({nulls})) THEN 'missing_required'"
            if col.required
            else f"WHEN {v} IN ({nulls}) THEN NULL"
        )
        error = (
            f"CASE {missing} WHEN {v} IS NULL THEN NULL "
            f"WHEN {v} IN ({invalid}) THEN 'invalid_date' "
            f"WHEN {p} IS NULL THEN 'invalid_date' "
            f"WHEN NOT {in_range} THEN 'impossible_date' END"
        )
        expected = " or ".join(
            f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for f in formats
        )
        message = (
            f"CASE __REASON__ WHEN 'missing_required' THEN {missing_msg} "
            f"WHEN 'impossible_date' THEN {shown} || ' is outside {MIN_DATE} to {MAX_DATE}' "
            f"ELSE {shown} || {lit(' is not a valid date (expected ' + expected + ')')} END"
        )
        return _Col({name: typed}, error, message, col.required, False, pre)
    if kind in ("int", "float"):
        sql_type = "BIGINT" if kind == "int" else "DOUBLE"
        n = q("__n_" + name)
        pre["__n_" + name] = f"try_cast({blank} AS DOUBLE)"
        bounds = []
        if col.minimum is not None:
            bounds.append(f"WHEN {n} < {col.minimum} THEN 'out_of_range'")
        if col.maximum is not None:
            bounds.append(f"WHEN {n} > {col.maximum} THEN 'out_of_range'")
        integral = f"WHEN {n} <> trunc({n}) THEN 'invalid_number'" if kind == "int" else ""
        error = (
            f"CASE {required_missing} WHEN {v} IS NULL THEN NULL "
            f"WHEN {n} IS NULL OR isnan({n}) OR isinf({n}) THEN 'invalid_number' "
            f"{integral} {' '.join(bounds)} END"
        )
        limits = []
        if col.minimum is not None:
            limits.append(f"at least {col.minimum:g}")
        if col.maximum is not None:
            limits.append(f"at most {col.maximum:g}")
        out_of_range = lit(" is out of range (expected " + " and ".join(limits) + ")")
        not_number = lit(" is not " + ("a whole number" if kind == "int" else "a number"))
        message = (
            f"CASE __REASON__ WHEN 'missing_required' THEN {missing_msg} "
            f"WHEN 'out_of_range' THEN {shown} || {out_of_range} "
            f"ELSE {shown} || {not_number} END"
        )
        ok = " AND ".join(
            [f"{n} >= {col.minimum}"] * (col.minimum is not None)
            + [f"{n} <= {col.maximum}"] * (col.maximum is not None)
            + ([f"{n} = trunc({n})"] if kind == "int" else [])
        )
        typed = f"CASE WHEN {ok or 'TRUE'} AND NOT isnan({n}) AND NOT isinf({n}) THEN {n}::{sql_type} END"
        return _Col({name: typed}, error, message, col.required, False, pre)
    if kind in CODE_SYSTEM_KINDS:
        norm = f"regexp_replace({blank}, '[\\s.*+]', '', 'g')"
        if kind != "read2":
            norm = f"upper({norm})"
        norm = f"nullif(regexp_replace({norm}, '^([A-Z][0-9]{{2}})[X-]+$', '\\1'), '')"
        norm = f"CASE WHEN regexp_full_match({blank}, '[-&\\s]+') THEN NULL ELSE {norm} END"
        clean = _CLEAN_CODES.get(kind)
        if clean:  # most codes arrive clean: skip the rewriting for them
            norm = f"CASE WHEN regexp_full_match({blank}, '{clean}') THEN {blank} ELSE {norm} END"
        if kind == "read2":
            norm = f"left({norm}, 5)"
        c = q("__c_" + name)
        pre["__c_" + name] = norm
        pattern = _CODE_PATTERNS[kind]
        typed = f"CASE WHEN regexp_full_match({c}, '{pattern}') THEN {c} END"
        error = (
            f"CASE {required_missing} WHEN {c} IS NULL THEN NULL "
            f"WHEN NOT regexp_full_match({c}, '{pattern}') THEN 'invalid_code' END"
        )
        system = CODE_SYSTEM_KINDS[kind]
        message = (
            f"CASE __REASON__ WHEN 'missing_required' THEN {missing_msg} "
            f"ELSE {shown} || {lit(' is not a valid ' + system + ' code')} END"
        )
        return _Col({name: typed}, error, message, col.required, False, pre)
    if kind == "code":
        cmap = {**adapter.code_maps.get(name, {}), **mapping.code_maps.get(name, {})}
        if cmap:
            upper = {k.upper(): val for k, val in cmap.items()}
            cases = " ".join(f"WHEN {lit(k)} THEN {lit(val)}" for k, val in upper.items())
            m = q("__m_" + name)
            pre["__m_" + name] = f"CASE upper({blank}) {cases} END"
            known = ", ".join(list(cmap)[:12]) + (", …" if len(cmap) > 12 else "")
            error = (
                f"CASE {required_missing} WHEN {v} IS NULL THEN NULL "
                f"WHEN {m} IS NULL THEN 'unknown_code' END"
            )
            unknown = lit(
                f" is not a known code (known: {known}); map it under code_maps in a mapping file"
            )
            message = (
                f"CASE __REASON__ WHEN 'missing_required' THEN {missing_msg} "
                f"ELSE {shown} || {unknown} END"
            )
            return _Col({name: m}, error, message, col.required, False, pre)
    error = f"CASE {required_missing} END" if col.required else None
    return _Col({name: v}, error, missing_msg, col.required, False, pre)


def _identity_plan(adapter: Adapter, mapping: Mapping, opts: ParseOptions) -> idsql.IdentityPlan:
    """The trusted identity step for this adapter's identifier columns (linkage.identity)."""
    nulls = (*adapter.null_values, *mapping.null_values)
    kinds: dict[str, tuple] = {}
    for c in adapter.identifiers:
        v = _blank(c, nulls)
        if c.kind == "dob":
            formats = mapping.date_formats.get(c.name, c.formats)
            kinds["dob"] = (c.name, (v, _date_sql(v, formats)))
        else:
            kinds[c.kind] = (c.name, v)
    return idsql.plan(
        kinds,
        source=opts.source,
        token_namespace=adapter.token_namespace,
        content_hash=opts.content_hash,
        optout_table=opts.optout_table,
        min_date=str(MIN_DATE),
    )


def parse(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    adapter: Adapter,
    mapping: Mapping,
    opts: ParseOptions,
) -> Parsed:
    """Read, pseudonymise, type and check one file; see the module docstring."""
    malformed = read_raw(con, facts, adapter)
    ident = _identity_plan(adapter, mapping, opts)
    for statement in ident.prelude:
        con.execute(statement)
    cols = {
        name: _Col(c.typed, c.error, c.message, False, True) for name, c in ident.columns.items()
    }
    for c in adapter.columns:
        if not c.is_identifier:
            cols[c.name] = _column_sql(c, adapter, mapping)
    inner, outer = ["raw._row"], ["_row"]
    for name, piece in cols.items():
        error = [(q("__e_" + name), piece.error)] if piece.error else []
        if piece.identifier:  # identity SQL refers to the join tables: computed inside
            for out, sql in [*((q(o), s) for o, s in piece.typed.items()), *error]:
                inner.append(f"{sql} AS {out}")
                outer.append(out)
        else:
            inner += [f"{sql} AS {q(n)}" for n, sql in piece.pre.items()]
            outer += [f"{sql} AS {q(o)}" for o, sql in piece.typed.items()]
            outer += [f"{sql} AS {n}" for n, sql in error]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE typed AS SELECT {', '.join(outer)} "
        f"FROM (SELECT {', '.join(inner)} FROM raw{ident.joins})"
    )
    for name in ident.cleanup:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    n_read = con.execute("SELECT count(*) FROM raw").fetchone()[0] + len(malformed)
    counts = _identity_counts(con, adapter)
    if counts["rows_opted_out"]:
        con.execute("DELETE FROM typed WHERE _optout")
    _collect_bad_rows(con, cols)
    reject_parts = _column_rejects(cols, adapter)
    reject_parts += _rule_rejects(adapter)
    reject_parts.append(_duplicate_rejects(adapter, facts))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rej AS " + " UNION ALL ".join(f"({p})" for p in reject_parts)
    )
    if malformed:
        con.executemany(
            "INSERT INTO rej VALUES (?, ?, 'malformed_row', ?, NULL, TRUE)",
            [
                (line, col or "", f"row could not be read ({msg})"[:300])
                for line, col, msg in malformed
            ],
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE quarantined AS SELECT DISTINCT _row FROM rej WHERE hard"
    )
    good = con.execute(
        "SELECT t.* EXCLUDE ("
        + ", ".join(["_optout", *[q("__e_" + n) for n, p in cols.items() if p.error]])
        + ") FROM typed t ANTI JOIN quarantined USING (_row)"
    ).to_arrow_table()
    rejects = con.execute(
        """SELECT r._row AS row_number, r.col AS "column", r.reason, r.message,
                   r.value, CASE WHEN q._row IS NULL THEN 'corrected' ELSE 'quarantined' END AS action
            FROM rej r LEFT JOIN quarantined q USING (_row) ORDER BY r._row, r.col"""
    ).to_arrow_table()
    n_quarantined = con.execute("SELECT count(*) FROM quarantined").fetchone()[0]
    kinds = dict(
        con.execute(
            """SELECT reason, count(DISTINCT _row) FROM rej WHERE hard
               AND reason IN ('duplicate', 'excluded') GROUP BY reason"""
        ).fetchall()
    )
    corrected = con.execute(
        "SELECT count(DISTINCT _row) FROM rej ANTI JOIN quarantined USING (_row)"
    ).fetchone()[0]
    counts.update(
        rows_read=n_read,
        rows_loaded=good.num_rows,
        rows_quarantined=n_quarantined,
        rows_duplicate=kinds.get("duplicate", 0),
        rows_excluded=kinds.get("excluded", 0),
        rows_corrected=corrected,
    )
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'raw'"
    ).fetchone()
    con.execute(f"DROP {'VIEW' if kind and kind[0] == 'VIEW' else 'TABLE'} IF EXISTS raw")
    for name in ("raw_src", "typed", "bad", "rej", "quarantined"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return Parsed(good, rejects, counts)


def _collect_bad_rows(con: duckdb.DuckDBPyConnection, cols: dict[str, _Col]) -> None:
    """Temp table `bad`: rows with any column error, with their raw values (one scan of raw)."""
    errs = [name for name, p in cols.items() if p.error]
    raw_cols = [n for n in errs if not cols[n].identifier]
    select = ", ".join(["t.*", *[f"r.{q(n)} AS {q('__r_' + n)}" for n in raw_cols]])
    where = " OR ".join(f"t.{q('__e_' + n)} IS NOT NULL" for n in errs) or "FALSE"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bad AS SELECT {select} "
        f"FROM typed t JOIN raw r USING (_row) WHERE {where}"
    )


def _identity_counts(con: duckdb.DuckDBPyConnection, adapter: Adapter) -> dict[str, int]:
    row = con.execute(
        """SELECT count(*) FILTER (WHERE _optout),
                  count(*) FILTER (WHERE NOT _optout AND _nhs_state IN ('valid', 'invalid')),
                  count(*) FILTER (WHERE NOT _optout AND _nhs_state = 'valid'),
                  count(*) FILTER (WHERE NOT _optout AND _nhs_state = 'invalid'),
                  count(*) FILTER (WHERE NOT _optout AND coalesce(_nhs_state, 'missing') = 'missing'),
                  count(*) FILTER (WHERE NOT _optout AND _id_kind = 'pseudonym'),
                  count(*) FILTER (WHERE NOT _optout AND _id_kind = 'token')
           FROM typed"""
    ).fetchone()
    keys = (
        "rows_opted_out",
        "nhs_number_present",
        "nhs_number_valid",
        "nhs_number_invalid",
        "nhs_number_missing",
        "pseudonym_supplied",
        "token_linked",
    )
    return dict(zip(keys, (int(x) for x in row), strict=True))


def _column_rejects(cols: dict[str, _Col], adapter: Adapter) -> list[str]:
    parts = []
    for name, p in cols.items():
        if not p.error:
            continue
        e = q("__e_" + name)
        raw = "t." + q("__r_" + name)
        value = "NULL::VARCHAR" if p.identifier else f"left({raw}, {VALUE_CHARS})"
        quote_val = f"'''' || coalesce(left({raw}, {VALUE_CHARS}), '') || ''''"
        message = p.message.replace("quote_val", quote_val).replace("__REASON__", f"t.{e}")
        hard = (
            "TRUE" if p.required else f"t.{e} IN ({', '.join(lit(r) for r in QUARANTINE_ALWAYS)})"
        )
        parts.append(
            f"SELECT t._row, {lit(name)} AS col, t.{e} AS reason, "
            f"{message} AS message, "
            f"{value} AS value, {hard} AS hard "
            f"FROM bad t WHERE t.{e} IS NOT NULL"
        )
    return parts


def _rule_rejects(adapter: Adapter) -> list[str]:
    return [
        f"SELECT _row, {lit(rule.column)} AS col, {lit(rule.reason)} AS reason, "
        f"{lit(rule.message)} AS message, NULL::VARCHAR AS value, TRUE AS hard "
        f"FROM typed WHERE coalesce(({rule.condition}), FALSE)"
        for rule in adapter.rules
    ]


def _duplicate_rejects(adapter: Adapter, facts: FileFacts) -> str:
    """Rows repeating an earlier row's record key (or every column, when the file has no key)."""
    keyed = adapter.record_key and all(
        k == "person_id" or k in facts.resolved for k in adapter.record_key
    )
    if keyed:
        keys = [q(k) for k in adapter.record_key]
        label = ", ".join(adapter.record_key)
    else:
        keys = ["person_id", *[q(c.name) for c in adapter.columns if not c.is_identifier]]
        label = "every column"
    part = ", ".join(keys)
    return (
        f"SELECT _row, {lit(adapter.record_key[0] if keyed else '')} AS col, "
        f"'duplicate' AS reason, 'duplicate of row ' || first_row::VARCHAR || "
        f"{lit(' (same ' + label + ')')} AS message, NULL::VARCHAR AS value, TRUE AS hard "
        f"FROM (SELECT _row, min(_row) OVER (PARTITION BY {part}) AS first_row FROM typed "
        f"WHERE {' AND '.join(k + ' IS NOT NULL' for k in keys[:1])}) WHERE _row <> first_row"
    )
