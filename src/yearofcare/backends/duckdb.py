"""The DuckDB backend: every table in one file, `<data-dir>/yoc.duckdb`.

A stage is one transaction: tables it replaces are written under temporary names and renamed
over them at commit, rows it appends are inserted straight into their tables (no copy, no
rewrite of what is stored), and a failure rolls all of it back, so a crash part-way leaves
every table as it was. Nothing outside the stage sees its changes before the commit. (Any
failed statement inside a stage aborts the transaction: the stage then fails as a whole.)
Statements the Ibis API has no word for (rename, insert from Parquet, settings) are built as
sqlglot expressions, never as text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import sqlglot.expressions as sge

from yearofcare.backends.base import TMP_PREFIX, Backend, Changes, Reader
from yearofcare.backends.shuffle import ibis_duckdb
from yearofcare.errors import StoreBusy, StoreError

DUCKDB_FILE = "yoc.duckdb"
DIALECT = "duckdb"


def _table(name: str) -> sge.Table:
    return sge.Table(this=sge.to_identifier(name, quoted=True))


def _as_enum(column: str, values: Sequence[str]) -> sge.Alias:
    enum = sge.DataType(
        this=sge.DataType.Type.ENUM,
        expressions=[sge.Literal.string(v) for v in dict.fromkeys(values)],
    )
    return sge.Cast(this=sge.column(column, quoted=True), to=enum).as_(column, quoted=True)


def set_option(raw: duckdb.DuckDBPyConnection, name: str, value: object) -> None:
    """`SET name = value` on a DuckDB connection (a sqlglot statement, value as a literal)."""
    item = sge.SetItem(this=sge.EQ(this=sge.column(name), expression=sge.convert(value)))
    raw.execute(sge.Set(expressions=[item]).sql(DIALECT))


def get_option(raw: duckdb.DuckDBPyConnection, name: str) -> object:
    query = sge.select(sge.func("current_setting", sge.convert(name)))
    return raw.execute(query.sql(DIALECT)).fetchone()[0]


class DuckDBReader(Reader):
    """The store file opened read-only for each request, closed after it."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.path = self.data_dir / DUCKDB_FILE
        if not self.path.exists():
            raise StoreError(
                f"no store at {self.path}",
                hint="point --data-dir at a store (`yoc demo` makes one), or run `yoc synth` first",
            )

    def version(self) -> float:
        wal = self.path.with_name(self.path.name + ".wal")
        return max(p.stat().st_mtime for p in (self.path, wal) if p.exists())

    @contextmanager
    def connect(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[str]]]:
        try:
            raw = duckdb.connect(str(self.path), read_only=True)
        except duckdb.IOException as exc:
            raise StoreBusy(
                "the store is being updated by a stage right now",
                hint="try again when the `yoc` command writing it has finished",
            ) from exc
        try:
            yield raw, list(ibis.duckdb.from_connection(raw).list_tables())
        finally:
            raw.close()


class DuckDBBackend(Backend):
    """DuckDB, embedded: the default engine."""

    kind = "duckdb"

    def __init__(self, raw: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
        super().__init__(ibis_duckdb().from_connection(raw), data_dir)
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

    @classmethod
    def reader(cls, data_dir: Path) -> DuckDBReader:
        return DuckDBReader(data_dir)

    # ---- tables ------------------------------------------------------------------------------
    def list_tables(self) -> list[str]:
        return list(self.con.list_tables())

    def table(self, name: str) -> ibis.Table:
        return self.con.table(name)

    def temporaries(self) -> list[str]:
        """Temporary tables stored in the file (not this connection's in-memory views)."""
        query = (
            sge.select("table_name")
            .from_(sge.Table(this=sge.Anonymous(this="duckdb_tables")))
            .where("NOT temporary AND database_name = current_database()")
        )
        names = [r[0] for r in self.raw.execute(query.sql(DIALECT)).fetchall()]
        return sorted(n for n in names if n.startswith((TMP_PREFIX, "ibis_")))

    def create(
        self, name: str, expr: ibis.Table, categories: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """`categories` are stored as ENUM columns (a byte or two a row instead of a string:
        writing 50 million rows of a repeated string costs seconds, of an ENUM a fraction);
        Ibis and DuckDB read them back as strings. A value outside its list fails the write."""
        if not categories or expr.op().find(ops.InMemoryTable):
            # (an expression over in-memory tables is written as it is: they are small)
            self.con.create_table(name, expr, overwrite=True)
            return
        inner = self.con.compiler.to_sqlglot(expr)
        columns = [
            _as_enum(c, categories[c]) if categories.get(c) else sge.column(c, quoted=True)
            for c in expr.columns
        ]
        query = sge.select(*columns).from_(sge.paren(inner).as_("t"))
        create = sge.Create(this=_table(name), kind="TABLE", expression=query, replace=True)
        self.raw.execute(create.sql(DIALECT))

    def drop(self, name: str) -> None:
        self.con.drop_table(name, force=True)

    def count(self, name: str) -> int:
        return int(self.con.table(name).count().execute())

    def begin(self) -> None:
        self.raw.begin()

    def append(self, name: str, expr: ibis.Table, folder: Path) -> tuple[int, Path | None]:
        if name not in self.list_tables():
            self.con.create_table(name, expr)
            return self.count(name), None
        before = self.count(name)
        self.con.insert(name, expr)
        return self.count(name) - before, None

    def commit(self, changes: Changes) -> None:
        raw = self.raw
        try:
            for tmp, name in changes.replace:
                raw.execute(sge.Drop(this=_table(name), kind="TABLE", exists=True).sql(DIALECT))
                rename = sge.Alter(
                    this=_table(tmp), kind="TABLE", actions=[sge.AlterRename(this=_table(name))]
                )
                raw.execute(rename.sql(DIALECT))
            if changes.log is not None:
                self.append_rows("run_log", changes.log)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise

    def rollback(self, changes: Changes) -> None:
        self.raw.rollback()

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

    @contextmanager
    def unique_strings(self) -> Iterator[None]:
        """Compress strings with FSST without first trying the other methods: DuckDB picks
        FSST for unique ids anyway (a dictionary does not shrink them), so the stored table
        is the same and tens of millions of ids are written in about half the time. Other
        columns are compressed as usual (FSST applies to strings only)."""
        before = get_option(self.raw, "force_compression")
        set_option(self.raw, "force_compression", "fsst")
        try:
            yield
        finally:
            set_option(self.raw, "force_compression", before)

    def close(self) -> None:
        self.con.disconnect()
