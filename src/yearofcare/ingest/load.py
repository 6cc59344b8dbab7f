"""`yoc ingest`: load extract files into the store, with nothing lost and everything traceable.

For each call (one format, one or more files):
1. every file is preflighted (bytes, encoding, delimiter, header, columns, last line) before
   anything else, so a bad file stops the call with one clear message and no change;
2. a file whose content hash matches a current load is recognised and skipped (a no-op);
   a file with the same extract identity as a current load replaces that load;
3. each new file is read, pseudonymised, typed and checked on a private scratch DuckDB
   (`sources.parse`); bad rows are quarantined with file, row, column and reason;
4. the adapter builds the canonical rows, appended through the one stage (staged until every
   file is done, then committed together), so a failure part-way leaves the store exactly as
   it was; the run log records every file's counts.

`ingest_batch` does this for several formats at once (`yoc ingest --plan`).

Extract identity: `<source>:<file name without extension>` unless `--extract-id` is given, so
`hes_apc_2024-25.csv` reloaded after correction replaces the earlier load of that file, while
`hes_apc_2025-26.csv` is a separate extract.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from yearofcare import sources
from yearofcare.errors import ConfigError, InputError, StageError
from yearofcare.ingest.options import (
    DUPLICATE_POLICIES,
    FileResult,
    IngestOptions,
    IngestResult,
    period_from_name,
)
from yearofcare.ingest.tables import Parts
from yearofcare.linkage import optout
from yearofcare.linkage.pseudonym import Hasher, check_key, load_key
from yearofcare.progress import SILENT, Progress
from yearofcare.sources.base import Adapter, BuildContext
from yearofcare.sources.mapping import check_against, load_mapping
from yearofcare.sources.parse import Parsed, ParseOptions, parse, scratch
from yearofcare.sources.preflight import FileFacts, inspect_file
from yearofcare.store import Store

LOAD_ID_LEN = 12


def new_load_id(source: str, extract_id: str, content_hash: str, replaces: str | None) -> str:
    """The load's id, from what it loads: the same file loaded into the same store history
    gets the same id (so the same inputs give the same store, issue 10 finding 11); a file
    loaded again after being replaced differs by the load it replaces."""
    text = "|".join((source, extract_id, content_hash, replaces or ""))
    return "l" + hashlib.sha256(text.encode()).hexdigest()[: LOAD_ID_LEN - 1]


@dataclass
class _Plan:
    facts: FileFacts
    extract_id: str
    load_id: str | None
    replaces: str | None
    unchanged_as: str | None
    period: tuple | None


def ingest(store: Store, opts: IngestOptions, progress: Progress = SILENT) -> IngestResult:
    """Load `opts.paths` of format `opts.source` into `store`; see the module docstring."""
    return ingest_batch(store, [opts], progress)[0]


def ingest_batch(
    store: Store, requests: list[IngestOptions], progress: Progress = SILENT
) -> list[IngestResult]:
    """Several ingests (formats) in one stage: each file read once, each table written once.

    Everything after the options are checked runs inside the stage, so a failure (a bad file,
    a bad key, a bug) is recorded in the run log and leaves the store as it was.
    """
    for opts in requests:
        if not opts.paths:
            raise ConfigError("no files to ingest", hint="give one or more file paths")
        if opts.duplicates not in DUPLICATE_POLICIES:
            raise ConfigError(
                f"--duplicates {opts.duplicates!r} is not a policy",
                hint="use one of: " + ", ".join(DUPLICATE_POLICIES),
            )
        if opts.extract_id and len(opts.paths) > 1:
            raise ConfigError(
                "--extract-id names one extract but several files were given",
                hint="load the files one at a time, or drop --extract-id",
            )
    params = {
        "sources": [o.source for o in requests],
        "files": [Path(p).name for o in requests for p in o.paths],
        "mapping_files": [str(o.mapping_file) for o in requests if o.mapping_file],
        "optouts_file_given": any(o.optouts_file is not None for o in requests),
        "strict": any(o.strict for o in requests),
    }
    with store.engine.bulk_writes(), store.stage("ingest", params) as run:
        batch = _Batch(store, run, Parts(run, set(store.tables())), progress)
        results = [batch.step(opts) for opts in requests]
        if batch.load_rows:
            with progress.task("writing the store", None):
                batch.parts.finish(store, batch.superseded, batch.load_rows)
            if batch.fingerprint:
                run.append(
                    "linkage_key", _fingerprint_row(batch.fingerprint, run.run_id, batch.now)
                )
        for result in results:
            for f in result.files:
                f.output_rows.update(batch.parts.counts.get(f.load_id or "", {}))
        run.parameters["results"] = [
            {
                "file": f.file,
                "status": f.status,
                "load_id": f.load_id,
                "counts": f.counts,
                "reasons": f.reasons,
                "output_rows": f.output_rows,
            }
            for result in results
            for f in result.files
        ]
        return [IngestResult(run.run_id, r.files, r.optouts_listed) for r in results]


class _Batch:
    """The state of one ingest stage across its requests."""

    def __init__(self, store: Store, run, parts: Parts, progress: Progress) -> None:
        self.store, self.run, self.parts, self.progress = store, run, parts, progress
        self.current = _current_loads(store)
        self.seen_hashes: set[tuple[str, str]] = set()
        self.superseded: list[str] = []
        self.load_rows: list[dict] = []
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.fingerprint: str | None = None  # to record: the store has none yet
        self.replaced: dict[str, str] = {}  # load → the earlier load its records replaced

    def step(self, opts: IngestOptions) -> IngestResult:
        mapping, mapping_hash = load_mapping(opts.mapping_file)
        adapter = sources.get(opts.source, _canonical_table(opts, mapping.table))
        check_against(mapping, adapter, opts.mapping_file)
        key = load_key(opts.key_file, store_dir=self.store.engine.data_dir)
        new_fingerprint = check_key(self.store, key, opts.key_file)
        if self.fingerprint and new_fingerprint and new_fingerprint != self.fingerprint:
            raise ConfigError(
                "the requests of this ingest use two different linkage keys",
                hint="load every file of a store with the same key (--key-file)",
            )
        self.fingerprint = self.fingerprint or new_fingerprint
        n = len(opts.paths)
        with self.progress.task(f"checking {n} {adapter.name} file(s)", n) as t:
            facts = []
            for p in opts.paths:
                facts.append(inspect_file(Path(p), adapter, mapping))
                t.advance()
        plans = _plan(self.current, adapter, facts, opts, self.seen_hashes)
        todo = [p for p in plans if p.load_id]
        self.superseded += [p.replaces for p in todo if p.replaces]
        hasher = Hasher(key)
        listed = None
        if opts.optouts_file:
            listed = optout.read_optouts(opts.optouts_file, hasher)
            self.run.parameters["optouts_listed"] = listed.numbers
            self.run.parameters["optouts_invalid_lines"] = listed.invalid_lines
        con = scratch(opts.threads, spill=self.run.scratch() / "spill")
        results: dict[str, FileResult] = {}
        try:
            with self.progress.task(f"loading {adapter.name}", len(todo)) as t:
                for p in todo:
                    results[p.load_id] = self._load(
                        con, adapter, mapping, mapping_hash, p, opts, hasher, listed
                    )
                    t.advance()
        finally:
            con.disconnect()
        files = tuple(results.get(p.load_id or "") or _unchanged(p) for p in plans)
        return IngestResult(self.run.run_id, files, listed.numbers if listed else 0)

    def _earlier(self, source: str, p: _Plan, opts, keys: pa.Table, label: str):
        """Rows of this file whose record a current load of `source` already holds (stored,
        or loaded earlier in this call), handled by the duplicate policy (module docstring)."""
        if not keys.num_rows:
            return None
        rec = _record_table(self.store, self.run)
        if rec is None:
            return None
        gone = [*self.superseded, *([p.replaces] if p.replaces else [])]
        rec = rec.filter(rec.source == source)
        if gone:
            rec = rec.filter(~rec.load_id.isin(gone))
        new = ibis.memtable(keys.select(["_row", "_rk"]))
        j = new.join(rec, new._rk == rec.record_key)
        hits = self.store.to_pyarrow(
            j.group_by("_row").aggregate(load_id=j.load_id.min()).order_by("_row")
        )
        if not hits.num_rows:
            return None
        names = dict(zip(self.current.load_id, self.current.file_name, strict=True))
        names.update({r["load_id"]: r["file_name"] for r in self.load_rows})
        loads = sorted(set(hits["load_id"].to_pylist()))
        shown = ", ".join(f"{names.get(x, '?')} (load {x})" for x in loads[:3])
        name = p.facts.path.name
        if opts.duplicates == "refuse":
            raise InputError(
                f"file {name}: {hits.num_rows:,} record(s) (same {label}) are already loaded "
                f"from {shown}",
                hint="an overlapping or corrected extract: --duplicates replace replaces the "
                "earlier extract, --duplicates quarantine sets the repeated records aside",
            )
        stored = set(self.current.load_id)
        if opts.duplicates == "replace" and all(x in stored for x in loads):
            self.superseded += [x for x in loads if x not in self.superseded]
            self.replaced[p.load_id] = loads[0]
            return None
        labels = {x: f"{names.get(x, '?')} (load {x})" for x in loads}
        return pa.table(
            {
                "_row": hits["_row"],
                "_dup_load": pa.array([labels[x] for x in hits["load_id"].to_pylist()]),
            }
        )

    def _load(
        self, con, adapter, mapping, mapping_hash, p: _Plan, opts, hasher, listed
    ) -> FileResult:
        options = ParseOptions(
            source=adapter.name,
            load_id=p.load_id,
            content_hash=p.facts.sha256,
            hasher=hasher,
            folder=self.run.scratch(),
            optouts=listed,
            late_before=p.period[0] if p.period else None,
            bounds=opts.bounds(),
            prior=lambda keys, label: self._earlier(adapter.name, p, opts, keys, label),
        )
        parsed = parse(con, p.facts, adapter, mapping, options)
        self.run.note_input(p.facts.path.name, parsed.counts["rows_read"])
        if opts.strict:
            _strict(p.facts, parsed)
        ctx = BuildContext(
            load_id=p.load_id,
            source=adapter.name,
            extract_id=p.extract_id,
            defaults={**adapter.defaults, **mapping.defaults},
            period_start=p.period[0] if p.period else None,
            period_end=p.period[1] if p.period else None,
        )
        good = parsed.good(self.store.engine) if parsed.rows_loaded else None
        built = adapter.build(good, ctx) if good is not None else {}
        self.parts.add_load(p.load_id, adapter, built, parsed, good, p.facts.path.name)
        row = _load_row(p, parsed, self.run.run_id, self.now, adapter, opts)
        row["mapping_hash"] = mapping_hash
        row["replaces"] = row["replaces"] or self.replaced.get(p.load_id)
        self.load_rows.append(row)
        return _result(p, parsed)


def _record_table(store: Store, run) -> ibis.Table | None:
    """Every current load's record keys, with those this call has staged so far."""
    try:
        return run.staged("ingest_record")
    except StageError:  # nothing staged in this call yet
        return store.table("ingest_record") if store.exists("ingest_record") else None


def _fingerprint_row(fingerprint: str, run_id: str, now: datetime):
    return ibis.memtable(
        pa.table(
            {
                "fingerprint": [fingerprint],
                "run_id": [run_id],
                "recorded_at": pa.array([now], pa.timestamp("us")),
            }
        )
    )


def _current_loads(store: Store) -> pd.DataFrame:
    columns = ["load_id", "source", "extract_id", "content_hash", "file_name"]
    if not store.exists("ingest_load"):
        return pd.DataFrame(columns=columns)
    loads = store.table("ingest_load")
    return store.to_pandas(loads.filter(loads.status == "current").select(*columns))


def _unchanged(p: _Plan) -> FileResult:
    return FileResult(p.facts.path.name, "unchanged", p.unchanged_as)


def _canonical_table(opts: IngestOptions, table: str | None) -> str | None:
    if opts.source != "canonical":
        return None
    if table:
        return table
    from yearofcare.sources.canonical import table_for

    tables = {table_for(Path(p).stem) for p in opts.paths}
    if len(tables) > 1:
        raise ConfigError(
            "the files hold different canonical tables (" + ", ".join(sorted(tables)) + ")",
            hint="ingest one table per call",
        )
    return tables.pop() if tables else None


def _plan(
    current: pd.DataFrame,
    adapter: Adapter,
    facts: list[FileFacts],
    opts: IngestOptions,
    seen_hashes: set[tuple[str, str]],
) -> list[_Plan]:
    by_hash = {
        (r.source, r.content_hash): r.load_id
        for r in current.itertuples()
        if r.source == adapter.name
    }
    by_extract = {r.extract_id: r.load_id for r in current.itertuples()}
    plans: list[_Plan] = []
    seen_extracts: dict[str, str] = {}
    for f in facts:
        extract_id = opts.extract_id or f"{adapter.name}:{f.path.stem}"
        if extract_id in seen_extracts:
            raise ConfigError(
                f"files {seen_extracts[extract_id]} and {f.path.name} are the same extract "
                f"({extract_id})",
                hint="load them in separate calls (the later replaces the earlier), or rename",
            )
        seen_extracts[extract_id] = f.path.name
        same = by_hash.get((adapter.name, f.sha256))
        if same or (adapter.name, f.sha256) in seen_hashes:
            plans.append(_Plan(f, extract_id, None, None, same or "(this call)", None))
            continue
        seen_hashes.add((adapter.name, f.sha256))
        period = opts.period or period_from_name(f.path)
        replaces = by_extract.get(extract_id)
        load_id = new_load_id(adapter.name, extract_id, f.sha256, replaces)
        plans.append(_Plan(f, extract_id, load_id, replaces, None, period))
    return plans


def _strict(facts: FileFacts, parsed: Parsed) -> None:
    rej = parsed.rejects
    if rej.num_rows:
        r = rej.slice(0, 1).to_pylist()[0]
        raise InputError(
            f"file {facts.path.name}, row {r['row_number']}, column {r['column'] or '-'}: "
            f"{r['message']} ({rej.num_rows} problem(s) in all)",
            hint="fix the file, or run without --strict to quarantine bad rows and blank bad "
            "optional values",
        )


def _load_row(p: _Plan, parsed: Parsed, run_id: str, now: datetime, adapter, opts) -> dict:
    c = dict(parsed.counts)
    late = parsed.stats["rows_late"] if p.period and adapter.date_column else 0
    unlinked, persons = parsed.stats["rows_unlinked"], parsed.stats["persons"]
    f = p.facts
    return {
        "load_id": p.load_id,
        "run_id": run_id,
        "source": adapter.name,
        "extract_id": p.extract_id,
        "file_name": f.path.name,
        "file_path": str(f.path.resolve()),
        "content_hash": f.sha256,
        "file_bytes": f.size,
        "delimiter": f.delimiter,
        "encoding": f.encoding,
        "mapping_file": str(opts.mapping_file) if opts.mapping_file else None,
        "mapping_hash": None,
        "period_start": p.period[0] if p.period else None,
        "period_end": p.period[1] if p.period else None,
        "loaded_at": now,
        "status": "current",
        "replaces": p.replaces,
        "superseded_by": None,
        **{k: int(c.get(k, 0)) for k in _COUNT_COLUMNS},
        "rows_late": late,
        "rows_unlinked": unlinked,
        "rows_linked_probabilistic": 0,
        "persons": persons,
        "output_rows": None,
        "column_spellings": json.dumps(
            {k: {"used": u, "not_used": list(o)} for k, (u, o) in f.spellings.items()},
            sort_keys=True,
        )
        if f.spellings
        else None,
    }


_COUNT_COLUMNS = (
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_opted_out",
    "rows_duplicate",
    "rows_excluded",
    "rows_corrected",
    "nhs_number_present",
    "nhs_number_valid",
    "nhs_number_invalid",
    "nhs_number_missing",
    "pseudonym_supplied",
    "token_linked",
    "rows_person_shared",
)


def _result(p: _Plan, parsed: Parsed) -> FileResult:
    rej = parsed.rejects
    reasons: dict[str, int] = {}
    first = None
    if rej.num_rows:
        frame = rej.select(["reason", "action", "row_number", "column", "message"]).to_pandas()
        reasons = {
            f"{a}:{r}": int(n) for (a, r), n in frame.groupby(["action", "reason"]).size().items()
        }
        hard = frame[frame.action == "quarantined"]
        row = (hard if len(hard) else frame).iloc[0]
        first = (
            f"file {p.facts.path.name}, row {row.row_number}, column {row.column or '-'}: "
            f"{row.message}"
        )
    return FileResult(
        p.facts.path.name,
        "replaced" if p.replaces else "loaded",
        p.load_id,
        {k: int(v) for k, v in parsed.counts.items()},
        reasons,
        first,
        {},
        p.facts.notes,
    )
