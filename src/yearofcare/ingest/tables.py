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


def _old(store, name: str) -> ibis.Table | None:
    return store.table(name) if store.exists(name) else None


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
    loads = _load_times(store, load_rows)
    _write_rejects(store, run, adapter, todo, parsed)
    for name, col in ID_TABLES.items():
        parts = [
            schemas.get(name).conform(built[p.load_id][name], source=adapter.name)
            for p in todo
            if name in built.get(p.load_id, {})
        ]
        old = _old(store, name)
        if not parts and (old is None or not superseded):
            continue
        base = [_without(old, col, superseded)] if old is not None else []
        run.write(name, _union(base + parts))
    _write_people(store, run, adapter, todo, built, superseded)
    for name, key in SHADOWED.items():
        _write_shadowed(store, run, adapter, name, key, todo, built, superseded, loads)
    _write_link_keys(store, run, adapter, todo, parsed, superseded)
    outputs = output_counts(run, [r["load_id"] for r in load_rows], PREFIX)
    for r in load_rows:
        r["output_rows"] = json.dumps(outputs[r["load_id"]], sort_keys=True)
    _write_loads(store, run, load_rows, superseded)
    return outputs


def _load_times(store, load_rows) -> ibis.Table:
    new = ibis.memtable(
        pa.table(
            {
                "load_id": pa.array([r["load_id"] for r in load_rows], pa.string()),
                "loaded_at": pa.array([r["loaded_at"] for r in load_rows], pa.timestamp("us")),
            }
        )
    )
    new = new.select("load_id", loaded_at=new.loaded_at.cast("timestamp"))
    old = _old(store, "ingest_load")
    if old is None:
        return new
    old = old.select("load_id", loaded_at=old.loaded_at.cast("timestamp"))
    return ibis.union(old, new, distinct=False)


def _write_loads(store, run, load_rows, superseded) -> None:
    schema = schemas.get("ingest_load")
    new = ibis.memtable(pa.Table.from_pylist(load_rows, schema=schema.ibis_schema().to_pyarrow()))
    old = _old(store, "ingest_load")
    if old is None:
        run.write("ingest_load", new)
        return
    if superseded:
        by = {r["replaces"]: r["load_id"] for r in load_rows if r["replaces"]}
        superseded_by = ibis.cases(
            *[(old.load_id == s, n) for s, n in by.items()], else_=old.superseded_by
        )
        old = old.mutate(
            status=ibis.ifelse(old.load_id.isin(superseded), "superseded", old.status),
            superseded_by=superseded_by,
        )
    run.write("ingest_load", _union([old.select(*schema.names), new]))


def _write_rejects(store, run, adapter, todo, parsed) -> None:
    parts = []
    for p in todo:
        rej = parsed[p.load_id].rejects
        if not rej.num_rows:
            continue
        n = rej.num_rows
        rej = (
            rej.append_column("load_id", pa.array([p.load_id] * n, pa.string()))
            .append_column("source", pa.array([adapter.name] * n, pa.string()))
            .append_column("file_name", pa.array([p.facts.path.name] * n, pa.string()))
        )
        parts.append(schemas.get("ingest_reject").conform(ibis.memtable(rej)))
    if not parts:
        return
    old = _old(store, "ingest_reject")
    run.write("ingest_reject", _union(([old] if old is not None else []) + parts))


def _write_people(store, run, adapter, todo, built, superseded) -> None:
    parts = [
        spine.observations(built[p.load_id]["person"], p.load_id, adapter.name, adapter.person_rank)
        for p in todo
        if "person" in built.get(p.load_id, {})
    ]
    old = _old(store, "ingest_person")
    if not parts and (old is None or not superseded):
        return
    base = [_without(old, "load_id", superseded)] if old is not None else []
    run.write("ingest_person", _union(base + parts))
    run.write("person", spine.build_person(run.staged("ingest_person")))


def _write_shadowed(store, run, adapter, name, key, todo, built, superseded, loads) -> None:
    shadow = f"ingest_{name}"
    declared = schemas.get(name)
    parts = [
        declared.conform(built[p.load_id][name], source=adapter.name).mutate(
            load_id=ibis.literal(p.load_id)
        )
        for p in todo
        if name in built.get(p.load_id, {})
    ]
    old = _old(store, shadow)
    if not parts and (old is None or not superseded):
        return
    base = [_without(old, "load_id", superseded)] if old is not None else []
    cols = schemas.get(shadow).names
    run.write(shadow, _union([b.select(*cols) for b in base + parts]))
    current = spine.latest_per_key(run.staged(shadow), key, loads)
    run.write(name, current.select(*declared.names))


def _write_link_keys(store, run, adapter, todo, parsed, superseded) -> None:
    has_keys = any(c.kind in ("dob", "postcode") for c in adapter.identifiers)
    old = _old(store, "link_key")
    if not has_keys and (old is None or not superseded):
        return
    parts = []
    obs = run.staged("ingest_person") if has_keys else None
    for p in todo:
        good = parsed[p.load_id].good
        if not has_keys or not good.num_rows:
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
    base = [_without(old, "load_id", superseded)] if old is not None else []
    if not parts and not base:
        return
    declared = schemas.get("link_key")
    run.write("link_key", _union([declared.conform(b) for b in base + parts]))


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
