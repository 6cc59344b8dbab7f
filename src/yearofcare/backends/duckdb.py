"""The DuckDB backend: every table in one file, `<data-dir>/yoc.duckdb`.

A stage's commit is one transaction: temporaries are renamed over the tables they replace and
staged Parquet rows are inserted, so a crash part-way leaves every table as it was.
Statements the Ibis API has no word for (rename, insert from Parquet, settings) are built as
sqlglot expressions, never as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import sqlglot.expressions as sge

from yearofcare.backends.base import Backend, Changes
from yearofcare.errors import StoreError

DUCKDB_FILE = "yoc.duckdb"
DIALECT = "duckdb"


def _table(name: str) -> sge.Table:
    return sge.Table(this=sge.to_identifier(name, quoted=True))


def _read_parquet(paths: Sequence[Path]) -> sge.Select:
    files = sge.Array(expressions=[sge.convert(str(p)) for p in paths])
    return sge.select(sge.Star()).from_(sge.Table(this=sge.ReadParquet(expressions=[files])))


def set_option(raw: duckdb.DuckDBPyConnection, name: str, value: object) -> None:
    """`SET name = value` on a DuckDB connection (a sqlglot statement, value as a literal)."""
    item = sge.SetItem(this=sge.EQ(this=sge.column(name), expression=sge.convert(value)))
    raw.execute(sge.Set(expressions=[item]).sql(DIALECT))


def get_option(raw: duckdb.DuckDBPyConnection, name: str) -> object:
    query = sge.select(sge.func("current_setting", sge.convert(name)))
    return raw.execute(query.sql(DIALECT)).fetchone()[0]


class DuckDBBackend(Backend):
    """DuckDB, embedded: the default engine."""

    kind = "duckdb"

    def __init__(self, raw: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
        super().__init__(ibis.duckdb.from_connection(raw), data_dir)
        self.raw = raw  # the DuckDB connection itself: for this class and benchmarks only

    @classmethod
    def open(cls, data_dir: Path, *, threads: int | None = None) -> DuckDBBackend:
        path = data_dir / DUCKDB_FILE
        try:
            raw = duckdb.connect(str(path))
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
            set_option(raw, "threads", int(threads))
        return cls(raw, data_dir)

    # ---- tables ------------------------------------------------------------------------------
    def list_tables(self) -> list[str]:
        return list(self.con.list_tables())

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def create(self, name: str, expr: ibis.Table) -> None:
        self.con.create_table(name, expr, overwrite=True)

    def drop(self, name: str) -> None:
        self.con.drop_table(name, force=True)

    def count(self, name: str) -> int:
        return int(self.con.table(name).count().execute())

    def commit(self, changes: Changes) -> None:
        raw = self.raw
        present = set(self.list_tables())
        raw.begin()
        try:
            for tmp, name in changes.replace:
                raw.execute(sge.Drop(this=_table(name), kind="TABLE", exists=True).sql(DIALECT))
                rename = sge.Alter(
                    this=_table(tmp), kind="TABLE", actions=[sge.AlterRename(this=_table(name))]
                )
                raw.execute(rename.sql(DIALECT))
                present.add(name)
            for name, paths in changes.append.items():
                rows = _read_parquet(paths)
                if name in present:
                    stmt = sge.Insert(this=_table(name), expression=rows, by_name=True)
                else:
                    stmt = sge.Create(this=_table(name), kind="TABLE", expression=rows)
                raw.execute(stmt.sql(DIALECT))
            raw.commit()
        except BaseException:
            raw.rollback()
            raise

    def append_rows(self, name: str, rows: pa.Table) -> None:
        if name not in self.list_tables():
            self.con.create_table(name, schema=ibis.Schema.from_pyarrow(rows.schema))
        self.con.insert(name, rows)

    # ---- executing ---------------------------------------------------------------------------
    def to_parquet(self, expr: ibis.Table, path: Path) -> None:
        self.con.to_parquet(expr, str(path))

    def read_parquet(self, paths: Sequence[Path]) -> ibis.Table:
        return self.con.read_parquet([str(p) for p in paths])

    def cache(self, expr: ibis.Table) -> ibis.Table:
        return expr.cache()

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Let DuckDB insert in parallel without keeping row order (no stored table has one)."""
        before = get_option(self.raw, "preserve_insertion_order")
        set_option(self.raw, "preserve_insertion_order", False)
        try:
            yield
        finally:
            set_option(self.raw, "preserve_insertion_order", bool(before))

    def close(self) -> None:
        self.con.disconnect()
