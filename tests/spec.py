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
