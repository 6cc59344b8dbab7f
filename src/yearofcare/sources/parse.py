"""Read a preflighted file, pseudonymise, type and check every value — Ibis on a private DuckDB.

The work happens on a private in-memory DuckDB connection (the *scratch*, `scratch()`), never
the store, whichever engine the store uses:
1. DuckDB's CSV reader reads the file as text; rows with the wrong number of fields are
   caught by the reader and quarantined as `malformed_row` with their line number;
2. the trusted identity step (`linkage.identity`) turns identifiers into pseudonyms (in bulk:
   one keyed hash per distinct value) and flags opted-out rows, which are dropped and counted;
3. each column is typed and checked in one pass (`columns.py`: dates, numbers, codes, code
   maps); failures become reject rows naming the file's row and column;
4. duplicates (by the format's record key) and the format's row rules (Ibis predicates)
   quarantine rows.
The pass writes every row, typed and pseudonymised, to one Parquet file in the run's scratch
folder; `Parsed.good(backend)` reads the rows to load from it on the store's engine. Only
pseudonymised, typed rows and masked rejects leave the scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot.expressions as sge

from yearofcare.backends.shuffle import ibis_duckdb
from yearofcare.linkage import groups, identity
from yearofcare.linkage.optout import OptOuts
from yearofcare.linkage.pseudonym import Hasher
from yearofcare.sources import text
from yearofcare.sources.base import Adapter
from yearofcare.sources.columns import (
    MIN_DATE,
    QUARANTINE_ALWAYS,
    VALUE_CHARS,
    Bounds,
    Checked,
    absent,
    blank,
    check_column,
    parse_date,
)
from yearofcare.sources.mapping import Mapping
from yearofcare.sources.preflight import FileFacts

__all__ = ["MIN_DATE", "ParseOptions", "Parsed", "parse", "scratch"]

#: Internal columns of the parsed file: quarantined before duplicates are known; any problem.
_HARD = "_hard"
_BAD = "_bad"


@dataclass(frozen=True)
class ParseOptions:
    """What the parse needs beyond the contract: the load's identity, key and opt-outs."""

    source: str
    load_id: str
    content_hash: str
    hasher: Hasher
    folder: Path  # where the parsed rows are written (the run's scratch)
    optouts: OptOuts | None = None
    late_before: date | None = None  # rows whose date column is earlier count as late
    bounds: Bounds = field(default_factory=Bounds)  # plausibility bounds (dates, amounts)
    #: rows whose record an earlier extract holds: (record keys: _row, _rk, person_id; the
    #: key's label) → (_row, _dup_load: "file … (load …)") to quarantine, or None
    prior: Callable[[pa.Table, str], pa.Table | None] | None = None


@dataclass
class Parsed:
    """The outcome of parsing one file."""

    path: Path  # every parsed row (Parquet), with `_optout` and `_hard` (quarantined) flags
    rejects: pa.Table
    counts: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)  # rows_late, rows_unlinked, persons
    fixes: pa.Table | None = None  # rows whose person is another row's (`_identity_fixes`)
    duplicates: pa.Table | None = None  # `_row`, `_dup_of`: rows repeating a record key
    columns: tuple[str, ...] = ()
    #: the record key of every loaded row (`_rk`, `person_id`), for `ingest_record`
    record_keys: pa.Table | None = None

    def good(self, backend) -> ibis.Table:
        """The rows to load, read on the store's engine (`backend.read_parquet`)."""
        t = backend.read_parquet([self.path])
        t = t.filter(~t._optout & ~t[_HARD])
        if self.duplicates is not None:
            t = t.anti_join(ibis.memtable(self.duplicates.select(["_row"])), "_row")
        return _apply_fixes(t, self.fixes).select(*self.columns)

    @property
    def rows_loaded(self) -> int:
        return self.counts.get("rows_loaded", 0)


def scratch(threads: int | None = None, memory: str | None = None, spill: Path | None = None):
    """A private in-memory DuckDB for one ingest (raw identifiers live only here).

    `spill` is where it may write what does not fit in memory: the run's scratch folder
    inside the data directory (removed with the run, swept if the run dies), never /tmp.
    """
    con = ibis_duckdb()().connect(threads=threads) if threads else ibis_duckdb()().connect()
    if memory:
        con.raw_sql(_set("memory_limit", memory))
    if spill is not None:
        con.raw_sql(_set("temp_directory", str(spill)))
    return con


def _set(name: str, value: object) -> str:
    item = sge.SetItem(this=sge.EQ(this=sge.column(name), expression=sge.convert(value)))
    return sge.Set(expressions=[item]).sql("duckdb")


# ---- 1. read ------------------------------------------------------------------------------
#: Malformed lines up to this many are numbered by an inline expression, more by a join.
_INLINE_LINES = 256


def _with_rowid(con, table: str, offset: int) -> ibis.Table:
    """`table` with `_row` = its DuckDB rowid + `offset` (a sqlglot-built SELECT: Ibis has no
    word for rowid). Rows were inserted in file order, so rowid is the order in the file."""
    rowid = sge.Add(this=sge.column("rowid"), expression=sge.convert(offset))
    query = sge.select(rowid.as_("_row"), sge.Star()).from_(
        sge.Table(this=sge.to_identifier(table, quoted=True))
    )
    return con.sql(query.sql("duckdb"), dialect="duckdb")


def read_raw(
    con, facts: FileFacts, adapter: Adapter, name: str, folder: Path
) -> tuple[ibis.Table, list]:
    """The file as text: `_row` (its line in the file) and one column per contract column.

    CSV files are read once, in parallel, into a private temporary table (`name`); every
    later step scans that table. A file that is not UTF-8, or whose line ends are CR-only or
    mixed, is read from a UTF-8, LF copy in `folder` (`sources.text`). Returns the table and
    the malformed rows as (line, column, message) tuples.
    """
    present = [c.name for c in adapter.columns if c.name in facts.resolved]
    if facts.kind == "parquet":
        src = con.read_parquet(str(facts.path), table_name=name, file_row_number=True)
        cols = {c: src[facts.resolved[c]].cast("string") for c in present}
        return src.select(_row=src.file_row_number + 1, **cols), []
    path = facts.path
    if facts.needs_copy:
        path = text.normalise(path, facts.encoding, folder / f"{name}.utf8.csv")
    view = con.read_csv(
        str(path),
        table_name=f"{name}_csv",
        header=True,
        delim=facts.delimiter,
        quote='"',
        escape='"',
        columns=dict.fromkeys(facts.header, "VARCHAR"),
        auto_detect=False,
        ignore_errors=True,
        null_padding=False,
        encoding="utf-8",
        max_line_size=4194304,
        store_rejects=True,
        rejects_table=f"{name}_rejects",
        rejects_scan=f"{name}_scans",
    )
    con.create_table(name, view.select(**{c: view[facts.resolved[c]] for c in present}), temp=True)
    con.drop_view(f"{name}_csv")
    if path != facts.path:
        path.unlink(missing_ok=True)  # the copy is in the table now
    rej = con.table(f"{name}_rejects")
    msg = rej.error_type + ": " + rej.error_message
    # a line with several errors reports its first (by position, then column and message:
    # the same one every time)
    first = ibis.struct(
        {
            "at": rej.byte_position.cast("int64").fill_null(-1),
            "col": rej.column_name.fill_null(""),
            "msg": msg,
        }
    )
    rej = rej.group_by("line").aggregate(col=rej.column_name.argmin(first), msg=msg.argmin(first))
    malformed = [
        (int(r["line"]), r["col"], r["msg"])
        for r in con.to_pyarrow(rej.order_by("line")).to_pylist()
    ]
    for table in (f"{name}_rejects", f"{name}_scans"):
        con.drop_table(table, force=True)
    src = _with_rowid(con, name, 2)
    if not malformed:
        return src, []
    # row i (0-based) of what was read is line i + 2 + (malformed lines before it): with
    # c_j = b_j - 2 - j for the j-th malformed line b_j, that is i + 2 + #{j: c_j <= i}
    cuts = [line - 2 - j for j, (line, _, _) in enumerate(malformed)]
    i = src._row - 2
    if len(cuts) <= _INLINE_LINES:
        shift = sum(((i >= c).cast("int64") for c in cuts), ibis.literal(0, "int64"))
        return src.mutate(_row=src._row + shift), malformed
    n = int(src.count().execute())
    bad = np.array([m[0] for m in malformed], dtype=np.int64)
    lines = np.setdiff1d(np.arange(2, 2 + n + len(bad), dtype=np.int64), bad)[:n]
    lookup = ibis.memtable(pa.table({"_i": np.arange(n, dtype=np.int64), "_line": lines}))
    j = src.mutate(_i=i).join(lookup, "_i")
    return j.select(_row=j._line, **{c: j[c] for c in present}), malformed


# ---- 2 + 3. identity, typing, checks --------------------------------------------------------
def parse(con, facts: FileFacts, adapter: Adapter, mapping: Mapping, opts: ParseOptions) -> Parsed:
    """Read, pseudonymise, type and check one file; see the module docstring."""
    name = f"raw_{opts.load_id}"
    src, malformed = read_raw(con, facts, adapter, name, opts.folder)
    nulls = (*adapter.null_values, *mapping.null_values)
    text = {c.name: blank(src[c.name], nulls) for c in adapter.columns if c.name in src.columns}
    values: dict[str, ibis.Value] = {}
    kinds: dict[str, str] = {}
    for c in adapter.identifiers:
        if c.name not in text:
            continue
        kinds[c.kind] = c.name
        if c.kind == "dob":
            values["dob"] = parse_date(text[c.name], mapping.date_formats.get(c.name, c.formats))
            values["dob_raw"] = text[c.name]
        else:
            values[c.kind] = text[c.name]
    spec = identity.Spec(kinds, opts.source, adapter.token_namespace, opts.content_hash, MIN_DATE)
    ident = identity.identify(con, src, values, spec, opts.hasher, opts.optouts)
    j = ident.table
    # the same text expressions over the joined table (the identity step adds columns only)
    text = {c.name: blank(j[c.name], nulls) for c in adapter.columns if c.name in j.columns}
    checked: dict[str, Checked] = {}
    for c in adapter.columns:
        if c.is_identifier:
            continue
        if c.name not in j.columns and not c.required:
            checked[c.name] = absent(c)
            continue
        value = text.get(c.name, ibis.null("string"))
        raw = j[c.name] if c.name in j.columns else ibis.null("string")
        checked[c.name] = check_column(c, value, raw, adapter, mapping, opts.bounds)
    # layer 1: per-row values computed once (blanked text, parsed dates, numbers, codes)
    pre: dict[str, ibis.Value] = {"_row": j._row, **ident.columns}
    for raw_name, err in ident.errors.items():
        pre[f"__e_{raw_name}"] = err.reason
    for c in checked.values():
        pre.update(c.pre)
        if c.error is not None:
            pre[f"__t_{c.name}"] = c.raw
    p = j.select(**pre)
    # layer 2: typed values and error codes from layer 1
    typed: dict[str, ibis.Value] = {}
    errors: dict[str, ibis.Value] = {}
    for c in checked.values():
        typed[c.name] = c.typed(p)
        if c.error is not None:
            errors[c.name] = c.error(p)
    layer2 = {n: p[n] for n in ("_row", *identity.OUTPUT_TYPES)}
    layer2.update(typed)
    for raw_name in ident.errors:
        layer2[f"__e_{raw_name}"] = p[f"__e_{raw_name}"]
    for col, err in errors.items():
        layer2[f"__e_{col}"] = err
        layer2[f"__t_{col}"] = p[f"__t_{col}"]
    t = p.select(**layer2)
    # the raw text is kept only where a check failed (for the reject's message)
    t = t.select(
        *[c for c in t.columns if not c.startswith("__t_")],
        **{
            f"__r_{col}": ibis.ifelse(t[f"__e_{col}"].notnull(), t[f"__t_{col}"], None)
            for col in errors
        },
    )
    # layer 3: row rules, and what is quarantined before duplicates are known
    rules = {
        f"_rule_{i}": rule.condition(t).fill_null(False) for i, rule in enumerate(adapter.rules)
    }
    t = t.mutate(**rules)
    hard = [t[r] for r in rules]
    bad = [t[r] for r in rules]
    for col in errors:
        e = t[f"__e_{col}"]
        hard.append(e.notnull() if checked[col].required else e.isin(QUARANTINE_ALWAYS))
        bad.append(e.notnull())
    for raw_name in ident.errors:
        e = t[f"__e_{raw_name}"]
        hard.append(e.isin(QUARANTINE_ALWAYS))
        bad.append(e.notnull())
    t = t.mutate(
        **{
            _HARD: ibis.or_(*[h.fill_null(False) for h in hard]) if hard else False,
            _BAD: ibis.or_(*bad) if bad else False,
        }
    )
    path = opts.folder / f"{opts.load_id}.parsed.parquet"
    con.to_parquet(t, str(path), compression="lz4")  # a temporary file: cheap to write
    if facts.kind != "parquet":
        con.drop_table(name, force=True)  # the text is not needed any more

    parsed = con.read_parquet(str(path), table_name=f"{name}_parsed")
    keys, label = _record_key(adapter, facts)
    dups = _duplicates(con, parsed, keys)
    # the record key of every row still to load, and rows an earlier extract already holds
    rk = parsed.mutate(_rk=_record_hash(parsed, keys))
    if dups is not None:
        rk = rk.anti_join(ibis.memtable(dups.select(["_row"])), "_row")
    rk = rk.filter(~rk._optout & ~rk[_HARD])
    if "person_id" in keys:  # a row identified by nothing but itself is no one's record
        rk = rk.filter(rk.person_id.notnull())
    record_keys = con.to_pyarrow(rk.select("_row", "_rk", "person_id"))
    earlier = opts.prior(record_keys, label) if opts.prior is not None else None
    if earlier is not None and earlier.num_rows:
        record_keys = record_keys.filter(
            pc.invert(pc.is_in(record_keys["_row"], value_set=earlier["_row"]))
        )
        found = earlier.select(["_row"]).append_column(
            "_dup_of", pa.nulls(earlier.num_rows, pa.int64())
        )
        dups = found if dups is None else pa.concat_tables([dups, found])
    else:
        earlier = None
    marked = parsed
    if dups is not None:
        marked = parsed.left_join(ibis.memtable(dups), "_row")
        marked = marked.select(*parsed.columns, _dup_of=marked._dup_of)
    else:
        marked = parsed.mutate(_dup_of=ibis.null("int64"))
    if earlier is not None:
        marked = marked.left_join(ibis.memtable(earlier), "_row")
        marked = marked.select(*parsed.columns, "_dup_of", _dup_load=marked._dup_load)
    else:
        marked = marked.mutate(_dup_load=ibis.null("string"))
    marked = marked.mutate(
        _quarantined=~marked._optout
        & (marked[_HARD] | marked._dup_of.notnull() | marked._dup_load.notnull())
    )
    rejects = _rejects(con, marked, checked, ident, adapter, keys, label, malformed, name)
    counts = _counts(con, marked, adapter, opts, len(malformed), rejects)
    good = marked.filter(~marked._optout & ~marked._quarantined)
    fixes, counts["rows_person_shared"] = _identity_fixes(con, good, adapter.record_group, opts)
    stats = {"rows_late": counts.pop("rows_late"), **_stats(con, good, fixes)}
    columns = ("_row", *identity.OUTPUT_TYPES, *typed)
    con.drop_view(f"{name}_parsed", force=True)
    parsed_ = Parsed(path, rejects, counts, stats, fixes, dups, columns)
    parsed_.record_keys = record_keys.drop(["_row"])
    return parsed_


@ibis.udf.scalar.builtin(name="md5")
def _md5(value: str) -> str:
    """DuckDB's md5 (hex)."""


def _record_hash(t: ibis.Table, keys: list[str]) -> ibis.StringValue:
    """A row's record key as one value: MD5 of its key values (unit-separator joined, NULL as
    an empty marker), the same in every load of the format, so extracts can be compared."""
    parts = [t[k].cast("string").fill_null("\x1e") for k in keys]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "\x1f" + p
    return _md5(joined)


def _record_key(adapter: Adapter, facts: FileFacts) -> tuple[list[str], str]:
    keyed = adapter.record_key and all(
        k == "person_id" or k in facts.resolved for k in adapter.record_key
    )
    if keyed:
        return list(adapter.record_key), ", ".join(adapter.record_key)
    others = [c.name for c in adapter.columns if not c.is_identifier]
    return ["person_id", *others], "every column"


def _duplicates(con, t: ibis.Table, keys: list[str]) -> pa.Table | None:
    """Rows repeating an earlier row's record key (among rows not opted out): `_row` and
    `_dup_of`, the first row with that key. Rows identified only by themselves (`person_id`
    NULL here) are never duplicates."""
    k = {f"_k{i}": t[key] for i, key in enumerate(keys)}
    if "person_id" in keys:
        k[f"_k{keys.index('person_id')}"] = t.person_id.fill_null("row:" + t._row.cast("string"))
    rows = t.filter(~t._optout & k["_k0"].notnull()).select(_row=t._row, **k)
    groups_ = rows.group_by(list(k)).aggregate(_first=rows._row.min(), _n=rows.count())
    groups_ = groups_.filter(groups_._n > 1)
    j = rows.join(groups_, [rows[c].identical_to(groups_[c]) for c in k])
    found = con.to_pyarrow(
        j.filter(j._row != j._first).select(_row=j._row, _dup_of=j._first.cast("int64"))
    )
    return found if found.num_rows else None


def _rejects(
    con, t: ibis.Table, checked, ident, adapter: Adapter, keys, label, malformed, name
) -> pa.Table:
    """One row per problem found: row, column, reason, message, value (masked for identifiers)
    and whether the row was quarantined or the value corrected (blanked)."""
    bad = t.filter(~t._optout & (t[_BAD] | t._dup_of.notnull() | t._dup_load.notnull()))
    live = con.create_table(f"{name}_bad", bad, temp=True)  # few rows: scanned once per check
    parts = []
    # which checks found anything (one pass): only those get a part, so the union stays
    # small however many columns the format declares
    flags = {f"__e_{col}": live[f"__e_{col}"].notnull() for col, c in checked.items() if c.error}
    flags.update({f"__e_{r}": live[f"__e_{r}"].notnull() for r in ident.errors})
    flags.update({f"_rule_{i}": live[f"_rule_{i}"] for i in range(len(adapter.rules))})
    found_any = (
        con.to_pyarrow(live.aggregate(**{k: v.any() for k, v in flags.items()})).to_pylist()[0]
        if flags
        else {}
    )
    hit = {k for k, v in found_any.items() if v}

    def part(rows: ibis.Table, column, reason, message, value, act) -> None:
        parts.append(
            rows.select(
                row_number=rows._row,
                column=ibis.literal(column),
                reason=reason,
                message=message,
                value=value,
                action=act,
            )
        )

    for col, c in checked.items():
        if c.error is not None and f"__e_{col}" in hit:
            rows = live.filter(live[f"__e_{col}"].notnull())
            e, raw = rows[f"__e_{col}"], rows[f"__r_{col}"]
            act = ibis.ifelse(rows._quarantined, "quarantined", "corrected")
            part(rows, col, e, c.message(e, raw), raw.left(VALUE_CHARS), act)
    for raw_name, err in ident.errors.items():
        if f"__e_{raw_name}" not in hit:
            continue
        rows = live.filter(live[f"__e_{raw_name}"].notnull())
        act = ibis.ifelse(rows._quarantined, "quarantined", "corrected")
        msg = ibis.literal(err.message)
        part(rows, raw_name, rows[f"__e_{raw_name}"], msg, ibis.null("string"), act)
    for i, rule in enumerate(adapter.rules):
        if f"_rule_{i}" not in hit:
            continue
        rows = live.filter(live[f"_rule_{i}"])
        part(
            rows,
            rule.column,
            ibis.literal(rule.reason),
            ibis.literal(rule.message),
            ibis.null("string"),
            ibis.literal("quarantined"),
        )
    rows = live.filter(live._dup_of.notnull())
    part(
        rows,
        keys[0] if label != "every column" else "",
        ibis.literal("duplicate"),
        "duplicate of row " + rows._dup_of.cast("string") + f" (same {label})",
        ibis.null("string"),
        ibis.literal("quarantined"),
    )
    rows = live.filter(live._dup_load.notnull())
    part(
        rows,
        keys[0] if label != "every column" else "",
        ibis.literal("duplicate"),
        f"the same record (same {label}) is already loaded from " + rows._dup_load,
        ibis.null("string"),
        ibis.literal("quarantined"),
    )
    found = con.to_pyarrow(ibis.union(*parts, distinct=False).order_by(["row_number", "column"]))
    con.drop_table(f"{name}_bad", force=True)
    if malformed:
        extra = pa.table(
            {
                "row_number": pa.array([m[0] for m in malformed], pa.int64()),
                "column": pa.array([m[1] or "" for m in malformed], pa.string()),
                "reason": pa.array(["malformed_row"] * len(malformed), pa.string()),
                "message": pa.array(
                    [f"row could not be read ({m[2]})"[:300] for m in malformed], pa.string()
                ),
                "value": pa.nulls(len(malformed), pa.string()),
                "action": pa.array(["quarantined"] * len(malformed), pa.string()),
            }
        )
        found = pa.concat_tables([found.cast(extra.schema), extra]).sort_by(
            [("row_number", "ascending"), ("column", "ascending")]
        )
    return found


def _counts(con, t: ibis.Table, adapter: Adapter, opts: ParseOptions, malformed: int, rejects):
    live = ~t._optout
    state = t._nhs_state.fill_null("missing")
    good = live & ~t._quarantined
    late = ibis.literal(False)
    if opts.late_before is not None and adapter.date_column in t.columns:
        late = t[adapter.date_column] < opts.late_before
    agg = t.aggregate(
        rows=t.count(),
        rows_opted_out=t.count(where=t._optout),
        nhs_number_present=t.count(where=live & state.isin(["valid", "invalid"])),
        nhs_number_valid=t.count(where=live & (state == "valid")),
        nhs_number_invalid=t.count(where=live & (state == "invalid")),
        nhs_number_missing=t.count(where=live & (state == "missing")),
        pseudonym_supplied=t.count(where=live & (t._id_kind == "pseudonym")),
        token_linked=t.count(where=live & (t._id_kind == "token")),
        rows_loaded=t.count(where=good),
        rows_quarantined=t.count(where=t._quarantined),
        rows_duplicate=t.count(
            where=t._quarantined & (t._dup_of.notnull() | t._dup_load.notnull())
        ),
        rows_late=t.count(where=good & late),
    )
    row = con.to_pyarrow(agg).to_pylist()[0]
    action, reason = rejects["action"], rejects["reason"]
    excluded = rejects.filter(
        pc.and_(pc.equal(action, "quarantined"), pc.equal(reason, "excluded"))
    )
    corrected = rejects.filter(pc.equal(action, "corrected"))
    counts = {k: int(v or 0) for k, v in row.items()}
    return {
        "rows_opted_out": counts["rows_opted_out"],
        "nhs_number_present": counts["nhs_number_present"],
        "nhs_number_valid": counts["nhs_number_valid"],
        "nhs_number_invalid": counts["nhs_number_invalid"],
        "nhs_number_missing": counts["nhs_number_missing"],
        "pseudonym_supplied": counts["pseudonym_supplied"],
        "token_linked": counts["token_linked"],
        "rows_read": counts["rows"] + malformed,
        "rows_loaded": counts["rows_loaded"],
        "rows_quarantined": counts["rows_quarantined"] + malformed,
        "rows_duplicate": counts["rows_duplicate"],
        "rows_excluded": len(set(excluded["row_number"].to_pylist())),
        "rows_corrected": len(set(corrected["row_number"].to_pylist())),
        "rows_late": counts["rows_late"],
    }


def _identity_fixes(con, good: ibis.Table, keys, opts: ParseOptions) -> tuple[pa.Table, int]:
    """Rows whose person is not their own identity step's: rows of a record group that take
    its best-identified row's person (`linkage.groups`), and rows identified by nothing but
    themselves (`row:<file hash>:<row>`). Returns (_row, _pid, _plinked, _pkind) and how many
    rows changed person by sharing."""
    moved: dict[int, tuple] = {}
    share = groups.shared(good, keys) if keys else None
    if share is not None:
        own = good.select(_r=good._row, _own=good.person_id)
        found = con.to_pyarrow(share.join(own, share._row == own._r).drop("_r"))
        for r in found.to_pylist():
            moved[r["_row"]] = (
                r["_id_row"],
                r["person_id"],
                r["_linked"],
                r["_id_kind"],
                r["_own"],
            )
    alone = con.to_pyarrow(good.filter(good.person_id.isnull()).select("_row"))["_row"]
    prefix = f"row:{opts.content_hash}:"
    hasher = opts.hasher
    rows, pids, linked, kinds, changed = [], [], [], [], 0
    for row in alone.to_pylist():
        if row not in moved:
            rows.append(row), pids.append(hasher.one(f"{prefix}{row}"))
            linked.append(False), kinds.append("row")
    for row, (id_row, pid, lk, kind, own) in moved.items():
        pid = pid if pid is not None else hasher.one(f"{prefix}{id_row}")
        own = own if own is not None else hasher.one(f"{prefix}{row}")
        changed += pid != own
        rows.append(row), pids.append(pid), linked.append(lk), kinds.append(kind)
    fixes = pa.table(
        {
            "_row": pa.array(rows, pa.int64()),
            "_pid": pa.array(pids, pa.string()),
            "_plinked": pa.array(linked, pa.bool_()),
            "_pkind": pa.array(kinds, pa.string()),
        }
    )
    return fixes, int(changed)


def _stats(con, good: ibis.Table, fixes: pa.Table) -> dict[str, int]:
    """Loaded rows not linked to the spine, and distinct people, after the fixes."""
    t = _apply_fixes(good, fixes)
    row = con.to_pyarrow(
        t.aggregate(rows_unlinked=t.count(where=~t._linked), persons=t.person_id.nunique())
    ).to_pylist()[0]
    return {k: int(v or 0) for k, v in row.items()}


def _apply_fixes(t: ibis.Table, fixes: pa.Table | None) -> ibis.Table:
    if fixes is None or not fixes.num_rows:
        return t
    f = ibis.memtable(fixes)
    j = t.left_join(f, "_row")
    replaced = {
        "person_id": ibis.coalesce(j._pid, j.person_id),
        "_linked": ibis.coalesce(j._plinked, j._linked),
        "_id_kind": ibis.coalesce(j._pkind, j._id_kind),
    }
    return j.select(*[replaced.get(c, j[c]).name(c) for c in t.columns])
