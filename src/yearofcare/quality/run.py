"""`yoc quality`: compute every data-quality table in one stage run.

Reads the ingest bookkeeping and canonical tables, writes `dq_load`, `dq_reject`, `dq_column`,
`dq_source_month`, `dq_drift`, `dq_triangulation`, `dq_person` and `dq_finding` together (a failure leaves
the previous quality tables as they were), and records the thresholds and the contract file's
fingerprint in the run log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from yearofcare import schemas
from yearofcare.errors import StageError
from yearofcare.progress import SILENT, Progress
from yearofcare.quality import drift as driftmod
from yearofcare.quality import measures
from yearofcare.quality.demographics import person_completeness
from yearofcare.quality.findings import findings as make_findings
from yearofcare.quality.options import QualityOptions
from yearofcare.quality.triangulation import (
    contracts_table,
    file_hash,
    load_contracts,
    loaded_costs,
    triangulate,
)
from yearofcare.store import Store

STAGE = "quality"
INPUTS = (
    "ingest_load",
    "ingest_reject",
    "ingest_person",
    "ingest_registration",
    "activity",
    "coded_event",
    "activity_costed",
    "person",
    "registration",
)


@dataclass(frozen=True)
class QualityResult:
    """What a quality run wrote."""

    run_id: str
    tables: dict[str, int]
    findings: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def empty(name: str) -> ibis.Table:
    """An empty table with the declared columns of `name`."""
    return ibis.memtable(schemas.get(name).ibis_schema().to_pyarrow().empty_table())


def frame_table(name: str, rows: list[dict[str, Any]]) -> ibis.Table:
    """Python rows as a table with the declared columns of `name`."""
    schema = schemas.get(name).ibis_schema().to_pyarrow()
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


def _headers(store: Store, loads: ibis.Table) -> tuple[dict[str, tuple[str, ...]], str]:
    """Each load's header: from `ingest_load.header` when ingest records it, else the first
    line of the file when it is still where it was loaded from (same size)."""
    cols = ["load_id", "file_path", "file_bytes", "delimiter", "encoding"]
    if "header" in loads.columns:
        cols.append("header")
    frame = store.to_pandas(loads.select(*cols))
    out: dict[str, tuple[str, ...]] = {}
    by_record = by_file = 0
    for r in frame.itertuples(index=False):
        h = driftmod.parse_header(getattr(r, "header", None))
        if h:
            by_record += 1
        else:
            size = None if pd.isna(r.file_bytes) else int(r.file_bytes)
            h = driftmod.header_from_file(r.file_path, size, r.delimiter, r.encoding)
            by_file += bool(h)
        if h:
            out[r.load_id] = h
    how = f"{by_record} from ingest_load.header, {by_file} re-read from the files"
    return out, how


def run_quality(
    store: Store, options: QualityOptions | None = None, progress: Progress = SILENT
) -> QualityResult:
    """Measure the data quality of everything loaded; see the module docstring."""
    o = options or QualityOptions()
    if not store.exists("ingest_load"):
        raise StageError(
            "the store has no loads to check (no ingest_load table)",
            hint="load extracts first with `yoc ingest --source FORMAT FILE…`",
        )
    contracts = load_contracts(o.contracts_file) if o.contracts_file else None
    params: dict[str, Any] = {
        "thresholds": o.thresholds(),
        "contracts_file": str(o.contracts_file) if o.contracts_file else None,
        "contracts_sha256": file_hash(o.contracts_file) if o.contracts_file else None,
        "contract_lines": len(contracts) if contracts else 0,
    }
    notes: list[str] = []
    with store.stage(STAGE, params) as run, progress.task("measuring data quality", 7) as task:
        have = {n: run.read(n) for n in INPUTS if store.exists(n)}
        inp = measures.Inputs(
            ingest_load=have["ingest_load"],
            ingest_reject=have.get("ingest_reject"),
            activity=have.get("activity"),
            coded_event=have.get("coded_event"),
            ingest_person=have.get("ingest_person"),
            ingest_registration=have.get("ingest_registration"),
        )
        run.write("dq_load", measures.load_measures(inp))
        loads = run.staged("dq_load")
        task.advance()
        if inp.ingest_reject is not None:
            run.write("dq_reject", measures.reject_summary(inp.ingest_reject, o.examples))
        else:
            run.write("dq_reject", empty("dq_reject"))
        task.advance()
        run.write("dq_column", measures.column_measures(inp))
        task.advance()
        run.write("dq_source_month", measures.source_month(inp))
        task.advance()

        headers, how = _headers(store, inp.ingest_load)
        run.parameters["headers"] = how
        pairs = driftmod.previous_pairs(loads)
        last = store.to_pandas(pairs.filter(pairs._back == 1).select("load_id", "p_load_id"))
        info = store.to_pandas(loads.select("load_id", "source", "feed", "file_name", "loaded_at"))
        info_by = {r["load_id"]: r for r in info.to_dict(orient="records")}
        header_rows = driftmod.header_drift(last.to_dict(orient="records"), headers, info_by)
        parts = [
            driftmod.load_drift(loads, o),
            driftmod.column_drift(loads, run.staged("dq_column"), o),
        ]
        declared = schemas.get("dq_drift")
        drift = ibis.union(*[declared.conform(p) for p in parts], distinct=False)
        if header_rows:
            rows_ = declared.conform(frame_table("dq_drift", header_rows))
            drift = drift.union(rows_, distinct=False)
        if not headers:
            notes.append(
                "column headers of the loads are not recorded, so columns added, removed or "
                "renamed are inferred from emptied columns and the mapping file only"
            )
        run.write("dq_drift", drift)
        task.advance()

        if contracts and inp.activity is not None:
            costs, cost_table = loaded_costs(inp.activity, have.get("activity_costed"))
            c = ibis.memtable(contracts_table(contracts, o.tolerance))
            run.write("dq_triangulation", triangulate(c, costs, cost_table))
            if cost_table == "activity":
                notes.append(
                    "costs are those supplied in the extracts only (run `yoc build` to cost "
                    "every row before triangulating)"
                )
        else:
            run.write("dq_triangulation", empty("dq_triangulation"))
            if contracts:
                notes.append("no activity is loaded, so there is no cost to triangulate")
        task.advance()

        if "person" in have:
            run.write("dq_person", person_completeness(have["person"], have.get("registration")))
        else:
            run.write("dq_person", empty("dq_person"))
        frames = {
            n: store.to_pandas(schemas.get(n).in_order(run.staged(n)))
            for n in (
                "dq_load",
                "dq_reject",
                "dq_source_month",
                "dq_drift",
                "dq_triangulation",
                "dq_person",
            )
        }
        rows = make_findings(
            frames["dq_load"],
            frames["dq_reject"],
            frames["dq_source_month"],
            frames["dq_drift"],
            frames["dq_triangulation"],
            o,
            frames["dq_person"],
        )
        run.write("dq_finding", frame_table("dq_finding", rows))
        counts = Counter(r["severity"] for r in rows)
        run.parameters["findings"] = dict(counts)
        run.parameters["notes"] = notes
        task.advance()
        tables = dict(run.output_rows)
        run_id = run.run_id
    return QualityResult(run_id, tables, dict(counts), tuple(notes))
