"""The engine's limit for ingest work: one hand-written DuckDB statement per file (benchmark only).

For each file of an ingest plan, one `CREATE TABLE … AS SELECT` into a fresh persistent DuckDB
file does the essential work of `yoc ingest` for that file and nothing else: read the CSV,
type every contract column (dates, numbers, code systems checked, code maps applied, text
trimmed), pseudonymise the NHS number (keyed HMAC in SQL, once per distinct number, joined
back) and store the typed rows. It has no quarantine, rejects, duplicates, row rules, spells,
coded events, person spine or bookkeeping, so it is a lower bound on the time of the real
ingest of the same files, measured in the same process as the ingest.

The SQL is written here as text on purpose: it is the hand-written reference the ingest is
compared with, not code the toolkit runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from yearofcare import codes, sources
from yearofcare.sources.base import Adapter
from yearofcare.sources.canonical import table_for
from yearofcare.sources.mapping import Mapping
from yearofcare.sources.preflight import inspect_file


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed(adapter: Adapter, resolved: dict[str, str]) -> tuple[list[str], str | None]:
    """SELECT items typing each contract column; the NHS number column's name (for the join)."""
    items, nhs = [], None
    for c in adapter.columns:
        if c.name not in resolved:
            continue
        v = f"nullif(trim({_q(resolved[c.name])}), '')"
        if c.kind == "nhs_number":
            nhs = resolved[c.name]
            continue
        if c.is_identifier:
            continue
        if c.kind == "date":
            fmts = [
                f"try_cast({v} AS DATE)"
                if f == "%Y-%m-%d"
                else f"try_strptime({v}, {_lit(f)})::DATE"
                for f in c.formats
            ]
            expr = fmts[0] if len(fmts) == 1 else f"coalesce({', '.join(fmts)})"
        elif c.kind in ("int", "float"):
            expr = f"try_cast({v} AS {'BIGINT' if c.kind == 'int' else 'DOUBLE'})"
        elif c.kind in codes.BY_KIND:
            s = codes.BY_KIND[c.kind]
            expr = f"CASE WHEN regexp_full_match({v}, {_lit(s.pattern)}) THEN {v} END"
        elif c.kind == "code" and adapter.code_maps.get(c.name):
            cases = " ".join(
                f"WHEN {_lit(k.upper())} THEN {_lit(val)}"
                for k, val in adapter.code_maps[c.name].items()
            )
            expr = f"CASE upper({v}) {cases} END"
        else:
            expr = v
        items.append(f"{expr} AS {_q(c.name)}")
    return items, nhs


def run(files: list[tuple[str, Path]], store: Path, key: bytes, threads: int) -> tuple[int, float]:
    """Type and store every file with one statement each; returns (rows, seconds)."""
    con = duckdb.connect(str(store))
    con.execute(f"SET threads = {int(threads)}")
    k = key.ljust(64, b"\0")
    con.execute("CREATE TEMP TABLE k (ipad BLOB, opad BLOB)")
    con.execute(
        "INSERT INTO k VALUES (?, ?)",
        [bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)],
    )
    hmac = (
        "left(sha256((SELECT opad FROM k) || unhex(sha256((SELECT ipad FROM k) || encode(n)))), 32)"
    )
    rows, t0 = 0, time.perf_counter()
    for i, (source, path) in enumerate(files):
        table = table_for(path.stem) if source == "canonical" else None
        adapter = sources.get(source, table)
        facts = inspect_file(path, adapter, Mapping())
        items, nhs = _typed(adapter, facts.resolved)
        read = (
            f"read_csv({_lit(str(path))}, header = true, delim = {_lit(facts.delimiter)}, "
            f"all_varchar = true, ignore_errors = true)"
        )
        if nhs:
            n = f"nullif(regexp_replace(trim({_q(nhs)}), '[\\s-]', '', 'g'), '')"
            sql = (
                f"CREATE TABLE t{i} AS WITH r AS (SELECT *, {n} AS _n FROM {read}), "
                f"m AS (SELECT n, {hmac} AS person_id FROM (SELECT DISTINCT _n AS n FROM r "
                f"WHERE _n IS NOT NULL)) SELECT m.person_id, {', '.join(items)} "
                f"FROM r LEFT JOIN m ON r._n = m.n"
            )
        else:
            sql = f"CREATE TABLE t{i} AS SELECT {', '.join(items)} FROM {read}"
        con.execute(sql)
        rows += con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t0
    con.close()
    return rows, seconds
