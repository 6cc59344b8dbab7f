"""How an ingest's new rows join what is stored: append, or replace a superseded load exactly.

Rows trace to their load in one of two ways:
- `activity`, `coded_event`, `assessment`, `survey_response` and `billed_line` carry ids
  prefixed by the load id (`l0a1b2c3d4e5-<record key>`), so a superseded load's rows are
  removed by prefix;
- `person`, `registration` and `practice` have no such id: each load's rows are kept in a
  shadow table (`ingest_person`, `ingest_registration`, `ingest_practice`) with its load_id,
  and the canonical table is rebuilt from the shadow.

Each load's rows are first written as Parquet *parts* in a private temporary directory (they
hold pseudonyms only), so one ingest of many files — a whole plan — reads each file once, keeps
one file in memory at a time, and rewrites each stored table once at the end (`Parts.finish`),
inside the one stage that makes the whole ingest atomic.
"""

from __future__ import annotations

import json
from pathlib import Path

import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import pyarrow.parquet as pq

from yearofcare import schemas
from yearofcare.linkage import spine

ID_TABLES: dict[str, str] = {
    "activity": "activity_id",
    "coded_event": "activity_id",
    "assessment": "assessment_id",
    "survey_response": "response_id",
    "billed_line": "line_id",
}
SHADOWED: dict[str, list[str]] = {
    "registration": ["person_id", "practice_code", "start_date"],
    "practice": ["practice_code"],
}
LINK_COLUMNS = {
    "_dob_hash": "dob_hash",
    "_dob_md_hash": "dob_md_hash",
    "_pc_hash": "postcode_hash",
    "_sector_hash": "sector_hash",
    "_district_hash": "district_hash",
}
#: Length of a load id, the prefix of the row ids above.
PREFIX = 12


def _without(t: ibis.Table, col: str, superseded: list[str]) -> ibis.Table:
    if not superseded:
        return t
    if col == "load_id":
        return t.filter(~t.load_id.isin(superseded))
    return t.filter(t[col].isnull() | ~t[col].substr(0, PREFIX).isin(superseded))


def _union(parts: list[ibis.Table]) -> ibis.Table:
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def _rows(path: Path) -> int:
    if path.is_dir():  # Spark writes a directory of part files
        return sum(pq.read_metadata(f).num_rows for f in path.glob("*.parquet"))
    return pq.read_metadata(path).num_rows


class Parts:
    """Each load's rows per table, as Parquet files under `root`, with their row counts."""

    def __init__(self, store, root: Path) -> None:
        self.store = store
        self.root = Path(root)
        self.counts: dict[str, dict[str, int]] = {}
        self.tables: set[str] = set()

    def _path(self, table: str, load_id: str) -> Path:
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{load_id}.parquet"

    def _record(self, table: str, load_id: str, path: Path) -> None:
        n = _rows(path)
        if n:
            self.counts.setdefault(load_id, {})[table.removeprefix("ingest_")] = n
        self.tables.add(table)

    def add(self, table: str, load_id: str, expr: ibis.Table) -> None:
        """Execute `expr` (conformed to `table`) into this load's part of `table`.

        Every column is cast explicitly, even when Ibis thinks it has the type already: an
        untyped literal such as `1.0` is a DECIMAL to DuckDB and Spark, and every part of a
        table must have the same physical types.
        """
        declared = schemas.get(table)
        expr = declared.conform(expr, source=table)
        expr = expr.select(
            **{c.name: ops.Cast(expr[c.name], to=c.dtype).to_expr() for c in declared.columns}
        )
        path = self._path(table, load_id)
        self.store.con.to_parquet(expr, str(path))
        self._record(table, load_id, path)

    def add_arrow(self, table: str, load_id: str, arrow: pa.Table) -> None:
        path = self._path(table, load_id)
        pq.write_table(arrow, path)
        self._record(table, load_id, path)

    def read(self, table: str, load_id: str | None = None) -> ibis.Table | None:
        if table not in self.tables:
            return None
        pattern = f"{load_id}.parquet" if load_id else "*.parquet"
        t = self.store.con.read_parquet(str(self.root / table / pattern))
        return schemas.get(table).conform(t, source=table)

    # ---- one load ---------------------------------------------------------------------------
    def add_load(self, load_id: str, adapter, built: dict, parsed, file_name: str) -> None:
        """Write every table one load feeds (canonical rows, shadows, people, keys, rejects)."""
        rej = parsed.rejects
        if rej.num_rows:
            n = rej.num_rows
            rej = (
                rej.append_column("load_id", pa.array([load_id] * n, pa.string()))
                .append_column("source", pa.array([adapter.name] * n, pa.string()))
                .append_column("file_name", pa.array([file_name] * n, pa.string()))
            )
            declared = schemas.get("ingest_reject").ibis_schema().to_pyarrow()
            self.add_arrow("ingest_reject", load_id, rej.select(declared.names).cast(declared))
        for name in ID_TABLES:
            if name in built:
                self.add(name, load_id, built[name])
        for name in SHADOWED:
            if name in built:
                self.add(
                    f"ingest_{name}", load_id, built[name].mutate(load_id=ibis.literal(load_id))
                )
        if "person" in built:
            obs = spine.observations(built["person"], load_id, adapter.name, adapter.person_rank)
            self.add("ingest_person", load_id, obs)
        if any(c.kind in ("dob", "postcode") for c in adapter.identifiers) and parsed.good.num_rows:
            self.add("link_key", load_id, self._link_keys(load_id, parsed.good))

    def _link_keys(self, load_id: str, good: pa.Table) -> ibis.Table:
        cols = ["person_id", "_linked", "_dob_year", "_dob_month", *LINK_COLUMNS]
        t = ibis.memtable(good.select(cols))
        t = t.filter(ibis.or_(*[t[c].notnull() for c in LINK_COLUMNS])).distinct()
        obs = self.read("ingest_person", load_id)
        if obs is None:
            sex = t.mutate(_sex=ibis.null("string"))
        else:
            sex = t.left_join(obs.select("person_id", _sex=obs.sex), "person_id")
        return sex.select(
            load_id=ibis.literal(load_id),
            person_id=sex.person_id,
            linked=sex._linked,
            sex=sex._sex,
            birth_year=sex._dob_year,
            birth_month=sex._dob_month,
            **{new: sex[raw] for raw, new in LINK_COLUMNS.items()},
        )

    # ---- the end of the ingest ----------------------------------------------------------------
    def finish(self, run, superseded: list[str], load_rows: list[dict]) -> None:
        """Rewrite each touched table once: stored rows (less superseded loads) plus parts."""
        present = set(self.store.tables())

        def combined(name: str, col: str) -> ibis.Table | None:
            new = self.read(name)
            old = self.store.table(name) if name in present else None
            if new is None and (old is None or not superseded):
                return None
            declared = schemas.get(name)
            base = [declared.conform(_without(old, col, superseded))] if old is not None else []
            return _union(base + ([new] if new is not None else []))

        for name, col in ID_TABLES.items():
            expr = combined(name, col)
            if expr is not None:
                run.write(name, expr)
        rejects = self.read("ingest_reject")
        if rejects is not None:
            old = [self.store.table("ingest_reject")] if "ingest_reject" in present else []
            run.write("ingest_reject", _union([*old, rejects]))
        people = combined("ingest_person", "load_id")
        if people is not None:
            run.write("ingest_person", people)
            run.write("person", spine.build_person(run.staged("ingest_person")))
        loads = _load_times(self.store, present, load_rows)
        for name, key in SHADOWED.items():
            shadow = combined(f"ingest_{name}", "load_id")
            if shadow is not None:
                run.write(f"ingest_{name}", shadow)
                current = spine.latest_per_key(run.staged(f"ingest_{name}"), key, loads)
                run.write(name, current.select(*schemas.get(name).names))
        keys = combined("link_key", "load_id")
        if keys is not None:
            run.write("link_key", keys)
        for r in load_rows:
            r["output_rows"] = json.dumps(self.counts.get(r["load_id"], {}), sort_keys=True)
        _write_loads(self.store, present, run, load_rows, superseded)


def _load_times(store, present: set[str], load_rows: list[dict]) -> ibis.Table:
    new = ibis.memtable(
        pa.table(
            {
                "load_id": pa.array([r["load_id"] for r in load_rows], pa.string()),
                "loaded_at": pa.array([r["loaded_at"] for r in load_rows], pa.timestamp("us")),
            }
        )
    )
    new = new.select("load_id", loaded_at=new.loaded_at.cast("timestamp"))
    if "ingest_load" not in present:
        return new
    old = store.table("ingest_load")
    old = old.select("load_id", loaded_at=old.loaded_at.cast("timestamp"))
    return ibis.union(old, new, distinct=False)


def _write_loads(store, present: set[str], run, load_rows: list[dict], superseded) -> None:
    schema = schemas.get("ingest_load")
    new = ibis.memtable(pa.Table.from_pylist(load_rows, schema=schema.ibis_schema().to_pyarrow()))
    if "ingest_load" not in present:
        run.write("ingest_load", new)
        return
    old = store.table("ingest_load")
    if superseded:
        by = {r["replaces"]: r["load_id"] for r in load_rows if r["replaces"]}
        superseded_by = ibis.cases(
            *[(old.load_id == s, n) for s, n in by.items()], else_=old.superseded_by
        )
        old = old.mutate(
            status=ibis.ifelse(old.load_id.isin(superseded), "superseded", old.status),
            superseded_by=superseded_by,
        )
    run.write("ingest_load", _union([schema.conform(old), schema.conform(new)]))
