"""The cohort rule language: small, safe boolean expressions over person-year columns.

    ltc_count >= 3 and age >= 65
    risk_percentile >= 99.5
    rising_risk
    level in ('High', 'End of life')
    (ltc_copd or ltc_heart_failure) and not ltc_dementia
    age between 65 and 84 and cost_non_elective + cost_ae > 1000
    practice_code like 'A81%'

A rule is parsed by sqlglot (a real SQL parser), checked token by token and node by node
against a whitelist, type-checked against the columns it may read, and compiled to an Ibis
expression — never `eval`, never SQL text sent to an engine. Errors name the rule, point at
the bad token and suggest the nearest column name.

Semantics: `and`, `or`, `not`, comparisons (`=`, `==`, `!=`, `<>`, `<`, `<=`, `>`, `>=`),
`in (...)`, `not in (...)`, `between ... and ...` (inclusive), `is null`, `is not null`,
`like` (with `%` and `_`), arithmetic `+ - * /` and parentheses. Strings are in single quotes.
An empty yes/no column reads as no; any other comparison with an empty value is not true, so
a person whose age is unknown is not selected by `age >= 65` (nor by `age < 65`); division by
zero gives an empty value.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from yearofcare.errors import ConfigError

_TOKENS = {
    TokenType.VAR,
    TokenType.NUMBER,
    TokenType.STRING,
    TokenType.L_PAREN,
    TokenType.R_PAREN,
    TokenType.COMMA,
    TokenType.AND,
    TokenType.OR,
    TokenType.NOT,
    TokenType.IN,
    TokenType.BETWEEN,
    TokenType.IS,
    TokenType.NULL,
    TokenType.TRUE,
    TokenType.FALSE,
    TokenType.EQ,
    TokenType.NEQ,
    TokenType.GT,
    TokenType.GTE,
    TokenType.LT,
    TokenType.LTE,
    TokenType.PLUS,
    TokenType.DASH,
    TokenType.STAR,
    TokenType.SLASH,
    TokenType.LIKE,
}

_COMPARE = {
    exp.EQ: "__eq__",
    exp.NEQ: "__ne__",
    exp.GT: "__gt__",
    exp.GTE: "__ge__",
    exp.LT: "__lt__",
    exp.LTE: "__le__",
}
_ARITH = {exp.Add: "__add__", exp.Sub: "__sub__", exp.Mul: "__mul__", exp.Div: "__truediv__"}
_NODES = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.Paren,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Like,
    exp.Null,
    exp.Boolean,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Neg,
    *_COMPARE,
    *_ARITH,
)

HINT = (
    "rules use columns, numbers, 'quoted text', and/or/not, = != < <= > >=, in (...), "
    "between ... and ..., is null, like, + - * / and brackets; see docs/need-and-cohorts.md"
)


@dataclass(frozen=True)
class Rule:
    """A parsed, checked rule: its text, syntax tree and the columns it reads."""

    text: str
    tree: exp.Expression
    columns: tuple[str, ...]
    source: str

    def compile(self, t: ibis.Table) -> ibis.BooleanValue:
        """The rule as an Ibis boolean over `t` (empty results read as false)."""
        return compile_rule(self, t)


def _types(columns: Mapping[str, object] | ibis.Schema) -> dict[str, dt.DataType]:
    items = columns.items()
    return {str(k).lower(): dt.dtype(v) for k, v in items}


def _pointer(text: str, start: int, end: int | None = None) -> str:
    end = start if end is None else end
    width = max(1, end - start + 1)
    return f"\n    {text}\n    {' ' * start}{'^' * width}"


def _fail(
    source: str, text: str, what: str, start: int | None, end: int | None = None, hint: str = HINT
) -> ConfigError:
    where = f" (at character {start + 1})" if start is not None else ""
    shown = _pointer(text, start, end) if start is not None else f"\n    {text}"
    return ConfigError(f"{source}: {what}{where}:{shown}", hint=hint)


def suggest(name: str, names: Iterable[str]) -> str:
    """'; did you mean X?' for the nearest name, or ''."""
    close = difflib.get_close_matches(name.lower(), list(names), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse_rule(
    text: str,
    columns: Mapping[str, object] | ibis.Schema,
    *,
    source: str = "rule",
    forbidden: Mapping[str, str] | None = None,
) -> Rule:
    """Parse and check `text` against the columns it may read (name → type).

    `forbidden` maps column names the rule must not read to the reason (for example columns
    that hold information from after the year). Raises ConfigError pointing at the fault.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{source}: the rule is empty", hint=HINT)
    types = _types(columns)
    try:
        tokens = DuckDB().tokenize(text)
    except TokenError as exc:
        quote = text.find("'") if "'" in text else None
        raise _fail(source, text, f"cannot read the rule ({exc})", quote) from None
    for tok, nxt in zip(tokens, [*tokens[1:], None], strict=True):
        if (
            tok.token_type is TokenType.VAR
            and nxt is not None
            and nxt.token_type is TokenType.L_PAREN
        ):
            raise _fail(
                source,
                text,
                f"{tok.text}(...): functions are not part of the rule language",
                tok.start,
                tok.end,
            )
        if tok.token_type is TokenType.IDENTIFIER:
            raise _fail(
                source,
                text,
                f'"{tok.text}" is in double quotes',
                tok.start - 1,
                tok.end + 1,
                hint="put text values in single quotes, e.g. level = 'High'",
            )
        if tok.token_type not in _TOKENS:
            what = "';' (one rule, one expression)" if tok.text == ";" else repr(tok.text)
            raise _fail(source, text, f"{what} is not allowed in a rule", tok.start, tok.end)
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        start = _token_start(tokens, err.get("line"), err.get("col"))
        desc = str(err.get("description", exc)).split(" for <class")[0]
        if desc.startswith("Required keyword"):
            desc = "something is missing here"
        near = err.get("highlight")
        at = f" near {near!r}" if near else " at the end"
        raise _fail(source, text, f"syntax error{at}: {desc[0].lower()}{desc[1:]}", start) from None
    used: list[tuple[int, str]] = []
    for node in tree.walk():
        if not isinstance(node, _NODES):
            start = _node_start(node, tokens, text)
            raise _fail(source, text, f"{node.sql()!r} is not part of the rule language", start)
        if isinstance(node, exp.Column):
            name = node.name.lower()
            meta = node.this.meta if isinstance(node.this, exp.Identifier) else {}
            if node.table:
                raise _fail(
                    source,
                    text,
                    f"{node.sql()!r}: name columns without a table",
                    meta.get("start"),
                    meta.get("end"),
                )
            if name not in types:
                raise _fail(
                    source,
                    text,
                    f"no column {node.name!r}{suggest(name, types)}",
                    meta.get("start"),
                    meta.get("end"),
                    hint=_columns_hint(name, types),
                )
            if forbidden and name in forbidden:
                raise _fail(
                    source,
                    text,
                    f"column {name!r} cannot be used here: {forbidden[name]}",
                    meta.get("start"),
                    meta.get("end"),
                )
            if name not in used:
                used.append((meta.get("start", 0), name))
    ordered = tuple(dict.fromkeys(n for _, n in sorted(used)))
    rule = Rule(text=text, tree=tree, columns=ordered, source=source)
    _check(rule, tree, types, tokens)
    return rule


def _token_start(tokens, line: int | None, col: int | None) -> int | None:
    if line is None or col is None:
        return None
    for tok in tokens:
        if tok.line == line and tok.col >= col:
            return tok.start
    return tokens[-1].start if tokens else None


def _node_start(node: exp.Expression, tokens, text: str) -> int | None:
    for child in node.walk():
        meta = getattr(child, "meta", None) or {}
        if "start" in meta:
            return meta["start"]
    words = node.sql().split("(")[0].split()
    if words:
        i = text.lower().find(words[0].lower())
        if i >= 0:
            return i
    return None


# ---- types -------------------------------------------------------------------------------
_NUM, _STR, _BOOL, _DATE, _NULL = "a number", "text", "a yes/no value", "a date", "empty"


def _kind(t: dt.DataType) -> str:
    if t.is_boolean():
        return _BOOL
    if t.is_numeric():
        return _NUM
    if t.is_date() or t.is_timestamp():
        return _DATE
    return _STR


def _check(rule: Rule, tree: exp.Expression, types: dict[str, dt.DataType], tokens) -> None:
    """Type-check the tree: the whole rule must be yes/no; comparisons must compare alike."""
    text = rule.text

    def err(node: exp.Expression, what: str) -> ConfigError:
        return _fail(rule.source, text, what, _node_start(node, tokens, text))

    def kind(node: exp.Expression) -> str:
        if isinstance(node, exp.Paren):
            return kind(node.this)
        if isinstance(node, exp.Column):
            return _kind(types[node.name.lower()])
        if isinstance(node, exp.Literal):
            return _STR if node.is_string else _NUM
        if isinstance(node, exp.Boolean):
            return _BOOL
        if isinstance(node, exp.Null):
            return _NULL
        if isinstance(node, exp.Neg):
            if kind(node.this) != _NUM:
                raise err(node, "'-' needs a number")
            return _NUM
        if isinstance(node, tuple(_ARITH)):
            for side in (node.this, node.expression):
                if kind(side) != _NUM:
                    raise err(
                        side, f"{side.sql()!r} is not a number, so it cannot be used in arithmetic"
                    )
            return _NUM
        if isinstance(node, (exp.And, exp.Or)):
            for side in (node.this, node.expression):
                boolean(side)
            return _BOOL
        if isinstance(node, exp.Not):
            boolean(node.this)
            return _BOOL
        if isinstance(node, exp.Is):
            if not isinstance(node.expression, (exp.Null, exp.Boolean)):
                raise err(node, "'is' is followed by null, true or false")
            kind(node.this)
            return _BOOL
        if isinstance(node, tuple(_COMPARE)):
            alike(node, node.this, [node.expression])
            return _BOOL
        if isinstance(node, exp.In):
            if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
                raise err(node, "'in' takes a list of values in brackets")
            alike(node, node.this, node.expressions)
            return _BOOL
        if isinstance(node, exp.Between):
            alike(node, node.this, [node.args["low"], node.args["high"]])
            return _BOOL
        if isinstance(node, exp.Like):
            alike(node, node.this, [node.expression])
            if kind(node.this) != _STR:
                raise err(node, "'like' compares text")
            return _BOOL
        raise err(node, f"{node.sql()!r} is not part of the rule language")

    def boolean(node: exp.Expression) -> None:
        k = kind(node)
        if k != _BOOL:
            what = node.sql()
            raise err(
                node,
                f"{what!r} is {k}, not a yes/no condition; compare it (e.g. {what} >= 1)",
            )

    def alike(node: exp.Expression, left: exp.Expression, rights) -> None:
        lk = kind(left)
        for right in rights:
            rk = kind(right)
            if _NULL in (lk, rk):
                raise err(node, "compare with empty values using 'is null' or 'is not null'")
            if lk == rk or (lk == _DATE and rk == _STR and _is_date_literal(right)):
                continue
            raise err(right, f"{left.sql()} is {lk} but {right.sql()} is {rk}")

    boolean(tree)


def _is_date_literal(node: exp.Expression) -> bool:
    if not (isinstance(node, exp.Literal) and node.is_string):
        return False
    try:
        date.fromisoformat(node.this)
    except ValueError:
        return False
    return True


# ---- compile -----------------------------------------------------------------------------
def compile_rule(rule: Rule, t: ibis.Table) -> ibis.BooleanValue:
    """`rule` as an Ibis boolean expression over `t`; an empty result reads as false."""
    lookup = {c.lower(): c for c in t.columns}

    def col(node: exp.Column) -> ibis.Value:
        c = t[lookup[node.name.lower()]]
        if c.type().is_floating():  # NaN (Spark's 0/0) reads as empty, as DuckDB's NULL does
            return ibis.ifelse(c.isnan(), ibis.null(c.type()), c)
        return c.fill_null(False) if c.type().is_boolean() else c

    def lit(node: exp.Expression, like: ibis.Value | None = None) -> ibis.Value:
        if isinstance(node, exp.Literal) and node.is_string:
            if like is not None and (like.type().is_date() or like.type().is_timestamp()):
                return ibis.literal(date.fromisoformat(node.this))
            return ibis.literal(node.this)
        if isinstance(node, exp.Literal):
            number = float(node.this)
            return ibis.literal(
                int(number)
                if number.is_integer() and "." not in node.this and "e" not in node.this.lower()
                else number
            )
        return ibis.literal(bool(node.this))

    def go(node: exp.Expression, like: ibis.Value | None = None) -> ibis.Value:
        if isinstance(node, exp.Paren):
            return go(node.this, like)
        if isinstance(node, exp.Column):
            return col(node)
        if isinstance(node, (exp.Literal, exp.Boolean)):
            return lit(node, like)
        if isinstance(node, exp.Neg):
            return -go(node.this)
        op = _ARITH.get(type(node)) or _COMPARE.get(type(node))
        if op is not None:
            left = go(node.this)
            right = go(node.expression, left)
            if isinstance(node, exp.Div):  # x / 0 is empty on every engine (DuckDB says inf)
                right = right.cast("float64").nullif(0.0)
            return getattr(left, op)(right)
        if isinstance(node, exp.And):
            return go(node.this) & go(node.expression)
        if isinstance(node, exp.Or):
            return go(node.this) | go(node.expression)
        if isinstance(node, exp.Not):
            return ~go(node.this).fill_null(False)
        if isinstance(node, exp.Is):
            inner = node.this
            value = t[lookup[inner.name.lower()]] if isinstance(inner, exp.Column) else go(inner)
            if isinstance(node.expression, exp.Null):
                return value.isnull()
            return value == bool(node.expression.this)
        if isinstance(node, exp.In):
            left = go(node.this)
            return left.isin([go(e, left) for e in node.expressions])
        if isinstance(node, exp.Between):
            left = go(node.this)
            return left.between(go(node.args["low"], left), go(node.args["high"], left))
        if isinstance(node, exp.Like):
            return go(node.this).like(node.expression.this)
        raise ConfigError(f"{rule.source}: cannot compile {node.sql()!r}", hint=HINT)

    return go(rule.tree).fill_null(False)


def rule_mask(rule: Rule, t: ibis.Table, name: str = "_match") -> ibis.Table:
    """`t` with a boolean column `name`: the rule's result for each row."""
    return t.mutate(**{name: compile_rule(rule, t)})


def _columns_hint(name: str, types: Mapping[str, object]) -> str:
    near = difflib.get_close_matches(name, list(types), n=8, cutoff=0.3)
    shown = ", ".join(near) if near else ", ".join(sorted(types)[:8])
    return (
        f"columns near it: {shown}; every column is in docs/data-model.md (person_year, need_level)"
    )
