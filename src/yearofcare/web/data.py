"""A read-only view of the store for the web app, always through DuckDB.

DuckDB store: each request opens the file read-only (DuckDB shares one database instance per
process, so this is cheap) and closes it after, so a stage run from the command line between
requests is not locked out for the life of the server. Spark store: the stage outputs are
Parquet folders, read through an in-memory DuckDB with one view per table, so no request ever
starts Spark. Either way pages get Ibis tables, as the stages do.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd
import sqlglot
import sqlglot.expressions as sge

from yearofcare.engine import DUCKDB_FILE, SPARK_DIR, read_only_duckdb
from yearofcare.errors import StoreError

_TMP_PREFIXES = ("__yoc_tmp_", "ibis_", "_")


class StoreBusy(StoreError):
    """The store file is locked by a stage that is writing to it."""


@dataclass(frozen=True)
class Provenance:
    """Which run wrote a table: shown on every page and in every download."""

    table: str
    run_id: str
    stage: str
    finished_at: str
    code_version: str
    engine: str
    rows: int | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: Stand-in values a query is compiled with, one per parameter type; `Snapshot.prepared`
#: turns each into a bound parameter in the compiled SQL tree.
SENTINELS: dict[type, tuple[Any, ...]] = {
    int: (987_654_301, 987_654_302, 987_654_303, 987_654_304),
    str: ("__yoc_p0__", "__yoc_p1__", "__yoc_p2__", "__yoc_p3__"),
}


class StoreReader:
    """Opens read-only connections to a store's tables (DuckDB file or Spark Parquet)."""

    def __init__(self, data_dir: Path, engine: str = "duckdb") -> None:
        self.data_dir = Path(data_dir)
        self.engine = engine
        self._lock = threading.Lock()
        self.compiled: dict[tuple, str] = {}  # (query, parameter names, store version) -> SQL
        self._spark: duckdb.DuckDBPyConnection | None = None
        if engine == "duckdb" and not (self.data_dir / DUCKDB_FILE).exists():
            raise StoreError(
                f"no store at {self.data_dir / DUCKDB_FILE}",
                hint="point --data-dir at a store (`yoc demo` makes one), or run `yoc synth` first",
            )
        if engine == "spark" and not (self.data_dir / SPARK_DIR).is_dir():
            raise StoreError(
                f"no Spark store at {self.data_dir / SPARK_DIR}",
                hint="run the stages with --engine spark first, or serve the DuckDB store",
            )

    def version(self) -> float:
        """Changes whenever a stage writes: the newest modification time of the store."""
        if self.engine == "duckdb":
            path = self.data_dir / DUCKDB_FILE
            wal = path.with_name(path.name + ".wal")
            return max(p.stat().st_mtime for p in (path, wal) if p.exists())
        root = self.data_dir / SPARK_DIR
        return max((p.stat().st_mtime for p in root.iterdir()), default=0.0)

    @contextmanager
    def connect(self) -> Iterator[Snapshot]:
        if self.engine == "duckdb":
            try:
                raw = read_only_duckdb(self.data_dir / DUCKDB_FILE)
            except duckdb.IOException as exc:
                raise StoreBusy(
                    "the store is being updated by a stage right now",
                    hint="try again when the `yoc` command writing it has finished",
                ) from exc
            try:
                yield Snapshot(raw, raw.execute("SHOW TABLES").fetchall(), self)
            finally:
                raw.close()
            return
        with self._lock:
            if self._spark is None:
                self._spark = read_only_duckdb()
            cur = self._spark.cursor()
        try:
            names = self._refresh_views(cur)
            yield Snapshot(cur, [(n,) for n in names], self)
        finally:
            cur.close()

    def _refresh_views(self, cur: duckdb.DuckDBPyConnection) -> list[str]:
        root = self.data_dir / SPARK_DIR
        names = []
        for p in sorted(root.iterdir()):
            if not p.is_dir() or p.name.startswith(_TMP_PREFIXES):
                continue
            files = list(p.glob("*.parquet"))
            if not files:
                continue
            glob = str(p / "*.parquet").replace("'", "''")
            cur.execute(
                f'CREATE OR REPLACE TEMP VIEW "{p.name}" AS '
                f"SELECT * FROM read_parquet('{glob}', union_by_name = true)"
            )
            names.append(p.name)
        return names


class Snapshot:
    """One request's connection: Ibis tables, existence checks and provenance."""

    def __init__(self, raw: duckdb.DuckDBPyConnection, tables: list[tuple], reader: StoreReader):
        self.raw = raw
        self.reader = reader
        self.engine = reader.engine
        self.names = frozenset(t[0] for t in tables if not str(t[0]).startswith(_TMP_PREFIXES))
        self.con = ibis.duckdb.from_connection(raw)
        self._runs: pd.DataFrame | None = None

    def exists(self, name: str) -> bool:
        return name in self.names

    def table(self, name: str) -> ibis.Table:
        if name not in self.names:
            raise StoreError(f"the store has no table {name!r}")
        return self.con.table(name)

    def execute(self, expr: ibis.Expr) -> pd.DataFrame:
        return _plain(self.con.execute(expr))

    def prepared(
        self,
        name: str,
        build: Callable[..., ibis.Table],
        params: Mapping[str, Any],
    ) -> pd.DataFrame:
        """Run `build(**params)` as compiled SQL with bound parameters, compiling it only once
        per query, set of parameters and store version (Ibis compilation costs more than a
        DuckDB aggregate over a year of a million people). `build` must use each parameter
        only as a value (in a comparison), never to choose the query's shape."""
        shape = tuple(sorted((k, type(v).__name__) for k, v in params.items() if v is not None))
        key = (name, shape, self.reader.version())
        sql = self.reader.compiled.get(key)
        stand_in: dict[str, Any] = {}
        if sql is None:
            used = {int: 0, str: 0}
            literal_to_name: dict[str, str] = {}
            for k, kind in shape:
                t = int if kind == "int" else str
                stand_in[k] = SENTINELS[t][used[t]]
                used[t] += 1
                literal_to_name[str(stand_in[k])] = k
            expr = build(**stand_in)
            tree = sqlglot.parse_one(str(ibis.to_sql(expr, dialect="duckdb")), read="duckdb")

            def bind(node: sge.Expression) -> sge.Expression:
                if isinstance(node, sge.Literal) and node.this in literal_to_name:
                    return sge.Placeholder(this=literal_to_name[node.this])
                return node

            sql = tree.transform(bind).sql(dialect="duckdb")
            self.reader.compiled[key] = sql
        values = {k: v for k, v in params.items() if v is not None}
        return _plain(self.raw.execute(sql, values).df())

    def runs(self) -> pd.DataFrame:
        if self._runs is None:
            if "run_log" not in self.names:
                self._runs = pd.DataFrame(
                    columns=["run_id", "stage", "status", "finished_at", "output_rows"]
                )
            else:
                self._runs = self.raw.execute(
                    "SELECT run_id, stage, status, finished_at, code_version, engine, output_rows "
                    "FROM run_log WHERE status = 'ok' ORDER BY finished_at"
                ).df()
        return self._runs

    def provenance(self, table: str) -> Provenance | None:
        """The latest successful run that wrote `table`."""
        runs = self.runs()
        for row in runs.iloc[::-1].itertuples():
            try:
                outputs = json.loads(row.output_rows or "{}")
            except (TypeError, ValueError):
                continue
            if table in outputs:
                return Provenance(
                    table=table,
                    run_id=str(row.run_id),
                    stage=str(row.stage),
                    finished_at=str(row.finished_at)[:19],
                    code_version=str(row.code_version),
                    engine=str(row.engine),
                    rows=int(outputs[table]),
                )
        return None


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as plain Python objects: pandas' Arrow-backed strings make the small
    group-bys the pages do on aggregates slow (a copy per inserted column)."""
    for col in frame.columns:
        if pd.api.types.is_string_dtype(frame[col].dtype) and frame[col].dtype != object:
            frame[col] = frame[col].astype(object)
    return frame
