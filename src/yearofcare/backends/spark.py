"""The PySpark backend: each table a directory of Parquet files under `<data-dir>/spark/`.

A local-mode session (one per process) unless `YOC_SPARK_MASTER` names a cluster. A stage's
commit renames each temporary directory over the table it replaces and moves staged Parquet
files into the tables they append to; every table is read afresh from its directory, so a
commit is visible to the next read.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot.expressions as sge

from yearofcare.backends.base import TMP_PREFIX, Backend, Changes, Reader
from yearofcare.errors import EngineError, StoreError

SPARK_DIR = "spark"

_SESSION = None


def _session(data_dir: Path, threads: int | None):
    """The process's Spark session, started on first use."""
    global _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the spark engine needs PySpark, which is not installed",
            hint="pip install 'yearofcare[spark]' (make test installs it), or use --engine duckdb",
        ) from None
    if _SESSION is None:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        master = os.environ.get("YOC_SPARK_MASTER", f"local[{threads or 2}]")
        try:
            _SESSION = (
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
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


class SparkReader(Reader):
    """The Parquet folders read through an in-memory DuckDB, one view per table: reading a
    Spark store never starts Spark."""

    _SKIP = (TMP_PREFIX, "ibis_", "_")

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.root = self.data_dir / SPARK_DIR
        if not self.root.is_dir():
            raise StoreError(
                f"no Spark store at {self.root}",
                hint="run the stages with --engine spark first, or serve the DuckDB store",
            )
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    def version(self) -> float:
        return max((p.stat().st_mtime for p in self.root.iterdir()), default=0.0)

    @contextmanager
    def connect(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[str]]]:
        with self._lock:
            if self._con is None:
                self._con = duckdb.connect(":memory:")
            cur = self._con.cursor()
        try:
            yield cur, self._refresh_views(cur)
        finally:
            cur.close()

    def _refresh_views(self, cur: duckdb.DuckDBPyConnection) -> list[str]:
        names = []
        for p in sorted(self.root.iterdir()):
            if not p.is_dir() or p.name.startswith(self._SKIP) or not any(p.glob("*.parquet")):
                continue
            files = sge.ReadParquet(
                expressions=[
                    sge.convert(str(p / "*.parquet")),
                    sge.EQ(this=sge.column("union_by_name"), expression=sge.true()),
                ]
            )
            view = sge.Create(
                this=sge.Table(this=sge.to_identifier(p.name, quoted=True)),
                kind="VIEW",
                replace=True,
                expression=sge.select(sge.Star()).from_(sge.Table(this=files)),
                properties=sge.Properties(expressions=[sge.TemporaryProperty()]),
            )
            cur.execute(view.sql("duckdb"))
            names.append(p.name)
        return names


class SparkBackend(Backend):
    """PySpark over Parquet: the engine for a region or a nation."""

    kind = "spark"

    def __init__(self, session, data_dir: Path) -> None:
        super().__init__(ibis.pyspark.connect(session), data_dir)
        self.session = session
        self.root = self.data_dir / SPARK_DIR
        self.root.mkdir(exist_ok=True)

    @classmethod
    def open(cls, data_dir: Path, *, threads: int | None = None) -> SparkBackend:
        return cls(_session(data_dir, threads), data_dir)

    @classmethod
    def reader(cls, data_dir: Path) -> SparkReader:
        return SparkReader(data_dir)

    # ---- tables ------------------------------------------------------------------------------
    def list_tables(self) -> list[str]:
        return [p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("_")]

    def table(self, name: str) -> ibis.Table:
        return self.con.read_parquet(str(self.root / name), table_name=name)

    def create(
        self, name: str, expr: ibis.Table, categories: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Parquet already stores repeated strings by dictionary: `categories` are not needed."""
        path = self.root / name
        shutil.rmtree(path, ignore_errors=True)
        self.con.to_parquet(expr, str(path))

    def drop(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)
        self.session.catalog.dropTempView(name)

    def count(self, name: str) -> int:
        return self.parquet_rows(self.root / name)

    def rename(self, name: str, new: str) -> None:
        (self.root / name).rename(self.root / new)
        self.session.catalog.dropTempView(new)

    def begin(self) -> None:
        """Nothing to open: a stage's tables and rows are staged as Parquet until `commit`."""

    def append(self, name: str, expr: ibis.Table, folder: Path) -> tuple[int, Path | None]:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"part-{uuid.uuid4().hex[:12]}"
        self.con.to_parquet(expr, str(path))
        return self.parquet_rows(path), path

    def rollback(self, changes: Changes) -> None:
        for tmp, _ in changes.replace:
            self.drop(tmp)

    def commit(self, changes: Changes) -> None:
        for tmp, name in changes.replace:
            final, old = self.root / name, self.root / f"{TMP_PREFIX}old_{name}"
            shutil.rmtree(old, ignore_errors=True)
            if final.exists():
                final.rename(old)
            (self.root / tmp).rename(final)
            shutil.rmtree(old, ignore_errors=True)
            self.session.catalog.dropTempView(name)
        for name, paths in changes.append.items():
            folder = self.root / name
            folder.mkdir(exist_ok=True)
            for path in paths:
                files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
                for f in files:
                    f.rename(folder / f"part-{uuid.uuid4().hex}.parquet")
            self.session.catalog.dropTempView(name)
        if changes.log is not None:
            self.append_rows("run_log", changes.log)

    def temporaries(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.name.startswith(TMP_PREFIX))

    def append_rows(self, name: str, rows: pa.Table) -> None:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows, folder / f"part-{uuid.uuid4().hex}.parquet")

    # ---- executing ---------------------------------------------------------------------------
    def to_parquet(self, expr: ibis.Table, path: Path) -> None:
        self.con.to_parquet(expr, str(path))

    def read_parquet(self, paths: Sequence[Path]) -> ibis.Table:
        name = f"{TMP_PREFIX}parquet_{uuid.uuid4().hex[:12]}"
        self.session.read.parquet(*[str(p) for p in paths]).createOrReplaceTempView(name)
        return self.con.table(name)

    def cache(self, expr: ibis.Table) -> ibis.Table:
        """A cached Spark DataFrame. Executing an empty query first registers the expression's
        in-memory tables: ibis 12's PySpark `cache()` compiles the query without doing so."""
        self.to_pandas(expr.limit(0))
        return expr.cache()

    def close(self) -> None:
        """The session is shared by the process and stays up; nothing to release."""
