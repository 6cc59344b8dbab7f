"""How an ingest's new rows join what is stored: append, or replace a superseded load exactly.

Rows trace to their load in one of two ways:
- `activity`, `coded_event`, `assessment`, `survey_response`, `billed_line` and `delayed_discharge` carry ids
  prefixed by the load id (`l0a1b2c3d4e5-<record key>`), so a superseded load's rows are
  removed by prefix;
- `person`, `registration` and `practice` have no such id: each load's rows are kept in a
  shadow table (`ingest_person`, `ingest_registration`, `ingest_practice`) with its load_id,
  and the canonical table is rebuilt from the shadow.

Each load's rows are appended through the stage (`StageRun.append`: Parquet in the run's
scratch folder, holding pseudonyms only, inserted at commit), so one ingest of many files — a
whole plan — reads each file once, keeps one file in memory at a time and never rewrites the
rows already stored. Only a superseded load makes its tables be rewritten without its rows.
`person` and the current `registration` and `practice` are rebuilt from their shadows once,
at the end (`Parts.finish`), inside the one stage that makes the whole ingest atomic.
"""

from __future__ import annotations

import json

import ibis
import pyarrow as pa

from yearofcare import schemas
from yearofcare.linkage import spine

ID_TABLES: dict[str, str] = {
    "activity": "activity_id",
    "coded_event": "activity_id",
    "assessment": "assessment_id",
    "survey_response": "response_id",
    "billed_line": "line_id",
    "delayed_discharge": "record_id",
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


class Parts:
    """Each load's rows per table, appended through the stage, with their row counts."""

    def __init__(self, run, present: set[str]) -> None:
        self.run = run
        self.present = present  # the tables stored before this ingest
        self.counts: dict[str, dict[str, int]] = {}
        self.tables: set[str] = set()

    def add(self, table: str, load_id: str, obj: ibis.Table | pa.Table) -> None:
        """Append this load's rows of `table` (conformed exactly to its declared schema)."""
        n = self.run.append(table, obj)
        if n:
            self.counts.setdefault(load_id, {})[table.removeprefix("ingest_")] = n
        self.tables.add(table)

    # ---- one load ---------------------------------------------------------------------------
    def add_load(self, load_id: str, adapter, built: dict, parsed, good, file_name: str) -> None:
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
            self.add("ingest_reject", load_id, rej.select(declared.names).cast(declared))
        for name in ID_TABLES:
            if name in built:
                self.add(name, load_id, built[name])
        for name in SHADOWED:
            if name in built:
                self.add(
                    f"ingest_{name}", load_id, built[name].mutate(load_id=ibis.literal(load_id))
                )
        obs = None
        if "person" in built:
            obs = spine.observations(built["person"], load_id, adapter.name, adapter.person_rank)
            self.add("ingest_person", load_id, obs)
            staged = self.run.staged("ingest_person")
            obs = staged.filter(staged.load_id == load_id)
        keys = parsed.record_keys
        if keys is not None and keys.num_rows:
            n = keys.num_rows
            self.add(
                "ingest_record",
                load_id,
                pa.table(
                    {
                        "load_id": pa.array([load_id] * n, pa.string()),
                        "source": pa.array([adapter.name] * n, pa.string()),
                        "record_key": keys["_rk"],
                        "person_id": keys["person_id"],
                    }
                ),
            )
        if any(c.kind in ("dob", "postcode") for c in adapter.identifiers) and good is not None:
            self.add("link_key", load_id, self._link_keys(load_id, good, obs))

    def _link_keys(self, load_id: str, good: ibis.Table, obs: ibis.Table | None) -> ibis.Table:
        t = good.select("person_id", "_linked", "_dob_year", "_dob_month", *LINK_COLUMNS)
        t = t.filter(ibis.or_(*[t[c].notnull() for c in LINK_COLUMNS])).distinct()
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
    def finish(self, store, superseded: list[str], load_rows: list[dict]) -> None:
        """Remove superseded loads' rows, rebuild person and the current registrations and
        practices from their shadows, and record the loads."""
        run = self.run
        present = self.present
        changed: set[str] = set(self.tables)
        keyed = {**ID_TABLES, **{f"ingest_{n}": "load_id" for n in ("person", *SHADOWED)}}
        for name, col in {**keyed, "link_key": "load_id", "ingest_record": "load_id"}.items():
            if superseded and name in present:
                run.write(name, _without(run.staged(name), col, superseded))
                changed.add(name)
        if "ingest_person" in changed:
            run.write("person", spine.build_person(run.staged("ingest_person")))
        loads = _load_times(store, present, load_rows)
        for name, key in SHADOWED.items():
            if f"ingest_{name}" in changed:
                current = spine.latest_per_key(run.staged(f"ingest_{name}"), key, loads)
                run.write(name, current.select(*schemas.get(name).names))
        for r in load_rows:
            r["output_rows"] = json.dumps(self.counts.get(r["load_id"], {}), sort_keys=True)
        _write_loads(store, present, run, load_rows, superseded)


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
    if "ingest_load" not in present or not superseded:
        run.append("ingest_load", new)
        return
    old = store.table("ingest_load")
    by = {r["replaces"]: r["load_id"] for r in load_rows if r["replaces"]}
    superseded_by = (
        ibis.cases(*[(old.load_id == s, n) for s, n in by.items()], else_=old.superseded_by)
        if by
        else old.superseded_by
    )
    old = old.mutate(
        status=ibis.ifelse(old.load_id.isin(superseded), "superseded", old.status),
        superseded_by=superseded_by,
    )
    run.write("ingest_load", ibis.union(schema.conform(old), schema.conform(new), distinct=False))
