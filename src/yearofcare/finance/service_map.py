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

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar

import ibis
import pandas as pd
from pydantic import Field, field_validator, model_validator

from yearofcare import vocab
from yearofcare.config import ConfigModel, read_yaml, validate
from yearofcare.errors import ConfigError

#: An end date far enough away to stand for "open" in comparisons.
OPEN_END = date(9999, 12, 31)
SELECTORS = ("service_types", "providers", "hrg", "funding_routes", "cost_bases")


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


# ---- loading and validation ----------------------------------------------------------------
def load_service_map(path: Path | str) -> ServiceMap:
    """Read and validate a service map file; every error names the file and line."""
    import hashlib

    path = Path(path)
    data, lines = read_yaml(path, what="service map file")
    if not isinstance(data, dict):
        raise ConfigError(
            f"service map file {path} must hold settings as 'key: value' lines",
            hint=ServiceMapFile.config_hint,
        )
    spec = validate(ServiceMapFile, data, source=f"service map file {path}", lines=lines)
    entry_lines = tuple(lines.get(("entries", i)) for i in range(len(spec.entries)))
    smap = ServiceMap(spec, entry_lines, path, hashlib.sha256(path.read_bytes()).hexdigest())
    check_service_map(smap, f"service map file {path}")
    return smap


def service_map_from(data: Mapping[str, Any], source: str = "service map") -> ServiceMap:
    """A validated map from a mapping (tests, the web app); entries are named by position."""
    spec = validate(ServiceMapFile, data, source=source)
    smap = ServiceMap(spec, tuple(None for _ in spec.entries))
    check_service_map(smap, source)
    return smap


def _where(smap: ServiceMap, i: int) -> str:
    line = smap.lines[i]
    return (
        f"line {line} (entry {smap.entries[i].id!r})" if line else f"entry {smap.entries[i].id!r}"
    )


def _overlap_days(a: Entry, b: Entry) -> tuple[date, date] | None:
    start, end = max(a.effective_from, b.effective_from), min(a.end, b.end)
    return (start, end) if start <= end else None


def check_service_map(smap: ServiceMap, source: str) -> None:
    """Refuse gaps, overlaps and contradictions (see the module docstring)."""
    spec = smap.spec
    hint = ServiceMapFile.config_hint
    for i, e in enumerate(spec.entries):
        if e.hrg_group and e.hrg_group not in spec.hrg_groups:
            raise ConfigError(
                f"{source} {_where(smap, i)}: hrg_group {e.hrg_group!r} is not defined",
                hint="define it under hrg_groups, e.g. hrg_groups: {renal: ['LA*']}",
            )
        if e.effective_from < spec.effective_from:
            raise ConfigError(
                f"{source} {_where(smap, i)}: effective_from {e.effective_from} is before the "
                f"map's effective_from {spec.effective_from}",
                hint=hint,
            )
    _check_versions(smap, source)
    _check_same_selectors(smap, source)
    _check_setting_cover(smap, source)
    _check_contradictions(smap, source)


def _check_versions(smap: ServiceMap, source: str) -> None:
    by_id: dict[str, list[int]] = {}
    for i, e in enumerate(smap.entries):
        by_id.setdefault(e.id, []).append(i)
    for ids in by_id.values():
        ordered = sorted(ids, key=lambda i: smap.entries[i].effective_from)
        for a, b in itertools.pairwise(ordered):
            ea, eb = smap.entries[a], smap.entries[b]
            if eb.effective_from <= ea.end:
                raise ConfigError(
                    f"{source} {_where(smap, b)}: in force from {eb.effective_from}, which "
                    f"overlaps the version at {_where(smap, a)} (in force to "
                    f"{ea.effective_to or 'open'})",
                    hint=f"end the earlier version on {eb.effective_from - timedelta(days=1)}",
                )
            if eb.effective_from > ea.end + timedelta(days=1):
                raise ConfigError(
                    f"{source} {_where(smap, b)}: starts {eb.effective_from} but the version at "
                    f"{_where(smap, a)} ends {ea.effective_to}: {ea.end + timedelta(days=1)} to "
                    f"{eb.effective_from - timedelta(days=1)} is not covered",
                    hint=f"start the later version on {ea.end + timedelta(days=1)} or extend "
                    "the earlier one",
                )


def _check_same_selectors(smap: ServiceMap, source: str) -> None:
    seen: dict[tuple, list[int]] = {}
    for i, e in enumerate(smap.entries):
        for j in seen.get(e.selector(), []):
            if smap.entries[j].id != e.id and _overlap_days(smap.entries[j], e):
                raise ConfigError(
                    f"{source} {_where(smap, i)} covers the same services as {_where(smap, j)} "
                    "on the same days",
                    hint="make one entry with dated versions (same id), or narrow one of them",
                )
        seen.setdefault(e.selector(), []).append(i)


def _check_setting_cover(smap: ServiceMap, source: str) -> None:
    start = smap.spec.effective_from
    for setting in vocab.SETTINGS:
        own = [i for i, e in enumerate(smap.entries) if e.setting == setting and e.specificity == 0]
        if not own:
            raise ConfigError(
                f"{source}: setting {setting!r} has no setting-level entry (one with no "
                "narrower selectors), so its activity would be neither inside nor outside",
                hint=f"add an entry for setting {setting} saying inside: true or false from "
                f"{start}",
            )
        ordered = sorted(own, key=lambda i: smap.entries[i].effective_from)
        covered_to = start - timedelta(days=1)
        for i in ordered:
            e = smap.entries[i]
            if e.effective_from > covered_to + timedelta(days=1):
                raise ConfigError(
                    f"{source} {_where(smap, i)}: setting {setting} is not covered from "
                    f"{covered_to + timedelta(days=1)} to {e.effective_from - timedelta(days=1)}",
                    hint="setting-level entries must follow one another without gaps from the "
                    "map's effective_from",
                )
            if e.effective_from <= covered_to:
                raise ConfigError(
                    f"{source} {_where(smap, i)}: setting {setting} is given twice from "
                    f"{e.effective_from}",
                    hint="end one setting-level entry the day before the next starts",
                )
            covered_to = e.end
        if covered_to != OPEN_END:
            last = ordered[-1]
            raise ConfigError(
                f"{source} {_where(smap, last)}: setting {setting} is not covered after "
                f"{covered_to}",
                hint="leave effective_to empty on the last setting-level entry",
            )


def _sets_meet(a: frozenset, b: frozenset) -> bool:
    return not a or not b or bool(a & b)


def _providers_meet(a: Entry, b: Entry) -> bool:
    inc_a, inc_b = set(a.providers), set(b.providers)
    exc = set(a.providers_other_than) | set(b.providers_other_than)
    if inc_a and inc_b:
        return bool((inc_a & inc_b) - exc)
    if inc_a or inc_b:
        return bool((inc_a or inc_b) - exc)
    return True


def _patterns_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return True
    for p in a:
        for q in b:
            pa, qa = p.rstrip("*"), q.rstrip("*")
            p_prefix, q_prefix = p.endswith("*"), q.endswith("*")
            if (p_prefix and qa.startswith(pa)) or (q_prefix and pa.startswith(qa)) or p == q:
                return True
    return False


def _check_contradictions(smap: ServiceMap, source: str) -> None:
    entries = smap.entries
    for i, a in enumerate(entries):
        for j in range(i + 1, len(entries)):
            b = entries[j]
            if (
                a.setting != b.setting
                or a.specificity != b.specificity
                or a.inside == b.inside
                or a.specificity == 0
                or not _overlap_days(a, b)
            ):
                continue
            if (
                _sets_meet(frozenset(a.service_types), frozenset(b.service_types))
                and _providers_meet(a, b)
                and _patterns_meet(smap.hrg_patterns(a), smap.hrg_patterns(b))
                and _sets_meet(frozenset(a.funding_routes), frozenset(b.funding_routes))
                and _sets_meet(frozenset(a.cost_bases), frozenset(b.cost_bases))
            ):
                raise ConfigError(
                    f"{source} {_where(smap, j)} and {_where(smap, i)} can both match the same "
                    f"{a.setting} activity on the same days but disagree (inside: {b.inside} "
                    f"vs {a.inside}), and neither is more specific",
                    hint="add an entry for the combination (it is more specific, so it "
                    "decides), or narrow one of them so they cannot meet",
                )


def example_path() -> Path:
    """The shipped, commented example (what `yoc init` writes for a user to edit)."""
    from importlib import resources

    return Path(str(resources.files("yearofcare.finance") / "examples" / "service_map.yaml"))
