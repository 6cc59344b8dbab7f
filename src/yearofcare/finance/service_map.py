"""The service map: which services are paid from inside the capitated budget (004 §7.3–7.4).

A YAML file both sides agree (an example ships as `finance/examples/service_map.yaml`). Each
entry names one setting and, optionally, narrower selectors — service types, providers (or
providers *other than* a list, for out-of-area care), HRG codes or prefixes (`WD*`) or a named
HRG group, funding routes, cost bases — and says whether that care is inside the budget, why,
and from when to when. For an activity row on a date, the most specific entry in force decides
(specificity = number of selectors besides the setting; ties go to the earlier line).

Refused on load, with the line named: a setting without a setting-level entry in force on
every day from the map's `effective_from` on; versions of an entry that overlap or leave a gap;
two entries with the same selectors in force on the same day; two equally specific entries
that can match the same row on the same day with different decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import ibis
import pandas as pd
from pydantic import Field, field_validator, model_validator

from yearofcare import vocab
from yearofcare.config import ConfigModel

#: An end date far enough away to stand for "open" in comparisons.
OPEN_END = date(9999, 12, 31)
SELECTORS = ("service_types", "providers", "hrg", "funding_routes", "cost_bases")
#: the columns of a row `ServiceMap.decide` reads (and its start date, or the date given)
READS = ("setting", "service_type", "provider_code", "currency", "funding_route", "cost_basis")


def _listed(values: tuple[str, ...], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValueError(f"unknown {what} {bad[0]!r}; expected one of {', '.join(allowed)}")
    return values


class Entry(ConfigModel):
    """One line of the map: a selector, a decision, a reason and when it is in force."""

    config_name: ClassVar[str] = "service map entry"

    id: str = Field(min_length=1, description="Entry identifier (versions share it).")
    setting: str = Field(description="Care setting the entry covers.")
    service_types: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    providers_other_than: tuple[str, ...] = ()
    hrg: tuple[str, ...] = Field((), description="HRG codes, or prefixes ending in *.")
    hrg_group: str | None = Field(None, description="A group named under hrg_groups.")
    funding_routes: tuple[str, ...] = ()
    cost_bases: tuple[str, ...] = ()
    inside: bool = Field(description="True: paid from inside the capitated budget.")
    reason: str = Field(min_length=1, description="Why, as both sides agreed.")
    effective_from: date
    effective_to: date | None = None

    @field_validator("setting")
    @classmethod
    def _setting(cls, v: str) -> str:
        return _listed((v,), vocab.SETTINGS, "setting")[0]

    @field_validator("funding_routes")
    @classmethod
    def _routes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _listed(v, vocab.FUNDING_ROUTES, "funding route")

    @field_validator("cost_bases")
    @classmethod
    def _bases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _listed(v, vocab.COST_BASES, "cost basis")

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to} is before effective_from {self.effective_from}"
            )
        if self.providers and self.providers_other_than:
            raise ValueError("give providers or providers_other_than, not both")
        if self.hrg and self.hrg_group:
            raise ValueError("give hrg or hrg_group, not both")
        return self

    @property
    def end(self) -> date:
        return self.effective_to or OPEN_END

    @property
    def specificity(self) -> int:
        provider = bool(self.providers or self.providers_other_than)
        hrg = bool(self.hrg or self.hrg_group)
        return sum(
            (
                bool(self.service_types),
                provider,
                hrg,
                bool(self.funding_routes),
                bool(self.cost_bases),
            )
        )

    def selector(self) -> tuple:
        return (
            self.setting,
            frozenset(self.service_types),
            frozenset(self.providers),
            frozenset(self.providers_other_than),
            frozenset(self.hrg),
            self.hrg_group,
            frozenset(self.funding_routes),
            frozenset(self.cost_bases),
        )


class ServiceMapFile(ConfigModel):
    """The service map file (see the module docstring and the shipped example)."""

    config_name: ClassVar[str] = "service map"
    config_hint: ClassVar[str | None] = (
        "see the example written by `yoc init` (finance/examples/service_map.yaml) and "
        "docs/finance.md"
    )

    version: str = Field(min_length=1)
    description: str = ""
    agreed_by: tuple[str, ...] = ()
    effective_from: date = Field(description="First day the map covers.")
    hrg_groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    entries: tuple[Entry, ...] = Field(min_length=1)


@dataclass(frozen=True)
class ServiceMap:
    """A validated service map, with the line of each entry and the file it came from."""

    spec: ServiceMapFile
    lines: tuple[int | None, ...]
    path: Path | None = None
    sha256: str | None = None

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.spec.entries

    def hrg_patterns(self, e: Entry) -> tuple[str, ...]:
        return self.spec.hrg_groups[e.hrg_group] if e.hrg_group else e.hrg

    def order(self) -> list[int]:
        """Entry positions in decision order: most specific first, then file order."""
        return sorted(range(len(self.entries)), key=lambda i: (-self.entries[i].specificity, i))

    def frame(self) -> pd.DataFrame:
        """The map as rows of the `service_map` table (also printed with budget outputs)."""
        rows = []
        for e, line in zip(self.entries, self.lines, strict=True):
            rows.append(
                {
                    "map_version": self.version,
                    "entry_id": e.id,
                    "line": line,
                    "setting": e.setting,
                    "service_types": ", ".join(e.service_types) or None,
                    "providers": ", ".join(e.providers) or None,
                    "providers_other_than": ", ".join(e.providers_other_than) or None,
                    "hrg": ", ".join(self.hrg_patterns(e)) or None,
                    "funding_routes": ", ".join(e.funding_routes) or None,
                    "cost_bases": ", ".join(e.cost_bases) or None,
                    "inside": e.inside,
                    "reason": e.reason,
                    "effective_from": e.effective_from,
                    "effective_to": e.effective_to,
                    "specificity": e.specificity,
                }
            )
        frame = pd.DataFrame(rows)
        for col in ("effective_from", "effective_to"):
            frame[col] = pd.to_datetime(frame[col]).dt.date
        return frame

    # ---- Ibis ------------------------------------------------------------------------------
    def _condition(self, t: ibis.Table, e: Entry, on: ibis.Value) -> ibis.BooleanValue:
        """The entry's selectors other than its setting (decide() branches on the setting)."""
        cond = on >= e.effective_from
        if e.effective_to is not None:
            cond &= on <= e.effective_to
        if e.service_types:
            cond &= t.service_type.isin(list(e.service_types))
        if e.providers:
            cond &= t.provider_code.isin(list(e.providers))
        if e.providers_other_than:
            cond &= t.provider_code.isnull() | ~t.provider_code.isin(list(e.providers_other_than))
        patterns = self.hrg_patterns(e)
        if patterns:
            exact = [p for p in patterns if not p.endswith("*")]
            parts = [t.currency.isin(exact)] if exact else []
            parts += [t.currency.startswith(p[:-1]) for p in patterns if p.endswith("*")]
            cond &= ibis.or_(*parts).fill_null(False)
        if e.funding_routes:
            cond &= t.funding_route.isin(list(e.funding_routes))
        if e.cost_bases:
            cond &= t.cost_basis.isin(list(e.cost_bases))
        return cond.fill_null(False)

    def decide(self, t: ibis.Table, on: ibis.Value | date | None = None) -> dict[str, ibis.Value]:
        """Columns `map_entry` (id, null when no entry is in force) and `inside` for `t`.

        `t` needs setting, service_type, provider_code, currency (the HRG), funding_route and
        cost_basis. `on` is the date the map is read at: the row's `start_date` by default
        (tagging), or a fixed date (the scope a tariff prices).
        """
        when = t.start_date if on is None else on
        if isinstance(when, date):
            when = ibis.literal(when, type="date")
        order = self.order()
        by_setting: dict[str, list[int]] = {}
        for i in order:
            by_setting.setdefault(self.entries[i].setting, []).append(i)
        # branch on the setting first, then only that setting's entries (most specific first)
        idx = ibis.cases(
            *[
                (
                    t.setting == setting,
                    ibis.cases(
                        *[(self._condition(t, self.entries[i], when), i) for i in entries],
                        else_=-1,
                    ),
                )
                for setting, entries in by_setting.items()
            ],
            else_=-1,
        ).cast("int16")
        ids = ibis.cases(
            *[(idx == i, self.entries[i].id) for i in order], else_=ibis.null("string")
        )
        inside = [i for i, e in enumerate(self.entries) if e.inside]
        return {"map_entry": ids, "inside": idx.isin(inside) if inside else ibis.literal(False)}


def example_path() -> Path:
    """The shipped, commented example (what `yoc init` writes for a user to edit)."""
    from importlib import resources

    return Path(str(resources.files("yearofcare.finance") / "examples" / "service_map.yaml"))
