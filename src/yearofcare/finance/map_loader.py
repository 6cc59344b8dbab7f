"""Loading a service map file and refusing a map that leaves care undecided or contradicts
itself (the rules are listed in finance/service_map.py); every error names the file and line."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from yearofcare import vocab
from yearofcare.config import read_yaml, validate
from yearofcare.errors import ConfigError
from yearofcare.finance.service_map import OPEN_END, Entry, ServiceMap, ServiceMapFile


def load_service_map(path: Path | str) -> ServiceMap:
    """Read and validate a service map file; every error names the file and line."""
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
