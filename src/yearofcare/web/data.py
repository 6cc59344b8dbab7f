"""A read-only view of the store for the web app, always through DuckDB.

The engine's backend supplies the reader (`Backend.reader`): for a DuckDB store each request
opens the file read-only (DuckDB shares one database instance per process, so this is cheap)
and closes it after, so a stage run from the command line between requests is not locked out
for the life of the server; for a Spark store the stage outputs are Parquet folders, read
through an in-memory DuckDB with one view per table, so no request ever starts Spark. Either
way pages get Ibis tables, as the stages do.
"""

from __future__ import annotations

import json
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

from yearofcare.backends.shuffle import ibis_duckdb
from yearofcare.engine import backend_class
from yearofcare.errors import StoreError

_TMP_PREFIXES = ("__yoc_tmp_", "ibis_", "_")


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
    """Opens read-only connections to a store's tables, through its engine's `Reader`
    (`backends`: the DuckDB file, or Spark's Parquet folders read by DuckDB)."""

    def __init__(self, data_dir: Path, engine: str = "duckdb") -> None:
        self.data_dir = Path(data_dir)
        self.engine = engine
        self.compiled: dict[tuple, str] = {}  # (query, parameter names, store version) -> SQL
        self._reader = backend_class(engine).reader(self.data_dir)

    def version(self) -> float:
        """Changes whenever a stage writes: the newest modification time of the store."""
        return self._reader.version()

    @contextmanager
    def connect(self) -> Iterator[Snapshot]:
        with self._reader.connect() as (raw, names):
            yield Snapshot(raw, [(n,) for n in names], self)


class Snapshot:
    """One request's connection: Ibis tables, existence checks and provenance."""

    def __init__(self, raw: duckdb.DuckDBPyConnection, tables: list[tuple], reader: StoreReader):
        self.raw = raw
        self.reader = reader
        self.engine = reader.engine
        self.names = frozenset(t[0] for t in tables if not str(t[0]).startswith(_TMP_PREFIXES))
        self.con = ibis_duckdb().from_connection(raw)
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
