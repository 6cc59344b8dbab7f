"""Rows of one record share one person: a hospital spell's episodes are one patient's.

The identity step (`linkage.identity`) gives each row a person from that row's own
identifiers. A record that spans rows — a hospital provider spell of several consultant
episodes — can then be split across people when one episode's NHS number is missing or fails
its check digit: that episode becomes its own unlinked person (`row:<file>:<row>`), its own
spell, and is priced again. An adapter declares the keys that tie its rows to one record
(`Adapter.record_group`: alternatives in order of preference, e.g. provider + hospital
provider spell number, then provider + SUS spell id); every row of a group takes the person
of its best-identified row: a supplied pseudonym or valid NHS number first, then a source
token, a local id, and only then the row itself (ties to the earliest row of the file).

Runs on the private scratch DuckDB of the ingest (the rows are pseudonymised already), over
the typed rows as Arrow, before the adapter builds canonical tables; the keys never depend on
the validity of an identifier.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

#: Strength of a row's own identity (smaller is better): `_id_kind` from the identity step.
KIND_ORDER = {"pseudonym": 0, "nhs_number": 0, "token": 1, "local": 2, "row": 3}
_VIEW = "_yoc_group_rows"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _group_key(keys: Sequence[Sequence[str]], present: set[str]) -> str | None:
    """SQL for a row's record key: the first alternative whose columns are all non-blank."""
    whens = []
    for i, cols in enumerate(keys):
        if not cols or not all(c in present for c in cols):
            continue
        ok = " AND ".join(f"{_q(c)} IS NOT NULL" for c in cols)
        value = " || chr(31) || ".join(f"CAST({_q(c)} AS VARCHAR)" for c in cols)
        whens.append(f"WHEN {ok} THEN '{i}' || chr(31) || {value}")
    return f"CASE {' '.join(whens)} END" if whens else None


def share_person(
    con: duckdb.DuckDBPyConnection, rows: pa.Table, keys: Sequence[Sequence[str]]
) -> tuple[pa.Table, int]:
    """`rows` with person_id, `_linked` and `_id_kind` shared within each record group.

    Returns the rows (same order, same columns) and how many rows changed person. Rows with no
    complete key keep their own person.
    """
    needed = {"person_id", "_linked", "_id_kind", "_row"}
    if not keys or rows.num_rows == 0 or not needed <= set(rows.column_names):
        return rows, 0
    key = _group_key(keys, set(rows.column_names))
    if key is None:
        return rows, 0
    rank = "CASE _id_kind " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in KIND_ORDER.items())
    rank += " ELSE 9 END"
    window = f"PARTITION BY _g ORDER BY {rank}, _row"
    con.register(_VIEW, rows)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _yoc_grouped AS
            SELECT * REPLACE (
                CASE WHEN _g IS NULL THEN person_id
                     ELSE first_value(person_id) OVER ({window}) END AS person_id,
                CASE WHEN _g IS NULL THEN _linked
                     ELSE first_value(_linked) OVER ({window}) END AS _linked,
                CASE WHEN _g IS NULL THEN _id_kind
                     ELSE first_value(_id_kind) OVER ({window}) END AS _id_kind),
                person_id AS _own_person
            FROM (SELECT *, {key} AS _g FROM {_VIEW})"""
        )
        changed = con.execute(
            "SELECT count(*) FROM _yoc_grouped WHERE person_id <> _own_person"
        ).fetchone()[0]
        cols = ", ".join(_q(c) for c in rows.column_names)
        out = con.execute(f"SELECT {cols} FROM _yoc_grouped ORDER BY _row").to_arrow_table()
    finally:
        con.unregister(_VIEW)
        con.execute("DROP TABLE IF EXISTS _yoc_grouped")
    return out.cast(rows.schema), int(changed)
