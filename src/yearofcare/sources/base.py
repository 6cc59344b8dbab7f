"""The adapter protocol: a raw contract per extract format and a builder of canonical tables.

An adapter declares the columns its format carries (`RawColumn`: name, kind, whether a value is
required), how a person is identified (`Identity`), which columns make a record unique, default
code maps and row rules. Ingest reads the file against this contract, pseudonymises identifiers,
types and checks every value (quarantining bad rows), then hands the typed rows to `build`, which
returns Ibis expressions for the canonical tables the format feeds. `build` never executes
anything and never sees an identifier: only pseudonyms (`person_id`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import ibis

from yearofcare import codes

#: Kinds of raw column. Identifier kinds are consumed by the trusted linkage step and never
#: reach the store; code kinds are normalised and checked against their code system.
Kind = Literal[
    "string",
    "code",
    "date",
    "int",
    "float",
    "icd10",
    "opcs4",
    "snomed",
    "read2",
    "bnf",
    "nhs_number",
    "token",
    "pseudonym",
    "local_id",
    "dob",
    "postcode",
]
IDENTIFIER_KINDS = frozenset({"nhs_number", "token", "pseudonym", "local_id", "dob", "postcode"})
#: Code-system column kinds → the system's name (`yearofcare.codes`).
CODE_SYSTEM_KINDS: dict[str, str] = {kind: s.name for kind, s in codes.BY_KIND.items()}
ISO_DATE = ("%Y-%m-%d",)


@dataclass(frozen=True)
class RawColumn:
    """One column of a raw extract.

    required: a blank or invalid value quarantines the row (otherwise the value is blanked and
    the correction recorded). optional: the column may be absent from the file altogether.
    """

    name: str
    kind: Kind = "string"
    required: bool = False
    optional: bool = False
    minimum: float | None = None
    maximum: float | None = None
    formats: tuple[str, ...] = ISO_DATE
    description: str = ""

    @property
    def is_identifier(self) -> bool:
        return self.kind in IDENTIFIER_KINDS


def columns(pattern: str, first: int, last: int, kind: Kind, **kw: object) -> list[RawColumn]:
    """Numbered columns such as DIAG_4_01…DIAG_4_20 (the first present, the rest optional)."""
    return [
        RawColumn(pattern.format(i), kind, optional=i != first, **kw)  # type: ignore[arg-type]
        for i in range(first, last + 1)
    ]


@dataclass(frozen=True)
class Rule:
    """A row rule over typed columns; rows it matches are quarantined.

    `condition` takes the table of typed rows (columns named as the contract) and returns an
    Ibis boolean; NULL counts as not matched.
    """

    reason: str
    column: str
    condition: Callable[[ibis.Table], ibis.BooleanValue]
    message: str


def end_before_start(end: str, start: str) -> Rule:
    """The common rule: a period ending before it starts is quarantined."""
    return Rule("end_before_start", end, lambda t: t[end] < t[start], f"{end} is before {start}")


@dataclass(frozen=True)
class BuildContext:
    """What `build` may use: the load's identity and the defaults after mapping overrides."""

    load_id: str
    source: str
    extract_id: str
    defaults: Mapping[str, str]
    period_start: date | None = None
    period_end: date | None = None

    def default(self, name: str) -> ibis.Value:
        value = self.defaults.get(name)
        return ibis.literal(value, type="string") if value is not None else ibis.null("string")


#: What `build` returns: canonical table name → expression over the typed rows. The names
#: `activity`, `coded_event`, `registration`, `practice`, `assessment`, `survey_response`,
#: `person` (one row per typed row: person_id plus any person columns it knows).
Built = dict[str, ibis.Table]


@dataclass(frozen=True)
class Adapter:
    """An extract format: its contract and its builder."""

    name: str
    description: str
    columns: tuple[RawColumn, ...]
    build: Callable[[ibis.Table, BuildContext], Built]
    record_key: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    code_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    null_values: tuple[str, ...] = ()
    null_dates: tuple[str, ...] = ()
    invalid_dates: tuple[str, ...] = ()
    date_column: str | None = None
    person_rank: int = 5
    token_namespace: str = "hes"
    feeds: tuple[str, ...] = ("activity",)
    #: Keys that tie several rows to one record (a hospital spell's episodes), alternatives in
    #: order of preference: the rows of a record share its best-identified row's person
    #: (`linkage.groups`), so a missing or invalid NHS number on one row cannot split it.
    record_group: tuple[tuple[str, ...], ...] = ()
    #: The HES data set (apc, op, ae) whose published field spellings the format accepts
    #: (`sources.field_names`): every spelling of each column loads with no mapping file.
    dataset: str | None = None

    def column(self, name: str) -> RawColumn:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def identifiers(self) -> tuple[RawColumn, ...]:
        return tuple(c for c in self.columns if c.is_identifier)
