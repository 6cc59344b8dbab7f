"""The filters every page shares, in the same places: place, practice, age band, deprivation,
level of need and year.

Values are checked against what the store holds: an unknown filter name or value is a clear
400 naming the filter, what was given and what is allowed, never an empty page or a 500.
Person-level tables are filtered by joining on `person_year` (and `need_level` for the level).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import ibis
import pandas as pd

from yearofcare.schemas.population import AGE_BANDS
from yearofcare.web.data import Snapshot

NEED_TABLE = "need_level"
NEED_COLUMN = "level"
NEED_LEVELS = ("Low", "Medium", "High", "End of life")
IMD_QUINTILES = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class FilterDef:
    name: str
    label: str
    hint: str


FILTERS: tuple[FilterDef, ...] = (
    FilterDef("fy", "Year", "financial year, by its start year (2024 = 2024/25)"),
    FilterDef("place", "Place", "locality or primary care network"),
    FilterDef("practice", "Practice", "GP practice ODS code"),
    FilterDef("age_band", "Age band", "one of " + ", ".join(b[0] for b in AGE_BANDS)),
    FilterDef("imd_quintile", "Deprivation", "IMD quintile: 1 most deprived, 5 least"),
    FilterDef("need_level", "Level of need", "one of " + ", ".join(NEED_LEVELS)),
)
FILTER_NAMES = tuple(f.name for f in FILTERS)


class FilterError(ValueError):
    def __init__(self, name: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.name, self.message, self.hint = name, message, hint


@dataclass(frozen=True)
class FilterOptions:
    """What each filter may take in this store (and why a filter is unavailable)."""

    fy: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    practice: tuple[str, ...] = ()
    practice_names: Mapping[str, str] = field(default_factory=dict)
    age_band: tuple[str, ...] = tuple(b[0] for b in AGE_BANDS)
    imd_quintile: tuple[str, ...] = IMD_QUINTILES
    need_level: tuple[str, ...] = ()
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def values(self, name: str) -> tuple[str, ...]:
        return getattr(self, name)


def load_options(snap: Snapshot) -> FilterOptions:
    if not snap.exists("person_year"):
        why = "run `yoc build` first"
        return FilterOptions(unavailable={f.name: why for f in FILTERS})
    py = snap.table("person_year")
    groups = snap.execute(py.group_by(["fy", "locality", "practice_code"]).aggregate(n=py.count()))
    names: dict[str, str] = {}
    if snap.exists("practice"):
        pr = snap.execute(snap.table("practice").select("practice_code", "practice_name"))
        names = {
            str(r.practice_code): str(r.practice_name or "")
            for r in pr.itertuples()
            if r.practice_code is not None
        }
    unavailable: dict[str, str] = {}
    levels: tuple[str, ...] = ()
    if snap.exists(NEED_TABLE) and NEED_COLUMN in snap.table(NEED_TABLE).columns:
        levels = NEED_LEVELS
    else:
        unavailable["need_level"] = "run `yoc risk score` (levels of need) first"

    def distinct(col: str) -> tuple[str, ...]:
        return tuple(sorted({str(v) for v in groups[col].dropna()}))

    return FilterOptions(
        fy=distinct("fy"),
        place=distinct("locality"),
        practice=distinct("practice_code"),
        practice_names=names,
        need_level=levels,
        unavailable=unavailable,
    )


@dataclass(frozen=True)
class Filters:
    fy: int | None = None
    place: str | None = None
    practice: str | None = None
    age_band: str | None = None
    imd_quintile: int | None = None
    need_level: str | None = None
    cohort: str | None = None  # datapacks only: members of a cohort (cohort_member)

    def active(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode(self.active())

    def with_fy(self, fy: int) -> Filters:
        return replace(self, fy=fy)


def parse_filters(
    params: Mapping[str, str], options: FilterOptions, *, extra: tuple[str, ...] = ()
) -> Filters:
    """Filters from query parameters, checked against the store; the year defaults to the latest."""
    for key in params:
        if key not in FILTER_NAMES and key not in extra:
            raise FilterError(
                key,
                f"unknown filter {key!r}",
                "filters: " + ", ".join(FILTER_NAMES),
            )
    values: dict[str, Any] = {}
    for f in FILTERS:
        raw = params.get(f.name)
        if raw is None or str(raw).strip() == "":
            continue
        raw = str(raw).strip()
        if f.name in options.unavailable:
            raise FilterError(
                f.name,
                f"the {f.label.lower()} filter is not available: {options.unavailable[f.name]}",
                "remove it from the address",
            )
        allowed = options.values(f.name)
        if raw not in allowed:
            shown = ", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else "")
            raise FilterError(
                f.name,
                f"{f.label.lower()} {raw[:40]!r} is not in this store",
                f"{f.hint}; available: {shown or 'none'}",
            )
        values[f.name] = int(raw) if f.name in ("fy", "imd_quintile") else raw
    if "cohort" in extra and params.get("cohort"):
        values["cohort"] = str(params["cohort"])[:80]
    if "fy" not in values and options.fy:
        values["fy"] = int(options.fy[-1])
    return Filters(**values)


def imd_quintile(decile: ibis.Value) -> ibis.Value:
    """IMD decile 1–10 to quintile 1–5 (1 most deprived)."""
    return ((decile + 1) // 2).cast("int8")


def filter_person_year(snap: Snapshot, f: Filters, *, all_years: bool = False) -> ibis.Table:
    """person_year restricted by the filters (every year when `all_years`)."""
    py = snap.table("person_year")
    preds = []
    if f.fy is not None and not all_years:
        preds.append(py.fy == f.fy)
    if f.place is not None:
        preds.append(py.locality == f.place)
    if f.practice is not None:
        preds.append(py.practice_code == f.practice)
    if f.age_band is not None:
        preds.append(py.age_band == f.age_band)
    if f.imd_quintile is not None:
        preds.append(imd_quintile(py.imd_decile) == f.imd_quintile)
    if preds:
        py = py.filter(preds)
    if f.need_level is not None:
        need = snap.table(NEED_TABLE)
        need = need.filter(need[NEED_COLUMN] == f.need_level).select("person_id", "fy")
        py = py.semi_join(need, ["person_id", "fy"])
    if f.cohort is not None:
        members = snap.table("cohort_member")
        members = members.filter(members.cohort_id == f.cohort).select("person_id").distinct()
        py = py.semi_join(members, "person_id")
    return py


def run_filtered(
    snap: Snapshot, name: str, filters: Filters, query: Callable[[ibis.Table], ibis.Table]
) -> pd.DataFrame:
    """`query` over the filtered person_year, compiled once per filter combination (the filter
    values are bound parameters; see `Snapshot.prepared`)."""
    return snap.prepared(
        name,
        lambda **values: query(filter_person_year(snap, Filters(**values))),
        filters.active(),
    )
