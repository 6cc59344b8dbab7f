"""Model terms: person_year columns turned into numbers, as Ibis expressions.

A `Term` is one column of the design matrix and one row of `risk_model`: which person_year
column it reads and how (value, log1p, flag, equals a level, inside a range, is empty). The
same term definition builds the training matrix and the scoring expression, so a stored
model scores exactly as it was fitted, on any engine.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt

from yearofcare.cohorts.rules import parse_rule, suggest
from yearofcare.errors import ConfigError
from yearofcare.segmentation.config import FUTURE_COLUMNS, ModelSettings

INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class Term:
    term: str
    feature: str | None
    transform: str
    level: str | None = None
    lower: float | None = None
    upper: float | None = None
    fill_value: float | None = None
    rule: str | None = None

    def expr(self, t: ibis.Table) -> ibis.NumericValue:
        """The term's value for each row of `t` (float64; never empty)."""
        return self._expr(t).cast("float64")

    def _expr(self, t: ibis.Table) -> ibis.NumericValue:
        if self.transform == "intercept":
            return ibis.literal(1).cast("float64")
        if self.transform == "rule":
            parsed = parse_rule(
                self.rule or "",
                t.schema(),
                source=f"model term {self.term}",
                forbidden=FUTURE_COLUMNS,
            )
            return _indicator(parsed.compile(t))
        x = no_nan(t[self.feature])
        if self.transform == "value":
            return x.cast("float64").fill_null(self.fill_value or 0.0)
        if self.transform == "log1p":
            v = x.cast("float64").fill_null(self.fill_value or 0.0)
            return (ibis.greatest(v, 0.0) + 1.0).ln()
        if self.transform == "flag":
            return _indicator(x.fill_null(False))
        if self.transform == "equals":
            return _indicator((x.cast("string") == self.level).fill_null(False))
        if self.transform == "is_null":
            return _indicator(x.isnull())
        if self.transform == "range":
            v = x.cast("float64")
            inside = v >= self.lower
            if self.upper is not None:
                inside = inside & (v < self.upper)
            return _indicator(inside.fill_null(False))
        raise ConfigError(f"model term {self.term}: unknown transform {self.transform!r}")

    def row(self) -> dict[str, object]:
        return {
            "term": self.term,
            "feature": self.feature,
            "transform": self.transform,
            "level": self.level,
            "lower": self.lower,
            "upper": self.upper,
            "fill_value": self.fill_value,
            "rule": self.rule,
        }


def no_nan(x: ibis.Value) -> ibis.Value:
    """A floating column with NaN read as empty: Spark gives NaN where DuckDB gives NULL (0/0),
    and Spark orders NaN above every number, so comparisons would differ between engines."""
    if x.type().is_floating():
        return ibis.ifelse(x.isnan(), ibis.null(x.type()), x)
    return x


def _indicator(cond: ibis.BooleanValue) -> ibis.NumericValue:
    """1.0 / 0.0 as DOUBLE on every engine (DuckDB reads bare 1.0 literals as DECIMAL, and
    sums of DECIMAL products overflow)."""
    return ibis.ifelse(cond, 1, 0).cast("float64")


def _fmt(v: float) -> str:
    return f"{v:g}"


def expand_terms(settings: ModelSettings, schema: Mapping[str, dt.DataType]) -> list[Term]:
    """The model's terms from the configured features, against the columns of person_year.

    Patterns match only columns of a fitting type (flag: yes/no; value, log1p, bins: numbers);
    a column named outright must exist and fit. Columns from after the year are refused.
    """
    types = {k: dt.dtype(v) for k, v in schema.items()}
    for f in settings.features:
        if f.column in FUTURE_COLUMNS:
            raise ConfigError(
                f"need rules: model feature {f.column!r} cannot be used: {FUTURE_COLUMNS[f.column]}",
                hint="remove it from model.features",
            )
    excluded = set(settings.exclude) | set(FUTURE_COLUMNS)
    terms: list[Term] = [Term(INTERCEPT, None, "intercept")]
    seen: set[str] = set()
    for f in settings.features:
        if f.transform == "rule":
            parse_rule(
                f.rule,
                types,
                source=f"need rules: model feature {f.name}",
                forbidden=FUTURE_COLUMNS,
            )
            terms.append(Term(f"rule:{f.name}", None, "rule", rule=f.rule))
            continue
        pattern = any(ch in f.column for ch in "*?[")
        if pattern:
            names = [c for c in types if fnmatch.fnmatchcase(c, f.column) and c not in excluded]
            names = [c for c in names if _fits(f.transform, types[c])]
        else:
            if f.column not in types:
                raise ConfigError(
                    f"need rules: model feature {f.column!r} is not a person_year column"
                    f"{suggest(f.column, types)}",
                    hint="features name person_year columns (docs/data-model.md)",
                )
            if not _fits(f.transform, types[f.column]):
                raise ConfigError(
                    f"need rules: model feature {f.column!r} is {types[f.column]}, which "
                    f"transform {f.transform!r} cannot use",
                    hint="flag needs a yes/no column; value, log1p and bins need numbers",
                )
            names = [] if f.column in excluded else [f.column]
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            terms.extend(_column_terms(f, name))
    return terms


def _fits(transform: str, t: dt.DataType) -> bool:
    if transform == "flag":
        return t.is_boolean()
    if transform == "levels":
        return t.is_string() or t.is_integer()
    return t.is_numeric() and not t.is_boolean()


def _column_terms(f, name: str) -> list[Term]:
    if f.transform == "value":
        out = [Term(name, name, "value", fill_value=0.0)]
    elif f.transform == "log1p":
        out = [Term(f"log1p({name})", name, "log1p", fill_value=0.0)]
    elif f.transform == "flag":
        out = [Term(name, name, "flag")]
    elif f.transform == "levels":
        out = [Term(f"{name}={lv}", name, "equals", level=str(lv)) for lv in f.levels]
    else:
        cuts = list(f.bins)
        out = []
        for i, lo in enumerate(cuts):
            hi = cuts[i + 1] if i + 1 < len(cuts) else None
            label = f"{name}:[{_fmt(lo)},{_fmt(hi)})" if hi is not None else f"{name}:{_fmt(lo)}+"
            out.append(Term(label, name, "range", lower=float(lo), upper=hi))
    if f.null_indicator:
        out.append(Term(f"{name}:unknown", name, "is_null"))
    return out


def design(t: ibis.Table, terms: Sequence[Term], keep: Sequence[str] = ()) -> ibis.Table:
    """`keep` columns of `t` and one float column per term (named by position: _x0, _x1 …)."""
    return t.select(*keep, **{f"_x{i}": term.expr(t) for i, term in enumerate(terms)})


def linear_predictor(t: ibis.Table, terms: Sequence[Term], coefs: Sequence[float]):
    """Σ coefficient × term as an Ibis expression (terms with a zero coefficient are left out)."""
    total = ibis.literal(0).cast("float64")
    for term, c in zip(terms, coefs, strict=True):
        if c == 0 or not math.isfinite(c):
            continue
        total = total + term.expr(t) * ibis.literal(repr(float(c))).cast("float64")
    return total


def terms_from_rows(rows: Sequence[Mapping[str, object]]) -> tuple[list[Term], list[float]]:
    """Terms and coefficients back from `risk_model` rows (one target)."""
    terms, coefs = [], []
    for r in rows:
        opt = _reader(r)

        terms.append(
            Term(
                term=str(r["term"]),
                feature=opt("feature"),
                transform=str(r["transform"]),
                level=opt("level"),
                lower=opt("lower"),
                upper=opt("upper"),
                fill_value=opt("fill_value"),
                rule=opt("rule"),
            )
        )
        coefs.append(float(r["coefficient"]))
    return terms, coefs


def _reader(row: Mapping[str, object]):
    def opt(k: str):
        v = row.get(k)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    return opt
