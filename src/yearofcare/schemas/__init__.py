"""Declared tables: one place for names, types, descriptions and constraints."""

from __future__ import annotations

from yearofcare.errors import StageError
from yearofcare.schemas import (
    analysis,
    analysis_care,
    canonical,
    cohorts,
    contracts,
    derived_population,
    finance,
    ingest,
    outcomes,
    planning,
    population,
    quality,
    segmentation,
    synth,
)
from yearofcare.schemas.model import Column, TableSchema, table

_REGISTRY: dict[str, TableSchema] = {}


def register(schema: TableSchema) -> TableSchema:
    """Add a table declaration to the registry (derived tables register from their module)."""
    existing = _REGISTRY.get(schema.name)
    if existing is not None and existing != schema:
        raise ValueError(f"table {schema.name} declared twice with different columns")
    _REGISTRY[schema.name] = schema
    return schema


for _t in (
    *canonical.CANONICAL,
    canonical.run_log,
    *population.TABLES,
    *ingest.TABLES,
    *analysis.TABLES,
    *analysis_care.TABLES,
    *quality.TABLES,
    *derived_population.TABLES,
    *synth.TABLES,
    *segmentation.TABLES,
    *cohorts.TABLES,
    *finance.TABLES,
    *contracts.TABLES,
    *outcomes.CANONICAL,
    *outcomes.TABLES,
    *planning.CANONICAL,
    *planning.TABLES,
):
    register(_t)


def get(name: str) -> TableSchema:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise StageError(
            f"no table called {name!r} is declared",
            hint="declared tables: " + ", ".join(sorted(_REGISTRY)),
        ) from None


def all_tables() -> list[TableSchema]:
    return list(_REGISTRY.values())


__all__ = ["Column", "TableSchema", "all_tables", "get", "register", "table"]
