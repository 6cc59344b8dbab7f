"""What a storage backend does for the `Store`: the one interface every engine implements.

The store is engine-neutral: it asks its backend to list, read, write, append and swap tables,
to execute expressions, and to keep a scratch directory for a run's temporary files. Each
engine has one subclass (`backends/duckdb.py`, `backends/spark.py`), imported only when that
engine is chosen (`engine.connect`), so PySpark is needed only for `--engine spark`.

Domain code never sees a backend: it receives Ibis tables and returns Ibis expressions. The
store, the ingest's staging and benchmarks use the methods below; nothing outside a backend
class touches a connection's private attributes.

To add an engine, subclass `Backend`, implement the abstract methods, and register the class
in `engine.BACKENDS`; `tests/spec` then runs every spec test on it once it is added to
`tests/conftest.py` ENGINES (see docs/architecture.md, "Adding an engine").
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Prefix of every temporary table or directory a stage writes before it commits.
TMP_PREFIX = "__yoc_tmp_"
#: The directory under the data directory that holds a run's temporary files.
SCRATCH_DIR = ".yoc-scratch"
#: The file in a run's scratch folder naming the process that owns it.
OWNER_FILE = "owner.json"
#: Scratch folders of runs in progress in this process (never swept).
_LIVE: set[Path] = set()


@dataclass
class Changes:
    """What a stage commits together: tables replaced and rows appended."""

    #: (temporary name, final name): the temporary replaces the table.
    replace: list[tuple[str, str]] = field(default_factory=list)
    #: final name → Parquet files (or directories of them) whose rows are appended
    #: (backends that cannot append inside a transaction stage rows this way).
    append: dict[str, list[Path]] = field(default_factory=dict)
    #: the stage's run-log row, written with the changes (in the same transaction on DuckDB)
    log: pa.Table | None = None


class Reader(ABC):
    """Read-only access to a store for another reader (the web app), always through DuckDB.

    Opening one never starts the engine that wrote the store (no Spark session for a web
    request) and never locks a writer out for longer than a request.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    @abstractmethod
    def version(self) -> float:
        """Changes whenever a stage writes (the newest modification time of the store)."""

    @abstractmethod
    def connect(self) -> AbstractContextManager[tuple[duckdb.DuckDBPyConnection, list[str]]]:
        """A read-only DuckDB connection and the store's table names, for one request."""


class Backend(ABC):
    """One engine holding the store's tables.

    Attributes: `kind` (the engine's name), `con` (its Ibis connection: compile and inspect
    with it, but do not reach past it) and `data_dir` (where the store lives).
    """

    kind: ClassVar[str]

    def __init__(self, con: ibis.BaseBackend, data_dir: Path) -> None:
        self.con = con
        self.data_dir = Path(data_dir)

    @classmethod
    @abstractmethod
    def open(cls, data_dir: Path, *, threads: int | None = None) -> Backend:
        """Open the store in `data_dir` (which exists and is writable)."""

    @classmethod
    @abstractmethod
    def reader(cls, data_dir: Path) -> Reader:
        """Read-only access to the store in `data_dir` (StoreError when there is none)."""

    # ---- tables ------------------------------------------------------------------------------
    @abstractmethod
    def list_tables(self) -> list[str]:
        """Every table the backend holds, temporaries included."""

    @abstractmethod
    def table(self, name: str) -> ibis.Table:
        """The stored (or temporary) table `name`."""

    @abstractmethod
    def create(
        self, name: str, expr: ibis.Table, categories: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Execute `expr` into table `name`, replacing any table of that name.

        `categories`: string columns whose every value is in the given list; an engine may
        store them by code (DuckDB: ENUM), and they read back as the same strings.
        """

    @abstractmethod
    def drop(self, name: str) -> None:
        """Drop table `name` if it exists."""

    @abstractmethod
    def count(self, name: str) -> int:
        """Rows in table `name` (cheap: metadata where the engine has it)."""

    @abstractmethod
    def begin(self) -> None:
        """A stage starts: on DuckDB its writes and appends form one transaction."""

    @abstractmethod
    def append(self, name: str, expr: ibis.Table, folder: Path) -> tuple[int, Path | None]:
        """Add the rows of `expr` to table `name` (created if absent) for this stage.

        Returns the rows added and, for a backend that stages them, the Parquet written under
        `folder` (moved into the table at `commit`); None when the rows are in the table
        already, visible to this stage only until it commits.
        """

    @abstractmethod
    def commit(self, changes: Changes) -> None:
        """Apply `changes` and end the stage (DuckDB: one transaction; Spark: renames)."""

    @abstractmethod
    def rollback(self, changes: Changes) -> None:
        """Undo the stage: its temporaries and appended rows are gone."""

    @abstractmethod
    def append_rows(self, name: str, rows: pa.Table) -> None:
        """Append a few rows to `name` at once, creating it (the run log; not staged)."""

    # ---- executing ---------------------------------------------------------------------------
    def to_pyarrow(self, expr: ibis.Expr) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        return self.con.execute(expr)

    @abstractmethod
    def to_parquet(self, expr: ibis.Table, path: Path) -> None:
        """Execute `expr` into Parquet at `path` (a file on DuckDB, a directory on Spark)."""

    @abstractmethod
    def read_parquet(self, paths: Sequence[Path]) -> ibis.Table:
        """Parquet files (or directories written by `to_parquet`) as one table."""

    @abstractmethod
    def cache(self, expr: ibis.Table) -> ibis.Table:
        """Materialise `expr` once for repeated use; `.release()` frees it."""

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Tune the engine for writing many rows whose order does not matter."""
        yield

    @contextmanager
    def unique_strings(self) -> Iterator[None]:
        """Tune the engine for writing string columns of (nearly) unique values, e.g. row ids."""
        yield

    def close(self) -> None:
        """Release the connection (the store cannot be used afterwards)."""
        self.con.disconnect()

    # ---- scratch files -----------------------------------------------------------------------
    @property
    def scratch_root(self) -> Path:
        """Where runs keep temporary files; a folder per run, removed when the run ends."""
        return self.data_dir / SCRATCH_DIR

    def scratch(self, label: str = "run", owner: dict | None = None) -> Path:
        """A new private folder for temporary files under `scratch_root`, marked with the
        process that owns it (`owner.json`) so that a later start can tell it was left by a
        run that died."""
        path = self.scratch_root / f"{label}-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True)
        facts = {"pid": os.getpid(), "host": socket.gethostname(), **(owner or {})}
        (path / OWNER_FILE).write_text(json.dumps(facts, default=str), encoding="utf-8")
        _LIVE.add(path.resolve())
        return path

    @staticmethod
    def remove_scratch(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)
        _LIVE.discard(Path(path).resolve())

    def orphan_scratch(self) -> list[tuple[Path, dict]]:
        """Scratch folders whose owning process is gone, with what their owner file says."""
        if not self.scratch_root.is_dir():
            return []
        found = []
        for path in sorted(self.scratch_root.iterdir()):
            if path.resolve() in _LIVE:
                continue
            try:
                owner = json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                owner = {}
            if owner and _alive(owner):
                continue
            found.append((path, owner))
        return found

    def temporaries(self) -> list[str]:
        """Temporary tables the store holds (a stage's, before it commits; Ibis's own)."""
        return [n for n in self.list_tables() if n.startswith((TMP_PREFIX, "ibis_"))]

    def live_runs(self) -> set[str]:
        """Run ids of stages in progress: every scratch folder that is not an orphan."""
        if not self.scratch_root.is_dir():
            return set()
        orphans = {p for p, _ in self.orphan_scratch()}
        runs = set()
        for path in self.scratch_root.iterdir():
            if path in orphans:
                continue
            try:
                runs.add(json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))["run_id"])
            except (OSError, ValueError, KeyError):
                continue
        return runs

    # ---- helpers for subclasses -----------------------------------------------------------------
    @staticmethod
    def parquet_rows(path: Path) -> int:
        """Rows in a Parquet file or in every part file of a directory."""
        path = Path(path)
        if path.is_dir():
            return sum(pq.read_metadata(f).num_rows for f in sorted(path.glob("*.parquet")))
        return pq.read_metadata(path).num_rows


def _alive(owner: dict) -> bool:
    """Whether the process named by a scratch folder's owner file is still running."""
    if owner.get("host") != socket.gethostname():
        return True  # another machine's run (a shared folder): never ours to sweep
    pid = int(owner.get("pid", 0))
    if pid == os.getpid():
        return False  # this process has no such run in progress (it is not in _LIVE)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
