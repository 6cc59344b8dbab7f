"""Currencies: named, configured classifications of person-years (seed 000 "Funding, costing
and pricing"; 004 §7.4; 002 "Thanks for the Petunias").

A currency is one of:

- column: the value of a frame column (e.g. `level`, the level of need), optionally limited to
  declared values, with a value for empty cells;
- bands: half-open bands [from, to) of a numeric column; bands must follow on without gaps or
  overlaps (checked when the file loads);
- rules: values each with a rule in the rule language; `match: exclusive` (the default) means a
  person-year matching two rules is an error naming both, `match: first` takes the first rule
  that holds (for "highest band any criterion reaches" classifications such as the NTP bands).

Every person-year gets one row per currency; one matching no rule keeps its row with
`matched = false` and is counted in the run result and `currency_summary` as (no match).
"""

from __future__ import annotations

import re
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

import ibis
from pydantic import Field, field_validator, model_validator

from yearofcare.cohorts.rules import Rule, parse_rule, suggest
from yearofcare.config import ConfigModel, load_yaml, read_yaml
from yearofcare.config.loader import Loaded
from yearofcare.errors import ConfigError
from yearofcare.segmentation.config import FUTURE_COLUMNS
from yearofcare.segmentation.frame import frame_columns
from yearofcare.sums import exact_sum

DEFAULT_CURRENCIES = "currencies.yaml"
NO_MATCH = "(no match)"
SEP = "\x1f"  # separates the values an overlapping person-year matches
_HINT = "see the comments in the example currencies file (`yoc init`) and docs/need-and-cohorts.md"


class Band(ConfigModel):
    config_name: ClassVar[str] = "currencies"
    value: str = Field(min_length=1)
    lower: float = Field(alias="from")
    upper: float | None = Field(None, alias="to")


class RuleValue(ConfigModel):
    config_name: ClassVar[str] = "currencies"
    value: str = Field(min_length=1)
    rule: str


class Currency(ConfigModel):
    config_name: ClassVar[str] = "currencies"
    name: str
    label: str = ""
    kind: Literal["column", "bands", "rules"]
    column: str | None = None
    values: tuple[str, ...] = ()
    missing_value: str | None = None
    bands: tuple[Band, ...] = ()
    rules: tuple[RuleValue, ...] = ()
    match: Literal["exclusive", "first"] = "exclusive"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError(f"currency name {v!r}: use lower-case letters, digits and _")
        return v

    @model_validator(mode="after")
    def _shape(self) -> Currency:
        if self.kind in ("column", "bands") and not self.column:
            raise ValueError(f"currency {self.name}: kind {self.kind} needs a column")
        if self.kind == "bands":
            if not self.bands:
                raise ValueError(f"currency {self.name}: no bands")
            for i, b in enumerate(self.bands):
                if b.upper is not None and b.upper <= b.lower:
                    raise ValueError(
                        f"currency {self.name}: band {b.value!r} runs from {b.lower:g} to "
                        f"{b.upper:g}; 'to' must be above 'from'"
                    )
                if i and self.bands[i - 1].upper is None:
                    raise ValueError(
                        f"currency {self.name}: band {self.bands[i - 1].value!r} has no upper "
                        "bound, so it must be the last"
                    )
                if i:
                    prev = self.bands[i - 1]
                    if b.lower > prev.upper:
                        raise ValueError(
                            f"currency {self.name}: gap between band {prev.value!r} (to "
                            f"{prev.upper:g}) and band {b.value!r} (from {b.lower:g}); values "
                            "in between would match no band"
                        )
                    if b.lower < prev.upper:
                        raise ValueError(
                            f"currency {self.name}: bands {prev.value!r} (to {prev.upper:g}) and "
                            f"{b.value!r} (from {b.lower:g}) overlap; bands are [from, to)"
                        )
        if self.kind == "rules" and not self.rules:
            raise ValueError(f"currency {self.name}: no rules")
        names = list(self.ordered_values)
        dupes = sorted({v for v in names if names.count(v) > 1})
        if dupes:
            raise ValueError(f"currency {self.name}: value(s) {dupes} declared twice")
        return self

    @property
    def ordered_values(self) -> tuple[str, ...]:
        if self.kind == "bands":
            return tuple(b.value for b in self.bands)
        if self.kind == "rules":
            return tuple(r.value for r in self.rules)
        extra = (
            (self.missing_value,)
            if self.missing_value and self.missing_value not in self.values
            else ()
        )
        return (*self.values, *extra)


class Currencies(ConfigModel):
    config_name: ClassVar[str] = "currencies"
    config_hint: ClassVar[str] = _HINT
    version: str = Field(min_length=1)
    currencies: tuple[Currency, ...]

    @field_validator("currencies")
    @classmethod
    def _unique(cls, v: tuple[Currency, ...]) -> tuple[Currency, ...]:
        names = [c.name for c in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"currency name(s) {dupes} used twice")
        if not v:
            raise ValueError("declare at least one currency")
        return v

    @cached_property
    def parsed(self) -> dict[tuple[str, int], Rule]:
        return parse_currency_rules(self, "currencies")


def parse_currency_rules(
    config: Currencies, source: str, lines=None
) -> dict[tuple[str, int], Rule]:
    """Every rule, parsed against the rule frame; columns of column/bands currencies checked."""
    cols = frame_columns()
    found: dict[tuple[str, int], Rule] = {}
    for ci, cur in enumerate(config.currencies):
        if cur.column is not None and cur.column not in cols:
            raise ConfigError(
                f"{source}, currency {cur.name}: no column {cur.column!r}{suggest(cur.column, cols)}",
                hint="columns: person_year's and need_level's (docs/data-model.md)",
            )
        if (
            cur.kind == "bands"
            and cur.column is not None
            and cols[cur.column] in ("string", "boolean", "date")
        ):
            raise ConfigError(
                f"{source}, currency {cur.name}: bands need a numeric column; "
                f"{cur.column} is {cols[cur.column]}",
                hint="use kind: column or kind: rules for text columns",
            )
        for ri, r in enumerate(cur.rules):
            line = (lines or {}).get(("currencies", ci, "rules", ri, "rule"))
            at = f" line {line}" if line else ""
            found[(cur.name, ri)] = parse_rule(
                r.rule,
                cols,
                source=f"{source}{at}, currency {cur.name}, value {r.value!r}",
                forbidden=FUTURE_COLUMNS,
            )
    return found


def default_currencies_path() -> Path:
    return Path(str(resources.files("yearofcare.segmentation") / "examples" / DEFAULT_CURRENCIES))


def load_currencies(path: Path | str | None = None) -> tuple[Loaded, dict[tuple[str, int], Rule]]:
    path = Path(path) if path is not None else default_currencies_path()
    loaded = load_yaml(Currencies, path, what="currencies file")
    _, lines = read_yaml(path, what="currencies file")
    parsed = parse_currency_rules(loaded.model, f"currencies file {path}", lines)
    return loaded, parsed


# ---- evaluation (Ibis pieces) ------------------------------------------------------------
def currency_values(
    frame: ibis.Table, cur: Currency, parsed: dict[tuple[str, int], Rule]
) -> tuple[ibis.Value, ibis.Value, ibis.Value]:
    """(value, value_order, matches) of `cur` for each row of `frame`; `matches` counts the
    rules that hold (for the overlap check; 1 or 0 for column and bands)."""
    order = {v: i + 1 for i, v in enumerate(cur.ordered_values)}
    if cur.kind == "column":
        raw = frame[cur.column].cast("string")
        if cur.missing_value is not None:
            raw = raw.fill_null(cur.missing_value)
        ok = raw.notnull()
        if cur.values:
            ok = ok & raw.isin(list(cur.ordered_values))
        value = ibis.ifelse(ok, raw, ibis.null("string"))
        rank = (
            ibis.cases(*[(value == v, i) for v, i in order.items()], else_=ibis.null("int16"))
            if order
            else ibis.null("int16")
        )
        return value, rank, ibis.ifelse(ok, 1, 0)
    if cur.kind == "bands":
        x = frame[cur.column].cast("float64")
        conds = []
        for b in cur.bands:
            inside = x >= b.lower
            if b.upper is not None:
                inside = inside & (x < b.upper)
            conds.append((inside.fill_null(False), b.value))
        value = ibis.cases(*conds, else_=ibis.null("string"))
        rank = ibis.cases(*[(c, order[v]) for c, v in conds], else_=ibis.null("int16"))
        return value, rank, ibis.ifelse(value.notnull(), 1, 0)
    conds = [(parsed[(cur.name, i)].compile(frame), r.value) for i, r in enumerate(cur.rules)]
    value = ibis.cases(*conds, else_=ibis.null("string"))
    rank = ibis.cases(*[(c, order[v]) for c, v in conds], else_=ibis.null("int16"))
    matches = sum((ibis.ifelse(c, 1, 0) for c, _ in conds), ibis.literal(0))
    return value, rank, matches


def overlaps(frame: ibis.Table, cur: Currency, parsed) -> ibis.Table:
    """For an exclusive rules currency: person-years matching two or more rules, grouped by
    the values they match (joined by SEP), with a count and the first year seen."""
    conds = [(parsed[(cur.name, i)].compile(frame), r.value) for i, r in enumerate(cur.rules)]
    matches = sum((ibis.ifelse(c, 1, 0) for c, _ in conds), ibis.literal(0))
    label = ibis.literal("")
    for c, v in conds:
        label = label.concat(ibis.ifelse(c, f"{v}{SEP}", ""))
    t = frame.mutate(_m=matches, _label=label).filter(lambda t: t._m > 1)
    return t.group_by("_label").aggregate(person_years=t.count(), first_fy=t.fy.min())


def person_currency(frame: ibis.Table, config: Currencies, parsed) -> ibis.Table:
    """One row per person-year × currency (a union of one branch per currency)."""
    parts = []
    for cur in config.currencies:
        value, rank, _ = currency_values(frame, cur, parsed)
        parts.append(
            frame.select(
                "person_id",
                "fy",
                currency=ibis.literal(cur.name),
                currency_version=ibis.literal(config.version),
                value=value,
                value_order=rank.cast("int16"),
                matched=value.notnull(),
            )
        )
    return ibis.union(*parts, distinct=False)


def summary(pc: ibis.Table, py: ibis.Table) -> ibis.Table:
    """fy × currency × value: person-years, share of the year, cost of the same year."""
    cost = py.select(
        _cpid=py.person_id, _cfy=py.fy, _cost=py.cost_total.cast("float64").fill_null(0.0)
    )
    j = pc.left_join(cost, [pc.person_id == cost._cpid, pc.fy == cost._cfy])
    j = j.mutate(value=j.value.fill_null(NO_MATCH), value_order=j.value_order.fill_null(0))
    g = j.group_by(["fy", "currency", "value", "value_order"]).aggregate(
        people=j.count(), cost_total=exact_sum(j._cost)
    )
    total = g.people.sum().over(group_by=[g.fy, g.currency])
    return g.mutate(
        share_of_people=g.people.cast("float64") / total,
        mean_cost=g.cost_total / g.people.cast("float64"),
    )
