"""Shared pieces of the whole-population analyses: splits, bands, selection rules, calendars.

Everything here builds Ibis expressions (or small in-memory literal tables) and never executes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import ClassVar, Literal

import ibis
import pyarrow as pa
from pydantic import Field

from yearofcare.config import ConfigModel, validate
from yearofcare.errors import ConfigError
from yearofcare.schemas.population import COST_GROUPS

#: `--by` choices and the person_year column each one splits on.
BY_COLUMNS: dict[str, str] = {
    "practice": "practice_code",
    "locality": "locality",
    "age_band": "age_band",
    "imd_decile": "imd_decile",
    "sex": "sex",
}
ALL = "all"
ALL_VALUE = "All"
UNKNOWN = "Unknown"

LTC_BANDS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5+")
PHYSICAL_BANDS: tuple[str, ...] = ("0", "1", "2", "3", "4+")
MENTAL_BANDS: tuple[str, ...] = ("0", "1", "2+")

#: Display labels of the person_year cost groups (the setting split).
COST_GROUP_LABELS: dict[str, str] = {
    "non_elective": "Acute non-elective",
    "elective": "Acute elective",
    "day_case": "Acute day case",
    "outpatient": "Outpatient",
    "ae": "A&E",
    "community": "Community",
    "mental_health": "Mental health",
    "gp": "GP and out of hours",
    "prescribing": "Prescribing",
    "social_care": "Adult social care",
    "ambulance": "Ambulance",
    "other": "Hospice and third sector",
}
if set(COST_GROUP_LABELS) != set(COST_GROUPS):  # pragma: no cover - guards a schema change
    raise RuntimeError("COST_GROUP_LABELS is out of step with schemas.population.COST_GROUPS")


def check_by(by: str | None) -> str | None:
    """Validate a `--by` choice (None means the whole population only)."""
    if by is None or by in BY_COLUMNS:
        return by
    raise ConfigError(
        f"cannot split the analyses by {by!r}",
        hint="use --by with one of: " + ", ".join(BY_COLUMNS),
    )


def slim(py: ibis.Table, by: str | None, *names: str, **exprs: ibis.Value) -> ibis.Table:
    """person_id, fy, the `by` column, `names` and `exprs` of `py`: only what an analysis
    reads, so windows and unions do not carry the ~100 person_year columns along."""
    keep = ["person_id", "fy", *names]
    if by is not None and BY_COLUMNS[check_by(by)] not in keep:
        keep.append(BY_COLUMNS[by])
    return py.select(*keep, **exprs)


def split(t: ibis.Table, by: str | None, column: str | None = None) -> ibis.Table:
    """`t` with `split_by` and `split_value`: every row once as the whole population ("all"),
    and once more under its `by` group when a split is chosen (a UNION ALL of the two).
    `column` overrides the person_year column the `by` choice names.
    """
    whole = t.mutate(split_by=ibis.literal(ALL), split_value=ibis.literal(ALL_VALUE))
    if by is None:
        return whole
    value = t[column or BY_COLUMNS[check_by(by)]].cast("string")
    grouped = t.mutate(split_by=ibis.literal(by), split_value=value.fill_null(UNKNOWN))
    return whole.union(grouped)


def attach_split(
    people: ibis.Table, py: ibis.Table, by: str | None, on_fy: str | None = None
) -> ibis.Table:
    """Split `people` (person_id, ...) by their group in person_year `py`: people selected
    population-wide are then counted in their own group. With `on_fy`, the group is taken from
    the person_year row of the year in that column of `people`; otherwise `py` must hold one
    year only."""
    if by is None:
        return split(people, None)
    key = py.select(_split_pid=py.person_id, _split_fy=py.fy, _split_key=py[BY_COLUMNS[by]])
    cond = [people.person_id == key._split_pid]
    if on_fy is not None:
        cond.append(people[on_fy] == key._split_fy)
    joined = people.left_join(key, cond).drop("_split_pid", "_split_fy")
    return split(joined, by, "_split_key").drop("_split_key")


def amount(col: ibis.NumericValue) -> ibis.NumericValue:
    """A cost, count or bed-day column with missing values (null, or NaN in a float column,
    as pandas-built tables may hold) read as zero."""
    if col.type().is_floating():
        return ibis.ifelse(col.isnan(), 0.0, col).fill_null(0.0)
    return col.fill_null(0)


def ltc_band(count: ibis.IntegerValue) -> ibis.StringValue:
    """0, 1, 2, 3, 4, 5+ (a missing count counts as 0)."""
    c = count.fill_null(0)
    return ibis.ifelse(c >= 5, "5+", c.cast("string"))


def capped_band(count: ibis.IntegerValue, cap: int) -> ibis.StringValue:
    c = count.fill_null(0)
    return ibis.ifelse(c >= cap, f"{cap}+", c.cast("string"))


def top_count(n: ibis.IntegerValue, percent: float) -> ibis.IntegerValue:
    """How many people are in the top `percent` of `n`: ceil(n × percent / 100), in integer
    arithmetic on hundredths of a percent so 0.5% of 1,000 is exactly 5."""
    bp = round(percent * 100)
    return (n.cast("int64") * bp + 9999) // 10000


class SelectionRule(ConfigModel):
    """A cohort selection rule: the top `value`% of people by cost or by score, or everyone
    with at least `value` long-term conditions. Written as ``kind:value`` on the command line."""

    config_name: ClassVar[str] = "selection rule"
    config_hint: ClassVar[str | None] = (
        "write kind:value with kind top_cost, ltc_min or top_score, "
        "e.g. top_cost:5 (top 5% by cost) or ltc_min:3 (3 or more LTCs)"
    )

    kind: Literal["top_cost", "ltc_min", "top_score"]
    value: float = Field(gt=0)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.value:g}"

    @property
    def label(self) -> str:
        if self.kind == "top_cost":
            return f"Top {self.value:g}% by cost"
        if self.kind == "top_score":
            return f"Top {self.value:g}% by risk score"
        return f"{self.value:g}+ long-term conditions"

    @classmethod
    def parse(cls, text: str) -> SelectionRule:
        kind, _, value = text.partition(":")
        values = {"kind": kind.strip(), "value": value.strip() or None}
        return validate(cls, values, source=f"selection rule {text!r}")


DEFAULT_RULES: tuple[SelectionRule, ...] = (
    SelectionRule(kind="top_cost", value=1),
    SelectionRule(kind="top_cost", value=5),
    SelectionRule(kind="ltc_min", value=3),
    SelectionRule(kind="ltc_min", value=5),
)


def top_ranked(t: ibis.Table, value: str, keys: list[str], percent: float) -> ibis.Table:
    """The rows of `t` that can be in the top `percent` of their `keys` group by `value`
    (descending; non-null), with `_n` (rows in the group) and `_rank` (0 = highest, ties
    broken by person_id). Filter `_rank < top_count(_n, p)` for any p ≤ `percent`.

    Only candidates are sorted: rows at or above the group's (1 − 1.1p) quantile of `value`.
    That is exact, not an approximation. With k = floor(level × (n − 1)), the quantile is at
    most the (k+1)-th smallest value (interpolated or discrete), and at least
    1.1p(n − 1) ≥ pn + 1 > ceil(pn) people are above it whenever p(n − 11) ≥ 1 — so everyone
    who could rank in the top ceil(pn), ties included, is a candidate, and ranks among
    candidates equal ranks among all. Smaller groups keep every row.
    """
    bp = round(percent * 100)  # p(n − 11) ≥ 1 ⟺ bp(n − 11) ≥ 10,000
    level = max(0.0, 1.0 - 1.1 * bp / 10_000)
    stats = t.group_by(keys).aggregate(_n=t.count(), _q=t[value].quantile(level))
    c = t.join(stats, keys)
    c = c.filter((c[value] >= c._q) | ((c._n.cast("int64") - 11) * bp < 10_000)).drop("_q")
    order = [ibis.desc(c[value]), c.person_id]
    return c.mutate(_rank=ibis.row_number().over(ibis.window(group_by=keys, order_by=order)))


def unpivot(
    t: ibis.Table, key: str, keys: Sequence[object], values: Mapping[str, Sequence[str]]
) -> ibis.Table:
    """Wide to long: one row per row of `t` and each of `keys` (in column `key`); output
    column `name` takes `values[name][i]` for the i-th key.

    `t` is referenced once (a cross join with a literal table of the keys) — unlike a UNION of
    one SELECT per key, which engines may compute from scratch for every key.
    """
    lit = ibis.memtable(
        pa.table({"_ki": pa.array(range(len(keys)), pa.int32()), key: pa.array(list(keys))})
    )
    j = t.cross_join(lit)
    cols = {
        name: ibis.cases(*((j._ki == i, j[src]) for i, src in enumerate(srcs)))
        for name, srcs in values.items()
    }
    used = {src for srcs in values.values() for src in srcs}
    return j.mutate(**cols).drop("_ki", *sorted(used - set(values)))


def month_calendar(fys: tuple[int, ...]) -> ibis.Table:
    """The months of the financial years `fys`: month start, next month start, days, fy.

    A small literal table (36 rows for three years) that stays joins against; not data."""
    starts, ends, days, years = [], [], [], []
    for fy in sorted(set(fys)):
        for i in range(12):
            y, m = fy + (3 + i) // 12, (3 + i) % 12 + 1
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            start = date(y, m, 1)
            starts.append(start)
            ends.append(nxt)
            days.append((nxt - start).days)
            years.append(fy)
    return ibis.memtable(
        pa.table(
            {
                "month": pa.array(starts, pa.date32()),
                "_month_end": pa.array(ends, pa.date32()),
                "days_in_month": pa.array(days, pa.int32()),
                "fy": pa.array(years, pa.int16()),
            }
        )
    )


def fy_table(fys: tuple[int, ...]) -> ibis.Table:
    """A literal one-column table of financial years."""
    return ibis.memtable(pa.table({"fy": pa.array(sorted(set(fys)), pa.int16())}))
