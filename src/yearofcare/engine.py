"""Choosing the engine: DuckDB (embedded default) or PySpark (scale).

This is the only module that picks a backend by name. `connect` opens the backend object for
an engine (`backends/duckdb.py`, `backends/spark.py`, imported lazily so PySpark is only needed
for `--engine spark`); the `Store` works through that object's methods, and domain code
receives Ibis tables from the store and returns Ibis expressions: it never names a backend.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

from yearofcare.backends.base import Backend
from yearofcare.errors import EngineError, StoreError

EngineKind = Literal["duckdb", "spark"]
#: Engine name → the backend class that implements it ("module:Class", imported on use).
BACKENDS: dict[str, str] = {
    "duckdb": "yearofcare.backends.duckdb:DuckDBBackend",
    "spark": "yearofcare.backends.spark:SparkBackend",
}
ENGINES: tuple[str, ...] = tuple(BACKENDS)
DUCKDB_FILE = "yoc.duckdb"
SPARK_DIR = "spark"

#: An open engine (kept as a name for callers that typed it): a `Backend`.
Engine = Backend


def check_engine_name(kind: str) -> EngineKind:
    if kind not in BACKENDS:
        raise EngineError(
            f"unknown engine {kind!r}; expected one of {', '.join(ENGINES)}",
            hint="use --engine duckdb (the default, one file on disk) or --engine spark",
        )
    return kind  # type: ignore[return-value]


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the data directory if needed and prove it is writable, before any work starts."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".yoc-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreError(
            f"data directory {data_dir} is not writable ({exc.strerror or exc})",
            hint="choose another directory with --data-dir, or fix its permissions",
        ) from None
    return data_dir


def backend_class(kind: str) -> type[Backend]:
    module, _, name = BACKENDS[check_engine_name(kind)].partition(":")
    return getattr(importlib.import_module(module), name)


def connect(
    kind: str = "duckdb", data_dir: Path | str = "yoc-data", *, threads: int | None = None
) -> Backend:
    """Open the engine `kind` working in `data_dir`."""
    cls = backend_class(kind)
    return cls.open(prepare_data_dir(Path(data_dir)), threads=threads)
