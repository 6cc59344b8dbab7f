"""Test-only: DuckDB hands back the rows of an unordered query in a seeded shuffled order.

DuckDB returns the rows of a join, aggregate or `distinct` in whatever order its threads
finish, so code that fits a model, draws a sample, numbers rows or keeps "the first" row of a
frame it pulled out must sort that frame on a unique key first, or the same inputs and settings
give a different store (issue 10, finding 11). A rare, thread-timing failure is hard to see;
this makes it certain. With the environment variable `YOC_SHUFFLE_ROWS` set to an integer seed,
every DuckDB connection yearofcare opens (the store's, an ingest's scratch database, the web
app's) returns the rows of any expression whose top is not a sort in a shuffled order (a
different permutation for every query, drawn from the seed). A run with it and a run without
must leave stores with the same checksums (`yearofcare.checksum`); every table that differs
depends on row order somewhere. Expressions ordered at the top (`order_by`, optionally followed
by a projection or a limit) are left alone, as are statements run as SQL text. Never set it in
production: it pulls every result through Arrow once more.
"""

from __future__ import annotations

import itertools
import os

import ibis
import ibis.expr.operations as ops
import numpy as np
from ibis.backends.duckdb import Backend as IbisDuckDB

#: The environment variable holding the seed; unset (or empty) = results as DuckDB gives them.
ENV = "YOC_SHUFFLE_ROWS"

_queries = itertools.count()


def shuffle_seed() -> int | None:
    """The seed in `YOC_SHUFFLE_ROWS`, or None when shuffling is off."""
    value = os.environ.get(ENV, "").strip()
    return int(value) if value else None


def ibis_duckdb() -> type[IbisDuckDB]:
    """The Ibis DuckDB backend class to open connections with: shuffling when asked to."""
    return ShuffledDuckDB if shuffle_seed() is not None else IbisDuckDB


def ordered(expr: ibis.Expr) -> bool:
    """Whether `expr`'s rows come out in an order it states (a sort at its top, under at most
    projections, filters and limits, which keep the order of what they read)."""
    op = expr.as_table().op()
    while isinstance(op, ops.Project | ops.Filter | ops.Limit):
        op = op.parent
    return isinstance(op, ops.Sort)


class ShuffledDuckDB(IbisDuckDB):
    """Ibis's DuckDB backend, with unordered results shuffled (see the module docstring)."""

    def _to_duckdb_relation(self, expr, **kwargs):
        rel = super()._to_duckdb_relation(expr, **kwargs)
        seed = shuffle_seed()
        if seed is None or ordered(expr):
            return rel
        table = rel.to_arrow_table()
        rng = np.random.default_rng([seed, next(_queries)])
        return self.con.from_arrow(table.take(rng.permutation(table.num_rows)))
