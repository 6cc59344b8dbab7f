"""Helpers for spec tests: tiny inline tables in, hand-worked answers out, on every engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import pandas as pd

from yearofcare import schemas
from yearofcare.store import Store


def load(store: Store, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Write tiny tables into `store`; declared columns not given are filled with nulls."""
    with store.stage("spec-setup") as run:
        for name, rows in tables.items():
            frame = pd.DataFrame(list(rows))
            try:
                declared = schemas.get(name)
            except Exception:  # noqa: BLE001 - undeclared helper tables are written as given
                run.write(name, frame, conform=False)
                continue
            for col in declared.columns:
                if col.name not in frame.columns:
                    frame[col.name] = None
            run.write(name, ibis.memtable(frame, schema=_nullable_schema(declared, frame)))


def _nullable_schema(declared: schemas.TableSchema, frame: pd.DataFrame) -> ibis.Schema:
    return ibis.schema({c: declared.column(c).dtype for c in frame.columns if c in declared.names})


def rows(
    store: Store, expr: ibis.Table, order_by: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Execute `expr` and return plain dict rows, sorted for stable comparison."""
    frame = store.to_pandas(expr)
    keys = list(order_by or frame.columns)
    frame = frame.sort_values(keys).reset_index(drop=True)
    return [
        {k: (None if pd.isna(v) else v) for k, v in rec.items()}
        for rec in frame.to_dict(orient="records")
    ]


def spec_test(
    store: Store,
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    expression: Any,
    expected: Sequence[Mapping[str, Any]],
    *,
    order_by: Sequence[str] | None = None,
    approx: float | None = None,
) -> None:
    """ehrQL-style spec test: load `tables`, build `expression(store)`, compare with `expected`.

    `expression` is a function of the store returning an Ibis table (domain code builds
    expressions; the test executes them). Run it with the `store` fixture so every spec runs on
    every engine. Only the columns named in `expected` are compared; floats compare to within
    `approx` (relative) when given.
    """
    import math

    load(store, tables)
    got = rows(store, expression(store), order_by=order_by)
    want = [dict(r) for r in expected]
    columns = list(want[0]) if want else []
    got = [{c: r.get(c) for c in columns} for r in got]
    if order_by is None and columns:
        key = lambda r: tuple((v is None, str(v)) for v in (r[c] for c in columns))  # noqa: E731
        got, want = sorted(got, key=key), sorted(want, key=key)
    if approx is not None:
        for g, w in zip(got, want, strict=False):
            for c in columns:
                close = isinstance(w[c], float) and isinstance(g[c], (int, float))
                if close and math.isclose(g[c], w[c], rel_tol=approx, abs_tol=approx):
                    g[c] = w[c]
    assert got == want, f"\nexpected {want}\n     got {got}"
