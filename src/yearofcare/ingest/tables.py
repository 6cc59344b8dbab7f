"""How an ingest's new rows join what is stored: append, or replace a superseded load exactly.

Rows trace to their load in one of two ways:
- `activity`, `coded_event`, `assessment` and `survey_response` carry ids prefixed by the
  load id (`l0a1b2c3d4e5-<record key>`), so a superseded load's rows are removed by prefix;
- `person`, `registration` and `practice` have no such id: each load's rows are kept in a
  shadow table (`ingest_person`, `ingest_registration`, `ingest_practice`) with its load_id,
  and the canonical table is rebuilt from the shadow after every ingest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import ibis
import pyarrow as pa

from yearofcare import schemas
from yearofcare.linkage import spine

ID_TABLES: dict[str, str] = {
    "activity": "activity_id",
    "coded_event": "activity_id",
    "assessment": "assessment_id",
    "survey_response": "response_id",
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
PREFIX = 12


@dataclass
class Write:
    """One ingest's writing context: the new loads, what they built, what they replace."""

    store: object
    run: object
    adapter: object
    todo: list
    parsed: dict
    built: dict
    superseded: list[str]
    present: set[str]

    def old(self, name: str) -> ibis.Table | None:
        """The stored table as it was when this ingest began, if there is one."""
        return self.store.table(name) if name in self.present else None

    def new_parts(self, name: str) -> list[tuple[str, ibis.Table]]:
        return [
            (p.load_id, self.built[p.load_id][name])
            for p in self.todo
            if name in self.built.get(p.load_id, {})
        ]

    def base(self, name: str, col: str) -> list[ibis.Table]:
        old = self.old(name)
        return [_without(old, col, self.superseded)] if old is not None else []

    def untouched(self, name: str, parts: list) -> bool:
        """No new rows and nothing to remove: leave the table as it is."""
        return not parts and (self.old(name) is None or not self.superseded)


def _without(t: ibis.Table, col: str, superseded: list[str]) -> ibis.Table:
    if not superseded:
        return t
    if col == "load_id":
        return t.filter(~t.load_id.isin(superseded))
    return t.filter(t[col].isnull() | ~t[col].substr(0, PREFIX).isin(superseded))


def _union(parts: list[ibis.Table]) -> ibis.Table:
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def write_all(
    store, run, adapter, todo, parsed, built, superseded, load_rows
) -> dict[str, dict[str, int]]:
    """Write every table the new loads touch, in the stage `run` (committed together).

    `ingest_load` is written last, with the rows each load contributed to each table.
    """
    w = Write(store, run, adapter, todo, parsed, built, superseded, set(store.tables()))
    loads = _load_times(w, load_rows)
    _write_rejects(w)
    for name, col in ID_TABLES.items():
        parts = [
            schemas.get(name).conform(expr, source=adapter.name) for _, expr in w.new_parts(name)
        ]
        if not w.untouched(name, parts):
            run.write(name, _union(w.base(name, col) + parts))
    _write_people(w)
    for name, key in SHADOWED.items():
        _write_shadowed(w, name, key, loads)
    _write_link_keys(w)
    outputs = output_counts(run, [r["load_id"] for r in load_rows], PREFIX)
    for r in load_rows:
        r["output_rows"] = json.dumps(outputs[r["load_id"]], sort_keys=True)
    _write_loads(w, load_rows)
    return outputs


def _load_times(w: Write, load_rows) -> ibis.Table:
    new = ibis.memtable(
        pa.table(
            {
                "load_id": pa.array([r["load_id"] for r in load_rows], pa.string()),
                "loaded_at": pa.array([r["loaded_at"] for r in load_rows], pa.timestamp("us")),
            }
        )
    )
    new = new.select("load_id", loaded_at=new.loaded_at.cast("timestamp"))
    old = w.old("ingest_load")
    if old is None:
        return new
    old = old.select("load_id", loaded_at=old.loaded_at.cast("timestamp"))
    return ibis.union(old, new, distinct=False)


def _write_loads(w: Write, load_rows) -> None:
    schema = schemas.get("ingest_load")
    new = ibis.memtable(pa.Table.from_pylist(load_rows, schema=schema.ibis_schema().to_pyarrow()))
    old = w.old("ingest_load")
    if old is None:
        w.run.write("ingest_load", new)
        return
    if w.superseded:
        by = {r["replaces"]: r["load_id"] for r in load_rows if r["replaces"]}
        superseded_by = ibis.cases(
            *[(old.load_id == s, n) for s, n in by.items()], else_=old.superseded_by
        )
        old = old.mutate(
            status=ibis.ifelse(old.load_id.isin(w.superseded), "superseded", old.status),
            superseded_by=superseded_by,
        )
    w.run.write("ingest_load", _union([old.select(*schema.names), new]))


def _write_rejects(w: Write) -> None:
    parts = []
    for p in w.todo:
        rej = w.parsed[p.load_id].rejects
        if not rej.num_rows:
            continue
        n = rej.num_rows
        rej = (
            rej.append_column("load_id", pa.array([p.load_id] * n, pa.string()))
            .append_column("source", pa.array([w.adapter.name] * n, pa.string()))
            .append_column("file_name", pa.array([p.facts.path.name] * n, pa.string()))
        )
        parts.append(schemas.get("ingest_reject").conform(ibis.memtable(rej)))
    if not parts:
        return
    old = w.old("ingest_reject")
    w.run.write("ingest_reject", _union(([old] if old is not None else []) + parts))


def _write_people(w: Write) -> None:
    parts = [
        spine.observations(rows, load_id, w.adapter.name, w.adapter.person_rank)
        for load_id, rows in w.new_parts("person")
    ]
    if w.untouched("ingest_person", parts):
        return
    w.run.write("ingest_person", _union(w.base("ingest_person", "load_id") + parts))
    w.run.write("person", spine.build_person(w.run.staged("ingest_person")))


def _write_shadowed(w: Write, name: str, key: list[str], loads: ibis.Table) -> None:
    shadow = f"ingest_{name}"
    declared = schemas.get(name)
    parts = [
        declared.conform(expr, source=w.adapter.name).mutate(load_id=ibis.literal(load_id))
        for load_id, expr in w.new_parts(name)
    ]
    if w.untouched(shadow, parts):
        return
    cols = schemas.get(shadow).names
    w.run.write(shadow, _union([b.select(*cols) for b in w.base(shadow, "load_id") + parts]))
    current = spine.latest_per_key(w.run.staged(shadow), key, loads)
    w.run.write(name, current.select(*declared.names))


def _write_link_keys(w: Write) -> None:
    has_keys = any(c.kind in ("dob", "postcode") for c in w.adapter.identifiers)
    parts = []
    if has_keys:
        obs = w.run.staged("ingest_person")
        for p in w.todo:
            good = w.parsed[p.load_id].good
            if not good.num_rows:
                continue
            cols = ["person_id", "_linked", "_dob_year", "_dob_month", *LINK_COLUMNS]
            t = ibis.memtable(good.select(cols))
            t = t.filter(ibis.or_(*[t[c].notnull() for c in LINK_COLUMNS])).distinct()
            o = obs.filter(obs.load_id == p.load_id).select("person_id", _sex=obs.sex)
            j = t.left_join(o, "person_id")
            parts.append(
                j.select(
                    load_id=ibis.literal(p.load_id),
                    person_id=j.person_id,
                    linked=j._linked,
                    sex=j._sex,
                    birth_year=j._dob_year,
                    birth_month=j._dob_month,
                    **{new: j[raw] for raw, new in LINK_COLUMNS.items()},
                )
            )
    if w.untouched("link_key", parts):
        return
    declared = schemas.get("link_key")
    w.run.write(
        "link_key", _union([declared.conform(b) for b in w.base("link_key", "load_id") + parts])
    )


def output_counts(run, load_ids: list[str], prefix: int) -> dict[str, dict[str, int]]:
    """Rows each new load contributed to each table it wrote (for the run log and report)."""
    out: dict[str, dict[str, int]] = {lid: {} for lid in load_ids}
    for name, col in ID_TABLES.items():
        if name not in run.output_rows:
            continue
        t = run.staged(name)
        key = t[col].substr(0, prefix)
        counts = t.filter(key.isin(load_ids)).group_by(lid=key).aggregate(n=ibis._.count())
        for lid, n in run.store.to_pandas(counts).itertuples(index=False):
            out[lid][name] = int(n)
    for name in ("ingest_person", "ingest_registration", "ingest_practice", "link_key"):
        if name not in run.output_rows:
            continue
        t = run.staged(name)
        counts = t.filter(t.load_id.isin(load_ids)).group_by("load_id").aggregate(n=ibis._.count())
        label = name.removeprefix("ingest_")
        for lid, n in run.store.to_pandas(counts).itertuples(index=False):
            out[lid][label] = int(n)
    return out
