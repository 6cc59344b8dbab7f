"""Prices: the unit-cost tables and the uplift of their prices to the year of the activity.

A unit-cost table (`reference/unit_costs/<publisher>_<year>.csv`, lines starting `#` are its
provenance) has one row per setting and currency (`*` = the setting's default):

- `unit_cost` in pounds at the prices of `price_year` (the financial year the prices belong to,
  by its start year: 2024 = 2024/25) per `unit_type`;
- optional `los_min` / `los_max` (bed days, inclusive): the row prices only spells of that
  length (non-elective short stays 0-1 day, long stays 2+ days);
- optional `trim_days`: a spell longer than this many bed days also pays each excess bed day at
  the setting's `excess_bed_day` row (the NHS Payment Scheme's trim point);
- `source` (and `verification` where given): the publication table each figure comes from.

A later table replaces every row of an earlier one for the same setting and currency.

**Uplift.** Activity in a year without its own prices is priced at the table's prices moved to
that year by a cost index (`reference/uplift/<name>.csv`: the percentage change into each
financial year): factor = level(activity year) / level(price year). Years outside the index are
held at its first or last level, and the outputs say so. The index and the factors used are
recorded in the run log and `person_year_meta`. Supplied costs are never uplifted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from yearofcare import vocab
from yearofcare.errors import ConfigError, InputError
from yearofcare.population.refdata import RefFile, available, fingerprint, read_csv, reference_dir

UNIT_COST_COLUMNS = ("setting", "currency", "unit_type", "unit_cost", "basis", "price_year")
UNIT_COST_BASES = ("unit_cost", "tariff")
ANY_CURRENCY = "*"
EXCESS_BED_DAY = "excess_bed_day"
UPLIFT_COLUMNS = ("fy", "change_percent", "source")
#: the longest stay a length-of-stay band can name when it has no upper bound
OPEN_LOS = 100_000


@dataclass(frozen=True)
class Uplift:
    """A cost index by financial year (level 1.0 in its first year); no index = no uplift."""

    name: str | None
    levels: tuple[tuple[int, float], ...] = ()
    file: RefFile | None = None

    def level(self, fy: int) -> float:
        if not self.levels:
            return 1.0
        years = dict(self.levels)
        first, last = self.levels[0][0], self.levels[-1][0]
        return years[min(max(fy, first), last)]

    def factor(self, price_year: int, fy: int) -> float:
        return self.level(fy) / self.level(price_year)

    def held(self, years: list[int]) -> list[int]:
        """Years outside the index (priced at its nearest year's level)."""
        if not self.levels:
            return []
        first, last = self.levels[0][0], self.levels[-1][0]
        return [y for y in years if y < first or y > last]

    def describe(self, price_years: list[int], years: list[int]) -> dict[str, object]:
        """What the outputs state: the index, its fingerprint and every factor used."""
        factors = {
            _fy(p): {_fy(y): round(self.factor(p, y), 6) for y in years} for p in price_years
        }
        return {
            "price_uplift": self.name or "none",
            "price_uplift_sha256": self.file.sha256 if self.file else "",
            "price_uplift_factors": factors,
            "price_uplift_held_years": [_fy(y) for y in self.held(years)],
        }


@dataclass(frozen=True)
class UnitCosts:
    """The unit-cost rows in force and the uplift applied to them."""

    frame: pd.DataFrame
    files: tuple[RefFile, ...]
    uplift: Uplift = Uplift(None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.path.rsplit("/", 1)[-1].removesuffix(".csv") for f in self.files)

    @property
    def sha256(self) -> str:
        return fingerprint(list(self.files))

    @property
    def price_years(self) -> list[int]:
        return sorted({int(y) for y in self.frame.price_year})

    def with_uplift(self, uplift: Uplift) -> UnitCosts:
        return UnitCosts(self.frame, self.files, uplift)


def _fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def available_unit_costs() -> list[str]:
    return available("unit_costs")


def available_uplifts() -> list[str]:
    return available("uplift")


def load_unit_costs(names: tuple[str, ...], uplift: str | None = None) -> UnitCosts:
    """Read and validate the named tables (a later one overrides an earlier one) and the index."""
    files, frames = [], []
    for name in names:
        node = reference_dir("unit_costs") / f"{name}.csv"
        if not node.is_file():
            raise ConfigError(
                f"unit-cost table {name!r} does not exist",
                hint="available: " + ", ".join(available_unit_costs()),
            )
        f = read_csv(node, f"reference/unit_costs/{name}.csv", UNIT_COST_COLUMNS)
        frames.append(check_unit_costs(f).assign(table=name, _order=len(frames)))
        files.append(f)
    frame = pd.concat(frames, ignore_index=True)
    # a later table replaces all rows of an earlier one for the same setting and currency
    last = frame.groupby(["setting", "currency"])._order.transform("max")
    frame = frame[frame._order == last].drop(columns="_order").reset_index(drop=True)
    _check_excess_rows(frame, names)
    return UnitCosts(frame, tuple(files), load_uplift(uplift))


def _check_excess_rows(frame: pd.DataFrame, names: tuple[str, ...]) -> None:
    """A trim point needs an excess bed day price for its setting."""
    trimmed = set(frame[frame.trim_days.notna()].setting)
    priced = set(frame[frame.currency == EXCESS_BED_DAY].setting)
    missing = sorted(trimmed - priced)
    if missing:
        raise ConfigError(
            f"unit costs {', '.join(names)}: setting {missing[0]} has a trim point but no "
            f"{EXCESS_BED_DAY} row to price the bed days beyond it",
            hint=f"add a row: {missing[0]},{EXCESS_BED_DAY},bed_days,<cost>,unit_cost,<price year>",
        )


def check_unit_costs(f: RefFile) -> pd.DataFrame:
    """Validate one table's rows; errors name the file, line, column and value."""
    frame = f.frame.copy()
    for col in ("los_min", "los_max", "trim_days"):
        if col not in frame.columns:
            frame[col] = ""
    out = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"{f.path} line {i}"
        if row.setting not in vocab.SETTINGS:
            raise InputError(f"{where}: unknown setting {row.setting!r}", hint="see vocab.SETTINGS")
        if row.unit_type not in vocab.UNIT_TYPES:
            raise InputError(f"{where}: unknown unit_type {row.unit_type!r}")
        if row.basis not in UNIT_COST_BASES:
            raise InputError(f"{where}: basis {row.basis!r}; expected unit_cost or tariff")
        value = _number(row.unit_cost, where, "unit_cost")
        if value is None or value < 0:
            raise InputError(
                f"{where}: unit_cost {row.unit_cost!r} is not a cost", hint="a cost is >= 0"
            )
        year = pd.to_numeric(pd.Series([row.price_year]), errors="coerce").iloc[0]
        if pd.isna(year) or year != int(year) or not 1990 <= year <= 2100:
            raise InputError(
                f"{where}: price_year {row.price_year!r} is not a financial year",
                hint="name the year the prices belong to by its start year, e.g. 2024 for 2024/25",
            )
        lo = _number(row.los_min, where, "los_min")
        hi = _number(row.los_max, where, "los_max")
        trim = _number(row.trim_days, where, "trim_days")
        if (lo is not None or hi is not None or trim is not None) and row.unit_type != "spell":
            raise InputError(
                f"{where}: length-of-stay bands and trim points apply to spells, "
                f"not to {row.unit_type}"
            )
        lo, hi = lo if lo is not None else 0, hi if hi is not None else OPEN_LOS
        if lo > hi:
            raise InputError(f"{where}: los_min {lo:g} is above los_max {hi:g}")
        out.append(
            {
                "setting": row.setting,
                "currency": row.currency,
                "unit_type": row.unit_type,
                "unit_cost": value,
                "basis": row.basis,
                "price_year": int(year),
                "los_min": float(lo),
                "los_max": float(hi),
                "trim_days": trim if trim is not None else math.nan,
            }
        )
    result = pd.DataFrame(out)
    _check_bands(result, f.path)
    if len(result):
        xs = result[(result.currency == EXCESS_BED_DAY) & (result.unit_type != "bed_days")]
        if len(xs):
            raise InputError(f"{f.path}: an {EXCESS_BED_DAY} row must be priced per bed_days")
    return result


def _number(value: str, where: str, column: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{where}: {column} {value!r} is not a number") from None


def _check_bands(frame: pd.DataFrame, path: str) -> None:
    """Rows of one setting and currency must not overlap in length of stay."""
    for (setting, currency), grp in frame.groupby(["setting", "currency"]):
        g = grp.sort_values("los_min")
        if (g.los_min.to_numpy()[1:] <= g.los_max.to_numpy()[:-1]).any():
            raise InputError(
                f"{path}: setting {setting} currency {currency} appears twice for the same "
                "length of stay",
                hint="give each row its own los_min-los_max band, or keep one row",
            )


def load_uplift(name: str | None) -> Uplift:
    """The cost index `reference/uplift/<name>.csv` (None: prices are used as published)."""
    if name is None:
        return Uplift(None)
    node = reference_dir("uplift") / f"{name}.csv"
    if not node.is_file():
        raise ConfigError(
            f"price uplift index {name!r} does not exist",
            hint="available: " + ", ".join(available_uplifts()) + " (or none)",
        )
    f = read_csv(node, f"reference/uplift/{name}.csv", UPLIFT_COLUMNS)
    levels, level, previous = [], 1.0, None
    for i, row in enumerate(f.frame.itertuples(index=False), start=2):
        where = f"{f.path} line {i}"
        fy = _number(row.fy, where, "fy")
        change = _number(row.change_percent, where, "change_percent")
        if fy is None or change is None:
            raise InputError(f"{where}: fy and change_percent are both needed")
        if previous is not None and int(fy) != previous + 1:
            raise InputError(f"{where}: year {int(fy)} does not follow {previous}")
        if previous is not None:  # the first year is the base (level 1)
            level *= 1 + change / 100
        levels.append((int(fy), level))
        previous = int(fy)
    if not levels:
        raise InputError(f"{f.path} has no years")
    return Uplift(name, tuple(levels), f)
