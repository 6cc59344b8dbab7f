"""How a table is declared: columns with types, descriptions and constraints.

A declaration is the single source for the engine schema (`ibis_schema`), the documentation
(`schemas.render`), synthetic data and the checks adapters run on incoming extracts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops

from yearofcare.errors import InputError

#: Types a column may declare, as Ibis type strings.
TYPES = frozenset(
    {"string", "int8", "int16", "int32", "int64", "float64", "date", "timestamp", "boolean"}
)
#: What a column is, beyond its type (None: an ordinary attribute):
#: - identifier: a key or pseudonym naming a person or record (never shown in outputs);
#: - count: a number of people, rows or events (small numbers are suppressed in outputs);
#: - money: an amount in pounds (exact to the penny; totals must reconcile);
#: - derived: computed by a stage from other columns (a flag, score or band).
ROLES = ("identifier", "count", "money", "derived")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: str
    description: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    role: str | None = None

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        if self.role is not None and self.role not in ROLES:
            raise ValueError(f"column {self.name}: unknown role {self.role!r}; one of {ROLES}")

    @property
    def dtype(self) -> dt.DataType:
        return dt.dtype(self.type)

    def constraint_text(self) -> str:
        parts = [self.role] if self.role else []
        parts += [] if self.nullable else ["required"]
        if self.allowed:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.allowed))
        if self.minimum is not None:
            parts.append(f"≥ {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"≤ {self.maximum:g}")
        return "; ".join(parts)


@dataclass(frozen=True)
class TableSchema:
    """A canonical or derived table: its grain, key and columns."""

    name: str
    grain: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    derived: bool = False
    produced_by: str = ""
    _index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"table {self.name}: duplicate columns {sorted(dupes)}")
        missing_key = [k for k in self.key if k not in names]
        if missing_key:
            raise ValueError(f"table {self.name}: key columns not declared {missing_key}")
        self._index.update({c.name: c for c in self.columns})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return self._index[name]

    def with_role(self, role: str) -> tuple[Column, ...]:
        """The columns declared with `role` (see ROLES)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {ROLES}")
        return tuple(c for c in self.columns if c.role == role)

    def ibis_schema(self) -> ibis.Schema:
        return ibis.schema({c.name: c.dtype for c in self.columns})

    def in_order(self, expr: ibis.Table) -> ibis.Table:
        """`expr` sorted by this table's key, then by every other column: one fixed row order
        for code that reads a pulled frame in order (engines return rows in any order)."""
        first = [k for k in self.key if k in expr.columns]
        return expr.order_by([*first, *(c for c in expr.columns if c not in first)])

    def conform(
        self, expr: ibis.Table, *, source: str = "input", exact: bool = False
    ) -> ibis.Table:
        """Select and cast `expr` to this schema, in declared order.

        Raises InputError naming every missing column; extra columns are dropped. `exact`
        casts every column even where Ibis believes the type already matches (an untyped
        literal such as `1.0` is a DECIMAL to DuckDB and Spark): rows written in parts that
        must share one physical type (appends) are conformed exactly.
        """
        missing = [c.name for c in self.columns if c.name not in expr.columns]
        if missing:
            raise InputError(
                f"{source}: table {self.name} is missing column(s) {', '.join(missing)}; "
                f"found {', '.join(expr.columns) or 'none'}",
                hint=f"see docs/data-model.md for the {self.name} contract, "
                "or map the source columns in a mapping file",
            )
        if exact:
            return expr.select(
                **{c.name: ops.Cast(expr[c.name], to=c.dtype).to_expr() for c in self.columns}
            )
        return expr.select([expr[c.name].cast(c.dtype).name(c.name) for c in self.columns])

    def violations(self, expr: ibis.Table) -> ibis.Table:
        """Rows of `expr` that break a declared constraint, with `_column` and `_reason`.

        Returns an expression (not executed) so stages can quarantine or count violations.
        """
        checks: list[ibis.Table] = []
        for c in self.columns:
            col = expr[c.name]
            conds: list[tuple[ibis.BooleanValue, str]] = []
            if not c.nullable:
                conds.append((col.isnull(), "missing required value"))
            if c.allowed:
                conds.append(
                    (col.notnull() & ~col.isin(list(c.allowed)), "value not in allowed set")
                )
            if c.minimum is not None:
                conds.append((col < c.minimum, f"below minimum {c.minimum:g}"))
            if c.maximum is not None:
                conds.append((col > c.maximum, f"above maximum {c.maximum:g}"))
            for cond, reason in conds:
                checks.append(
                    expr.filter(cond).mutate(
                        _column=ibis.literal(c.name), _reason=ibis.literal(reason)
                    )
                )
        if not checks:
            return expr.limit(0).mutate(_column=ibis.literal(""), _reason=ibis.literal(""))
        return ibis.union(*checks)


def table(
    name: str,
    grain: str,
    description: str,
    columns: Sequence[Column],
    *,
    key: Sequence[str] = (),
    derived: bool = False,
    produced_by: str = "",
) -> TableSchema:
    return TableSchema(
        name=name,
        grain=grain,
        description=description,
        columns=tuple(columns),
        key=tuple(key),
        derived=derived,
        produced_by=produced_by,
    )
