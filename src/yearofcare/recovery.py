"""Cleaning up after a run that died: swept when a store is opened.

A stage keeps its temporary files in its own scratch folder inside the data directory
(`<data-dir>/.yoc-scratch/<stage>-<run>-…/`, marked with the process that owns it) and its
tables under temporary names until it commits. A run killed part-way (kill -9, power cut,
out of memory) cannot remove them, so every open of the store removes:

- scratch folders whose owning process is gone (pseudonymised Parquet, spill files);
- temporary tables (`__yoc_tmp_*`, Ibis's `ibis_*`) that no run in progress owns;
- on Spark, a table folder a dead commit had set aside is put back if the table is missing.

Each run found dead gets a run-log row with status "died"; what was removed is recorded in a
"recover" row and returned (the CLI prints it). A stage's own tables are never touched: on
DuckDB a stage is one transaction, so a killed stage left nothing of itself in them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from yearofcare import schemas
from yearofcare.backends.base import TMP_PREFIX

_OLD = f"{TMP_PREFIX}old_"


@dataclass(frozen=True)
class Recovered:
    """What opening the store removed after runs that died."""

    runs: tuple[dict, ...] = ()
    scratch: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    restored: tuple[str, ...] = ()
    bytes: int = 0

    def __bool__(self) -> bool:
        return bool(self.scratch or self.tables or self.restored)

    def describe(self) -> str:
        died = ", ".join(f"{r.get('stage', '?')} (run {r.get('run_id', '?')})" for r in self.runs)
        parts = []
        if self.scratch:
            parts.append(f"{len(self.scratch)} scratch folder(s), {self.bytes:,} bytes")
        if self.tables:
            parts.append(f"{len(self.tables)} temporary table(s)")
        if self.restored:
            parts.append(f"restored {', '.join(self.restored)}")
        return f"an earlier run died ({died or 'unknown run'}); removed what it left: " + "; ".join(
            parts
        )


def recover(store) -> Recovered:
    """Sweep what dead runs left in `store` (see the module docstring)."""
    backend = store.engine
    orphans = backend.orphan_scratch()
    live = backend.live_runs()
    dead_ids = [o["run_id"] for _, o in orphans if o.get("run_id")]
    temps = [t for t in backend.temporaries() if not t.startswith(_OLD)]
    if live:  # another process is mid-stage: drop only what the dead runs named
        temps = [t for t in temps if any(t.startswith(f"{TMP_PREFIX}{r}_") for r in dead_ids)]
    restored = _restore_set_aside(backend) if not live else []
    if not (orphans or temps or restored):
        return Recovered()
    size = sum(_bytes(p) for p, _ in orphans)
    for path, _ in orphans:
        backend.remove_scratch(path)
    for name in temps:
        backend.drop(name)
    found = Recovered(
        runs=tuple(o for _, o in orphans if o.get("run_id")),
        scratch=tuple(p.name for p, _ in orphans),
        tables=tuple(temps),
        restored=tuple(restored),
        bytes=size,
    )
    _log(backend, found)
    return found


def _restore_set_aside(backend) -> list[str]:
    """Spark: a commit renames a table to `__yoc_tmp_old_<name>` before moving the new one in;
    if it died between the two, the table is put back (and otherwise the copy dropped)."""
    restored = []
    for name in backend.temporaries():
        if not name.startswith(_OLD):
            continue
        final = name[len(_OLD) :]
        if final in backend.list_tables():
            backend.drop(name)
        else:
            backend.rename(name, final)
            restored.append(final)
    return restored


def _bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _log(backend, found: Recovered) -> None:
    from yearofcare.store import code_version

    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        _row(
            r["run_id"],
            r.get("stage", "unknown"),
            "died",
            _when(r.get("started_at")) or now,
            now,
            backend.kind,
            {},
            "the run stopped without finishing (killed or crashed); its scratch folder and "
            "temporary tables were removed when the store was next opened",
        )
        for r in found.runs
    ]
    params = {
        "scratch_removed": list(found.scratch),
        "tables_dropped": list(found.tables),
        "tables_restored": list(found.restored),
        "bytes_removed": found.bytes,
        "dead_runs": [r["run_id"] for r in found.runs],
    }
    rows.append(
        _row(
            f"r{now:%H%M%S%f}"[:12],
            "recover",
            "ok",
            now,
            now,
            backend.kind,
            params,
            found.describe(),
        )
    )
    schema = schemas.get("run_log").ibis_schema().to_pyarrow()
    for row in rows:
        row["code_version"] = code_version()
    backend.append_rows("run_log", pa.Table.from_pylist(rows, schema=schema))


def _row(run_id, stage, status, started, finished, engine, params, message) -> dict:
    return {
        "run_id": run_id,
        "stage": stage,
        "status": status,
        "started_at": started,
        "finished_at": finished,
        "seconds": None,
        "engine": engine,
        "parameters": json.dumps(params, sort_keys=True),
        "input_rows": "{}",
        "output_rows": "{}",
        "message": message,
    }


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
