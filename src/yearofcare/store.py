"""Named tables, written atomically, and the run log.

A stage writes its tables inside `Store.stage(...)`. Each table is first written under a
temporary name; only when the stage finishes without error are the temporaries swapped in
(in one transaction on DuckDB), so a failed stage leaves every previous table intact. Each
run — succeeded or failed — is recorded in `run_log` with its parameters, input and output
row counts, code version and timings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from yearofcare import __version__, schemas
from yearofcare.engine import SPARK_DIR, Engine
from yearofcare.errors import StageError, StoreError

TableLike = ibis.Table | pa.Table | pd.DataFrame
_TMP = "__yoc_tmp_"


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
    """The named tables of one care economy, on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.con = engine.con
        self._spark_root = engine.data_dir / SPARK_DIR

    # ---- reading -------------------------------------------------------------------------
    def tables(self) -> list[str]:
        if self.engine.kind == "duckdb":
            names = self.con.list_tables()
        else:
            names = [
                p.name
                for p in self._spark_root.iterdir()
                if p.is_dir() and not p.name.startswith("_")
            ]
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
        if self.engine.kind == "duckdb":
            return self.con.table(name)
        return self.con.read_parquet(str(self._spark_root / name), table_name=name)

    def count(self, name: str) -> int:
        return int(self.table(name).count().execute())

    def cache(self, expr: ibis.Table) -> ibis.Table:
        """Materialise `expr` once (a temporary table, or a cached Spark DataFrame); call
        `.release()` on the result when done. The empty query first registers the
        expression's in-memory tables (ibis 12's PySpark `cache()` does not)."""
        self.to_pandas(expr.limit(0))
        return expr.cache()

    def to_pyarrow(self, expr: ibis.Table) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def to_pandas(self, expr: ibis.Table) -> pd.DataFrame:
        return self.con.execute(expr)

    # ---- writing -------------------------------------------------------------------------
    @contextmanager
    def stage(self, stage: str, parameters: Mapping[str, Any] | None = None) -> Iterator[StageRun]:
        """Run a stage: tables written through the yielded run are committed together on success."""
        run = StageRun(self, stage, dict(parameters or {}))
        try:
            yield run
            run.commit()
        except BaseException as exc:
            run.rollback()
            self._log(run, "failed", str(exc)[:2000])
            raise
        self._log(run, "ok", None)

    def _write_tmp(self, tmp: str, expr: ibis.Table) -> None:
        if self.engine.kind == "duckdb":
            self.con.create_table(tmp, expr, overwrite=True)
        else:
            path = self._spark_root / tmp
            shutil.rmtree(path, ignore_errors=True)
            self.con.to_parquet(expr, str(path))

    def _swap(self, pairs: list[tuple[str, str]]) -> None:
        if self.engine.kind == "duckdb":
            raw = self.con.con
            raw.execute("BEGIN TRANSACTION")
            try:
                for tmp, name in pairs:
                    raw.execute(f'DROP TABLE IF EXISTS "{name}"')
                    raw.execute(f'ALTER TABLE "{tmp}" RENAME TO "{name}"')
                raw.execute("COMMIT")
            except Exception:
                raw.execute("ROLLBACK")
                raise
            return
        for tmp, name in pairs:
            final, old = self._spark_root / name, self._spark_root / f"{_TMP}old_{name}"
            shutil.rmtree(old, ignore_errors=True)
            if final.exists():
                final.rename(old)
            (self._spark_root / tmp).rename(final)
            shutil.rmtree(old, ignore_errors=True)
            self.con._session.catalog.dropTempView(name)

    def _drop_tmp(self, tmp: str) -> None:
        if self.engine.kind == "duckdb":
            self.con.drop_table(tmp, force=True)
        else:
            shutil.rmtree(self._spark_root / tmp, ignore_errors=True)

    def _log(self, run: StageRun, status: str, message: str | None) -> None:
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
        arrow = pa.Table.from_pylist([row], schema=schema.ibis_schema().to_pyarrow())
        if self.engine.kind == "duckdb":
            if "run_log" not in self.con.list_tables():
                self.con.create_table("run_log", schema=schema.ibis_schema())
            self.con.insert("run_log", arrow)
        else:
            path = self._spark_root / "run_log"
            path.mkdir(parents=True, exist_ok=True)
            pq.write_table(arrow, path / f"part-{run.run_id}.parquet")

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
    """One stage run in progress: what it read, what it wrote."""

    store: Store
    stage: str
    parameters: dict[str, Any]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    t0: float = field(default_factory=time.perf_counter)
    input_rows: dict[str, int] = field(default_factory=dict)
    output_rows: dict[str, int] = field(default_factory=dict)
    _pending: list[tuple[str, str]] = field(default_factory=list)

    def read(self, name: str) -> ibis.Table:
        """Read a stored table as an input of this run (its row count goes in the run log)."""
        t = self.store.table(name)
        self.input_rows[name] = int(t.count().execute())
        return t

    def note_input(self, name: str, rows: int) -> None:
        self.input_rows[name] = int(rows)

    def write(self, name: str, obj: TableLike, *, conform: bool = True) -> int:
        """Stage `obj` as table `name`; conformed to its declared schema when one exists."""
        expr = _as_ibis(obj)
        if conform and name in {t.name for t in schemas.all_tables()}:
            expr = schemas.get(name).conform(expr, source=f"stage {self.stage}")
        tmp = f"{_TMP}{self.run_id}_{name}"
        if any(n == name for _, n in self._pending):
            raise StoreError(f"stage {self.stage} wrote table {name} twice")
        self.store._write_tmp(tmp, expr)
        self._pending.append((tmp, name))
        if self.store.engine.kind == "duckdb":
            rows = int(self.store.con.table(tmp).count().execute())
        else:
            rows = pq.ParquetDataset(self.store._spark_root / tmp).read(columns=[]).num_rows
        self.output_rows[name] = rows
        return rows

    def staged(self, name: str) -> ibis.Table:
        """A table written earlier in this run, before commit."""
        for tmp, n in self._pending:
            if n == name:
                if self.store.engine.kind == "duckdb":
                    return self.store.con.table(tmp)
                return self.store.con.read_parquet(
                    str(self.store._spark_root / tmp), table_name=tmp
                )
        raise StageError(f"stage {self.stage} has not written {name} yet")

    def commit(self) -> None:
        if self._pending:
            self.store._swap(self._pending)
        self._pending.clear()

    def rollback(self) -> None:
        for tmp, _ in self._pending:
            self.store._drop_tmp(tmp)
        self._pending.clear()


def open_store(engine: str = "duckdb", data_dir: Path | str = "yoc-data") -> Store:
    from yearofcare.engine import connect

    return Store(connect(engine, data_dir))
