"""National data opt-outs: NHS numbers whose records are removed before anything is stored.

The list is a text file with one NHS number per line (spaces and hyphens allowed; a header line
such as `nhs_number` and blank lines are ignored). It is read into the private scratch DuckDB of
an ingest, together with the pseudonyms of its numbers (so files that arrive already
pseudonymised with our key are filtered too). Rows that match are dropped before typing and
counted (`ingest_load.rows_opted_out`, run log); they are never quarantined or stored.

`apply_to_store` applies a new list to what is already stored, for opt-outs registered after
a load ("opt-outs honoured at any time").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis

from yearofcare.errors import InputError
from yearofcare.linkage import identity as idsql

TABLE = "_yoc_optout"


@dataclass(frozen=True)
class OptOuts:
    """The opt-out list as loaded into a scratch connection."""

    table: str
    numbers: int
    invalid_lines: int


def load_optouts(con: duckdb.DuckDBPyConnection, path: Path) -> OptOuts:
    """Read the list into temp table `_yoc_optout(nhs, pseudonym)` of the scratch `con`.

    The linkage key must already be installed on `con` (identity.install_key).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"opt-out file {path} not found", hint="check the --optouts path")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(
            f"opt-out file {path.name}, row {line}: not valid UTF-8 text",
            hint="the list should be plain text, one NHS number per line",
        ) from None
    lines = [ln.strip() for ln in text.splitlines()]
    entries = [ln for ln in lines if ln and any(ch.isdigit() for ch in ln)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TABLE}_raw (v VARCHAR)")
    if entries:
        con.executemany(f"INSERT INTO {TABLE}_raw VALUES (?)", [(e,) for e in entries])
    n = idsql.normalised_nhs_sql("v")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {TABLE} AS
            SELECT DISTINCT {n} AS nhs, {idsql.hmac_sql(n)} AS pseudonym
            FROM {TABLE}_raw WHERE {idsql.nhs_valid_sql(n)}"""
    )
    numbers = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    invalid = con.execute(
        f"SELECT count(*) FROM {TABLE}_raw WHERE NOT {idsql.nhs_valid_sql(n)}"
    ).fetchone()[0]
    con.execute(f"DROP TABLE {TABLE}_raw")
    return OptOuts(TABLE, int(numbers), int(invalid))


def pseudonyms(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The opt-out list's pseudonyms (safe to hold: keyed one-way hashes)."""
    return [r[0] for r in con.execute(f"SELECT pseudonym FROM {TABLE}").fetchall()]


def apply_to_store(store, path: Path, key_file: Path) -> dict[str, int]:
    """Remove every stored row about the people on the list; returns rows removed per table.

    Covers every table with a `person_id` column (canonical, bookkeeping and derived), so
    derived outputs do not keep an opted-out person until they are next rebuilt.
    """
    from yearofcare.linkage.pseudonym import load_key

    key = load_key(key_file, store_dir=store.engine.data_dir)
    con = duckdb.connect(":memory:")
    try:
        idsql.install_key(con, key)
        listed = load_optouts(con, path)
        opted_out = pseudonyms(con)
    finally:
        con.close()
    params = {"listed": listed.numbers, "invalid_lines": listed.invalid_lines}
    removed: dict[str, int] = {}
    with store.stage("optout", params) as run:
        for name in store.tables():
            if name == "run_log":
                continue
            t = store.table(name)
            cols = [c for c in ("person_id", "unlinked_person_id") if c in t.columns]
            if not cols or not opted_out:
                continue
            cond = ibis.and_(*[t[c].isnull() | ~t[c].isin(opted_out) for c in cols])
            before = int(t.count().execute())
            after = run.write(name, t.filter(cond), conform=False)
            removed[name] = before - after
        run.parameters["removed"] = removed
    return removed
