"""Named tables, written atomically, and the run log.

A stage writes its tables inside `Store.stage(...)`. Each table is first written under a
temporary name; only when the stage finishes without error are the temporaries swapped in
(in one transaction on DuckDB), so a failed stage leaves every previous table intact; rows a
stage appends are staged as Parquet in the run's scratch folder and added in the same commit.
The engine-specific work is done by the store's backend (`yearofcare.backends`). Each
run — succeeded or failed — is recorded in `run_log` with its parameters, input and output
row counts, code version and timings.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from yearofcare import __version__, interrupt, schemas
from yearofcare.backends.base import TMP_PREFIX, Backend, Changes
from yearofcare.errors import StageError, StoreError
from yearofcare.recovery import recover

TableLike = ibis.Table | pa.Table | pd.DataFrame
_TMP = TMP_PREFIX


def code_version() -> str:
    """Package version, plus the git commit when running from a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return __version__
    commit = out.stdout.strip()
    return f"{__version__}+g{commit}" if out.returncode == 0 and commit else __version__


def _as_ibis(obj: TableLike) -> ibis.Table:
    if isinstance(obj, ibis.Table):
        return obj
    return ibis.memtable(obj)


class Store:
    """The named tables of one care economy, on one engine (its `Backend`)."""

    def __init__(self, engine: Backend) -> None:
        self.engine = engine
        #: what opening the store cleaned up after runs that died (see `recovery.recover`)
        self.recovered = recover(self)

    @property
    def con(self) -> ibis.BaseBackend:
        """The engine's Ibis connection (to compile or inspect; domain code does not need it)."""
        return self.engine.con

    # ---- reading -------------------------------------------------------------------------
    def tables(self) -> list[str]:
        names = self.engine.list_tables()
        return sorted(n for n in names if not n.startswith((_TMP, "ibis_")))

    def exists(self, name: str) -> bool:
        return name in self.tables()

    def table(self, name: str) -> ibis.Table:
        """The stored table `name` as an Ibis expression."""
        if not self.exists(name):
            raise StageError(
                f"the store has no table {name!r}",
                hint=f"run the stage that writes {name} first (see `yoc --help`); "
                f"tables present: {', '.join(self.tables()) or 'none'}",
            )
        return self.engine.table(name)

    def count(self, name: str) -> int:
        self.table(name)  # a clear error when absent
        return self.engine.count(name)

    def to_pyarrow(self, expr: ibis.Table) -> pa.Table:
        return self.engine.to_pyarrow(expr)

    def to_pandas(self, expr: ibis.Table) -> pd.DataFrame:
        return self.engine.to_pandas(expr)

    def cache(self, expr: ibis.Table) -> ibis.Table:
        """Materialise `expr` once (a temporary table, or a cached Spark DataFrame) for an
        intermediate read several times; call `.release()` on the result when done."""
        return self.engine.cache(expr)

    def close(self) -> None:
        self.engine.close()

    # ---- writing -------------------------------------------------------------------------
    @contextmanager
    def stage(self, stage: str, parameters: Mapping[str, Any] | None = None) -> Iterator[StageRun]:
        """Run a stage: tables written through the yielded run are committed together on success.

        The run-log row is written with the commit (in the same transaction on DuckDB), so a
        stage's tables never change without their row. On any exception the stage rolls back
        and its row says "failed", or "interrupted" for Ctrl-C (whichever exception carried it:
        an interrupted engine may raise its own), and the interrupt goes on as
        KeyboardInterrupt.
        """
        run = StageRun(self, stage, dict(parameters or {}))
        run.begin()
        try:
            yield run
            run.commit()
        except BaseException as exc:
            if run.committed:  # interrupted after the commit: the stage is done and logged
                raise
            stopped = interrupt.is_interrupt(exc)
            with interrupt.deferred():
                run.rollback()
                self._log(run, "interrupted" if stopped else "failed", _message(exc, stopped))
            if stopped and not isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt from exc
            raise

    def _log(self, run: StageRun, status: str, message: str | None) -> None:
        self.engine.append_rows("run_log", self._log_row(run, status, message))

    def _log_row(self, run: StageRun, status: str, message: str | None) -> pa.Table:
        finished = datetime.now(UTC).replace(tzinfo=None)
        row = {
            "run_id": run.run_id,
            "stage": run.stage,
            "status": status,
            "started_at": run.started_at,
            "finished_at": finished,
            "seconds": round(time.perf_counter() - run.t0, 3),
            "engine": self.engine.kind,
            "code_version": code_version(),
            "parameters": json.dumps(run.parameters, default=str, sort_keys=True),
            "input_rows": json.dumps(run.input_rows, sort_keys=True),
            "output_rows": json.dumps(run.output_rows, sort_keys=True),
            "message": message,
        }
        schema = schemas.get("run_log")
        return pa.Table.from_pylist([row], schema=schema.ibis_schema().to_pyarrow())

    def latest_run(self, stage: str, run_id: str | None = None) -> pd.Series | None:
        """The latest successful run of `stage` (or that run, if `run_id` is given), else None."""
        runs = self.runs()
        runs = runs[(runs.stage == stage) & (runs.status == "ok")]
        if run_id is not None:
            runs = runs[runs.run_id == run_id]
        return None if runs.empty else runs.iloc[-1]

    def runs(self) -> pd.DataFrame:
        if not self.exists("run_log"):
            return pd.DataFrame(columns=list(schemas.get("run_log").names))
        return self.to_pandas(self.table("run_log").order_by("started_at"))


@dataclass
class StageRun:
    """One stage run in progress: what it read, what it wrote.

    `write` replaces a table; `append` adds rows to it without rewriting what is stored
    (DuckDB: inserted inside the stage's transaction; Spark: staged as Parquet in the run's
    scratch folder and moved into the table at commit). Either way nothing is visible to other
    readers until the stage commits, and a failed stage leaves no trace but its run log row.
    """

    store: Store
    stage: str
    parameters: dict[str, Any]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    t0: float = field(default_factory=time.perf_counter)
    input_rows: dict[str, int] = field(default_factory=dict)
    output_rows: dict[str, int] = field(default_factory=dict)
    _pending: list[tuple[str, str]] = field(default_factory=list)
    _appends: dict[str, list[Path]] = field(default_factory=dict)
    _appended: set[str] = field(default_factory=set)
    _scratch: Path | None = None
    committed: bool = False

    @property
    def backend(self) -> Backend:
        return self.store.engine

    def read(self, name: str) -> ibis.Table:
        """Read a stored table as an input of this run (its row count goes in the run log)."""
        t = self.store.table(name)
        self.input_rows[name] = int(t.count().execute())
        return t

    def note_input(self, name: str, rows: int) -> None:
        self.input_rows[name] = int(rows)

    def scratch(self) -> Path:
        """This run's private folder for temporary files (removed when the run ends)."""
        if self._scratch is None:
            owner = {"stage": self.stage, "run_id": self.run_id, "started_at": self.started_at}
            self._scratch = self.backend.scratch(f"{self.stage}-{self.run_id}", owner)
        return self._scratch

    def write(
        self,
        name: str,
        obj: TableLike,
        *,
        conform: bool = True,
        categories: Mapping[str, Sequence[str]] | None = None,
    ) -> int:
        """Stage `obj` as table `name`; conformed to its declared schema when one exists.

        A write after appends to the same table replaces them too: build `obj` from
        `staged(name)` to keep them. `categories`: string columns with every value listed,
        which the engine may store by code (see Backend.create); they read back unchanged.
        """
        expr = _as_ibis(obj)
        if conform and _declared(name):
            expr = schemas.get(name).conform(expr, source=f"stage {self.stage}")
        tmp = f"{_TMP}{self.run_id}_{name}"
        if any(n == name for _, n in self._pending):
            raise StoreError(f"stage {self.stage} wrote table {name} twice")
        self.backend.create(tmp, expr, categories)
        self._pending.append((tmp, name))
        self._appends.pop(name, None)
        rows = self.backend.count(tmp)
        self.output_rows[name] = rows
        return rows

    def append(self, name: str, obj: TableLike, *, conform: bool = True) -> int:
        """Add the rows of `obj` to table `name` (created if absent); returns the rows added.

        Rows are conformed exactly to the declared schema when there is one, so every
        append shares the table's physical types.
        """
        if any(n == name for _, n in self._pending):
            raise StoreError(f"stage {self.stage} appends to table {name} after writing it")
        expr = _as_ibis(obj)
        if conform and _declared(name):
            expr = schemas.get(name).conform(expr, source=f"stage {self.stage}", exact=True)
        rows, part = self.backend.append(name, expr, self.scratch() / "append" / name)
        if part is not None:
            self._appends.setdefault(name, []).append(part)
        self._appended.add(name)
        self.output_rows[name] = self.output_rows.get(name, 0) + rows
        return rows

    def staged(self, name: str) -> ibis.Table:
        """Table `name` as this run will leave it: written earlier in the run, or the stored
        table plus the rows this run appends to it, or the stored table this run has not
        touched (an ingest that supersedes a load reads every table the load fed)."""
        for tmp, n in self._pending:
            if n == name:
                return self.backend.table(tmp)
        parts = self._appends.get(name)
        if parts:
            new = self.backend.read_parquet(parts)
            if not self.store.exists(name):
                return new
            old = self.store.table(name)
            if _declared(name):
                old = schemas.get(name).conform(old)
                new = schemas.get(name).conform(new)
            return ibis.union(old, new.select(*old.columns), distinct=False)
        if name in self._appended or self.store.exists(name):
            return self.store.table(name)
        raise StageError(f"stage {self.stage} has not written {name} yet")

    def begin(self) -> None:
        self.scratch()  # made first: it marks the run as in progress until it ends
        self.backend.begin()

    def commit(self) -> None:
        with interrupt.deferred():
            log = self.store._log_row(self, "ok", None)
            changes = Changes(list(self._pending), dict(self._appends), log)
            try:
                self.backend.commit(changes)
                self.committed = True
            finally:
                self._end()

    def rollback(self) -> None:
        changes = Changes(list(self._pending), dict(self._appends))
        try:
            self.backend.rollback(changes)
        finally:
            self._end()

    def _end(self) -> None:
        self._pending.clear()
        self._appends.clear()
        self._appended.clear()
        if self._scratch is not None:
            self.backend.remove_scratch(self._scratch)
            self._scratch = None


def _message(exc: BaseException, interrupted: bool) -> str:
    if interrupted:
        return "Interrupted (Ctrl-C); the stage was rolled back"
    return str(exc)[:2000]


def _declared(name: str) -> bool:
    return name in {t.name for t in schemas.all_tables()}


def open_store(engine: str = "duckdb", data_dir: Path | str = "yoc-data") -> Store:
    from yearofcare.engine import connect

    return Store(connect(engine, data_dir))
