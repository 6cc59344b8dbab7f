"""Connections to the compute engines: DuckDB (embedded default) and PySpark (scale).

This is the only module that opens connections. Domain code receives Ibis tables from the
store and returns Ibis expressions; it never names a backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ibis

from yearofcare.errors import EngineError, StoreError

EngineKind = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
DUCKDB_FILE = "yoc.duckdb"
SPARK_DIR = "spark"


@dataclass(frozen=True)
class Engine:
    """An open engine: its kind, the Ibis backend and the data directory it works in."""

    kind: EngineKind
    con: ibis.BaseBackend
    data_dir: Path


def check_engine_name(kind: str) -> EngineKind:
    if kind not in ENGINES:
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


def connect(
    kind: str = "duckdb", data_dir: Path | str = "yoc-data", *, threads: int | None = None
) -> Engine:
    """Open the engine `kind` working in `data_dir`."""
    kind = check_engine_name(kind)
    data_dir = prepare_data_dir(Path(data_dir))
    if kind == "duckdb":
        return Engine("duckdb", _duckdb(data_dir, threads), data_dir)
    return Engine("spark", _spark(data_dir, threads), data_dir)


def _duckdb(data_dir: Path, threads: int | None) -> ibis.BaseBackend:
    import duckdb

    path = data_dir / DUCKDB_FILE
    try:
        con = ibis.duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"the store {path} is in use by another process",
                hint="wait for the other yoc command to finish, or use another --data-dir",
            ) from None
        raise StoreError(
            f"cannot open the store {path}: {exc}", hint="check the file is a DuckDB database"
        ) from None
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    return con


_SPARK_SESSION = None


def _spark(data_dir: Path, threads: int | None) -> ibis.BaseBackend:
    """A local-mode Spark session (one per process); tables are Parquet under data_dir/spark."""
    global _SPARK_SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the spark engine needs PySpark, which is not installed",
            hint="pip install 'yearofcare[spark]' (make test installs it), or use --engine duckdb",
        ) from None
    if _SPARK_SESSION is None:
        os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
        master = os.environ.get("YOC_SPARK_MASTER", f"local[{threads or 2}]")
        try:
            _SPARK_SESSION = (
                SparkSession.builder.master(master)
                .appName("yearofcare")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.driver.memory", "4g")
                .config(
                    "spark.sql.warehouse.dir", str((data_dir / SPARK_DIR / "_warehouse").resolve())
                )
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.sql.ansi.enabled", "false")
                .getOrCreate()
            )
        except Exception as exc:  # noqa: BLE001 - py4j raises plain Exception when Java is missing
            raise EngineError(
                f"could not start Spark: {exc}",
                hint="PySpark needs Java 17 on PATH (apt-get install default-jre-headless)",
            ) from None
        _SPARK_SESSION.sparkContext.setLogLevel("ERROR")
    (data_dir / SPARK_DIR).mkdir(exist_ok=True)
    return ibis.pyspark.connect(_SPARK_SESSION)
