"""Published spellings of hospital extract fields, read from a versioned data file.

`reference/field_names/nhs_hes_sus_2026.yaml` lists, for each field the HES adapters read, the
names the HES data dictionary, NHS Digital's Artificial HES files, SUS+ (NCDR SEM tables) and
SUS / CDS extracts give it, with the publication of each. An adapter declares its HES data set
(`Adapter.dataset`: apc, op or ae); preflight then accepts every spelling of each of its columns
with no mapping file, the adapter's own name first. The table is data, not code: a new spelling
is a line in the file (and a row in its README's check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from yearofcare.errors import ConfigError
from yearofcare.sources.base import Adapter

DEFAULT = "nhs_hes_sus_2026"
DATASETS = ("apc", "op", "ae")
_SLOT = re.compile(r"\{(n|m)(?::(\d+)d|:0(\d+)d)?\}")


@dataclass(frozen=True)
class Spelling:
    name: str
    by: str


@dataclass(frozen=True)
class Field:
    """One field (one slot of a numbered field) and its spellings in order of preference."""

    field: str
    meaning: str
    datasets: tuple[str, ...]
    spellings: tuple[Spelling, ...]

    def has(self, name: str) -> bool:
        return any(s.name.upper() == name.upper() for s in self.spellings)


@dataclass(frozen=True)
class FieldNames:
    version: str
    publishers: dict[str, dict[str, str]]
    fields: tuple[Field, ...]
    path: str

    def field_of(self, dataset: str, column: str) -> Field | None:
        """The field of `dataset` one of whose spellings is `column`."""
        for f in self.fields:
            if dataset in f.datasets and f.has(column):
                return f
        return None

    def alternatives(self, adapter: Adapter) -> dict[str, tuple[str, ...]]:
        """Contract column → the other accepted spellings, in order of preference."""
        if adapter.dataset is None:
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for col in adapter.columns:
            f = self.field_of(adapter.dataset, col.name)
            if f is not None:
                others = tuple(s.name for s in f.spellings if s.name.upper() != col.name.upper())
                if others:
                    out[col.name] = others
        return out


def _expand(name: str, n: int) -> str:
    def sub(m: re.Match) -> str:
        value = n if m.group(1) == "n" else n - 1
        width = m.group(2) or m.group(3)
        return f"{value:0{int(width)}d}" if width else str(value)

    return _SLOT.sub(sub, name)


def _fail(path: str, what: str) -> ConfigError:
    return ConfigError(f"field-name table {path}: {what}", hint="fix the versioned data file")


@cache
def load(name: str = DEFAULT) -> FieldNames:
    """Read and check the field-name table `name` (a file under reference/field_names/)."""
    rel = f"reference/field_names/{name}.yaml"
    node = resources.files("yearofcare.reference") / "field_names" / f"{name}.yaml"
    if not node.is_file():
        raise ConfigError(f"field-name table {name!r} does not exist", hint=f"expected {rel}")
    data = yaml.safe_load(node.read_text(encoding="utf-8"))
    publishers = data.get("publishers") or {}
    fields: list[Field] = []
    for entry in data.get("fields") or []:
        datasets = tuple(entry["datasets"])
        bad = [d for d in datasets if d not in DATASETS]
        if bad:
            raise _fail(rel, f"field {entry['field']}: unknown data set {bad[0]!r}")
        lo, hi = entry.get("slots", [None, None])
        last = entry.get("last_slot", {})
        for n in range(lo, hi + 1) if lo is not None else [None]:
            here = tuple(d for d in datasets if n is None or n <= last.get(d, hi))
            spellings = []
            for s in entry["names"]:
                if s["by"] not in publishers:
                    raise _fail(rel, f"{s['name']}: publisher {s['by']!r} is not listed")
                a, b = s.get("slots", [lo, hi])
                if n is not None and not a <= n <= b:
                    continue
                spellings.append(Spelling(_expand(s["name"], n) if n else s["name"], s["by"]))
            label = entry["field"] if n is None else f"{entry['field']}_{n}"
            fields.append(Field(label, entry.get("meaning", ""), here, tuple(spellings)))
    table = FieldNames(str(data["version"]), publishers, tuple(fields), rel)
    for dataset in DATASETS:
        seen: dict[str, str] = {}
        for f in table.fields:
            if dataset not in f.datasets:
                continue
            for s in f.spellings:
                other = seen.setdefault(s.name.upper(), f.field)
                if other != f.field:
                    raise _fail(rel, f"{s.name} names two {dataset} fields ({other}, {f.field})")
    return table
