"""Typing and checking one raw column, as Ibis expressions (the ingest parse's layer of checks).

Each contract column (`RawColumn`) becomes a `Checked`: the values computed once per row
(`pre`: blanked text, parsed date, number, normalised code, mapped code), the typed value and
the reason code of a problem (both from those values), and the message for a reason. The
parse selects `pre` in one layer and `typed`/`error` in the next, so each value is parsed
once however many checks read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.datatypes as dt

from yearofcare import codes
from yearofcare.sources.base import Adapter, RawColumn
from yearofcare.sources.mapping import Mapping

MIN_DATE = date(1890, 1, 1)
MAX_DATE = date(2099, 12, 31)
#: Whole numbers beyond this are out of range: float64 holds every integer up to 2**53 exactly,
#: and the int64 cast of anything larger may overflow.
INT_LIMIT = 2**53


@dataclass(frozen=True)
class Bounds:
    """Plausibility bounds (issue 10): dates after `latest` and numbers above `max_value` (in a
    column with no declared maximum: costs in pounds, quantities, units) are out of bounds. A
    required column's out-of-bound value quarantines the row; an optional one is blanked and
    the correction recorded."""

    latest: date = MAX_DATE
    max_value: float = 1e12


VALUE_CHARS = 60
#: Reasons that quarantine the row even when the column is optional.
QUARANTINE_ALWAYS = ("duplicate", "malformed_row", "excluded", "end_before_start")


@ibis.udf.scalar.builtin(name="try_strptime")
def _try_strptime(value: str, format: str) -> dt.timestamp:
    """DuckDB's `try_strptime`: NULL where the text does not fit the format."""


@dataclass
class Checked:
    """One column's typing and checks (see the module docstring)."""

    name: str
    required: bool
    pre: dict[str, ibis.Value]
    typed: Callable[[ibis.Table], ibis.Value]
    error: Callable[[ibis.Table], ibis.StringValue] | None = None
    messages: dict[str, str] = field(default_factory=dict)  # reason → text after the value
    default_message: str = ""
    raw: ibis.Value | None = None

    def message(self, reason: ibis.StringValue, raw: ibis.StringValue) -> ibis.StringValue:
        """The message for `reason` with the raw value shown (quoted, first 60 characters)."""
        shown = f"{self.name} '" + raw.left(VALUE_CHARS).fill_null("") + "'"
        missing = f"{self.name} is blank but required"
        branches = [(reason == "missing_required", ibis.literal(missing))]
        branches += [(reason == r, shown + text) for r, text in self.messages.items()]
        return ibis.cases(*branches, else_=shown + self.default_message)


def blank(value: ibis.StringValue, nulls: Sequence[str]) -> ibis.StringValue:
    """Trimmed text; empty and the format's null markers become NULL."""
    v = value.strip().nullif("")
    if nulls:
        v = ibis.ifelse(v.isin(list(nulls)), ibis.null("string"), v)
    return v


def parse_date(value: ibis.StringValue, formats: Sequence[str]) -> ibis.DateValue:
    """Parse with the formats in order; ISO dates take DuckDB's fast cast."""
    parts = [
        value.try_cast("date") if f == "%Y-%m-%d" else _try_strptime(value, f).cast("date")
        for f in formats
    ]
    return parts[0] if len(parts) == 1 else ibis.coalesce(*parts)


def _isin(value: ibis.Value, values: Sequence[str]) -> ibis.BooleanValue:
    return value.isin(list(values)) if values else ibis.literal(False)


def _missing(required: bool, v: ibis.Value) -> list[tuple[ibis.BooleanValue, ibis.Value]]:
    return [(v.isnull(), ibis.literal("missing_required"))] if required else []


def _cases(branches: list[tuple[ibis.BooleanValue, object]]) -> ibis.StringValue:
    out = [(c, r if isinstance(r, ibis.Expr) else ibis.literal(r, "string")) for c, r in branches]
    return ibis.cases(*out, else_=ibis.null("string"))


_TYPES = {"date": "date", "int": "int64", "float": "float64"}


def absent(col: RawColumn) -> Checked:
    """An optional column the file does not have: NULL of its type, nothing to check."""
    typ = _TYPES.get(col.kind, "string")
    return Checked(col.name, False, {}, lambda p: ibis.null(typ), None)


def check_column(
    col: RawColumn,
    value: ibis.StringValue,
    raw: ibis.Value,
    adapter: Adapter,
    mapping: Mapping,
    bounds: Bounds = Bounds(),
) -> Checked:
    """Typing and checks for non-identifier column `col` (blanked value `value`)."""
    name, kind, req = col.name, col.kind, col.required
    latest = min(bounds.latest, MAX_DATE)
    v_name = f"__v_{name}"
    pre: dict[str, ibis.Value] = {v_name: value}
    if kind == "date":
        formats = mapping.date_formats.get(name, col.formats)
        p_name = f"__p_{name}"
        pre[p_name] = parse_date(value, formats)

        def _parts(p: ibis.Table):
            v, d = p[v_name], p[p_name]
            nulls, invalid = _isin(v, adapter.null_dates), _isin(v, adapter.invalid_dates)
            return v, d, nulls, invalid, d.between(MIN_DATE, latest)

        def typed(p: ibis.Table) -> ibis.Value:
            _v, d, nulls, invalid, ok = _parts(p)
            return ibis.cases(
                (nulls | invalid, ibis.null("date")), (ok, d), else_=ibis.null("date")
            )

        def error(p: ibis.Table) -> ibis.StringValue:
            v, d, nulls, invalid, ok = _parts(p)
            first = (
                [(v.isnull() | nulls, "missing_required")]
                if req
                else [(nulls, ibis.null("string"))]
            )
            return _cases(
                [
                    *first,
                    (v.isnull(), ibis.null("string")),
                    (invalid, "invalid_date"),
                    (d.isnull(), "invalid_date"),
                    (d < MIN_DATE, "impossible_date"),
                    (d > MAX_DATE, "impossible_date"),
                    (~ok, "implausible_date"),
                ]
            )

        expected = " or ".join(
            f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for f in formats
        )
        return Checked(
            name,
            req,
            pre,
            typed,
            error,
            {
                "impossible_date": f" is outside {MIN_DATE} to {MAX_DATE}",
                "implausible_date": f" is after {latest}, the latest plausible date (an "
                "extract's dates cannot be in the future; --latest-date states another)",
            },
            f" is not a valid date (expected {expected})",
            raw,
        )
    if kind in ("int", "float"):
        n_name = f"__n_{name}"
        pre[n_name] = value.try_cast("float64")

        maximum = col.maximum if col.maximum is not None else bounds.max_value
        if kind == "int":
            maximum = min(maximum, INT_LIMIT)
        minimum = col.minimum if col.minimum is not None else -maximum

        def in_range(n: ibis.NumericValue) -> list[ibis.BooleanValue]:
            conds = [n >= minimum, n <= maximum]
            if kind == "int":
                conds.append(n % 1 == 0)  # not round(): its int64 cast overflows on 1e20
            return conds

        def typed(p: ibis.Table) -> ibis.Value:
            n = p[n_name]
            ok = ibis.and_(*in_range(n), ~n.isnan(), ~n.isinf())
            return ibis.ifelse(ok, n, ibis.null("float64")).cast(
                "int64" if kind == "int" else "float64"
            )

        def error(p: ibis.Table) -> ibis.StringValue:
            v, n = p[v_name], p[n_name]
            branches = [
                *_missing(req, v),
                (v.isnull(), ibis.null("string")),
                (n.isnull() | n.isnan() | n.isinf(), "invalid_number"),
            ]
            branches += [(n < minimum, "out_of_range"), (n > maximum, "out_of_range")]
            if kind == "int":
                branches.append((n % 1 != 0, "invalid_number"))
            return _cases(branches)

        limits = [f"at least {minimum:g}", f"at most {maximum:g}"]
        if col.maximum is None:
            limits[1] += ", the largest plausible value; --max-value sets another"
        return Checked(
            name,
            req,
            pre,
            typed,
            error,
            {"out_of_range": " is out of range (expected " + " and ".join(limits) + ")"},
            " is not " + ("a whole number" if kind == "int" else "a number"),
            raw,
        )
    if kind in codes.BY_KIND:
        system = codes.BY_KIND[kind]
        c_name = f"__c_{name}"
        pre[c_name] = system.normalise_expr(value)

        def typed(p: ibis.Table) -> ibis.Value:
            c = p[c_name]
            return ibis.ifelse(system.valid_expr(c), c, ibis.null("string"))

        def error(p: ibis.Table) -> ibis.StringValue:
            c = p[c_name]
            return _cases(
                [
                    *_missing(req, p[v_name]),
                    (c.isnull(), ibis.null("string")),
                    (~system.valid_expr(c), "invalid_code"),
                ]
            )

        return Checked(name, req, pre, typed, error, {}, f" is not a valid {system.name} code", raw)
    cmap = {**adapter.code_maps.get(name, {}), **mapping.code_maps.get(name, {})}
    if kind == "code" and cmap:
        m_name = f"__m_{name}"
        upper = {k.upper(): val for k, val in cmap.items()}
        pre[m_name] = value.upper().cases(*upper.items(), else_=ibis.null("string"))
        known = ", ".join(list(cmap)[:12]) + (", …" if len(cmap) > 12 else "")

        def error(p: ibis.Table) -> ibis.StringValue:
            v = p[v_name]
            return _cases(
                [
                    *_missing(req, v),
                    (v.isnull(), ibis.null("string")),
                    (p[m_name].isnull(), "unknown_code"),
                ]
            )

        return Checked(
            name,
            req,
            pre,
            lambda p: p[m_name],
            error,
            {},
            f" is not a known code (known: {known}); map it under code_maps in a mapping file",
            raw,
        )
    if req:
        return Checked(
            name,
            req,
            pre,
            lambda p: p[v_name],
            lambda p: _cases(_missing(True, p[v_name])),
            {},
            "",
            raw,
        )
    return Checked(name, req, pre, lambda p: p[v_name], None, {}, "", raw)
