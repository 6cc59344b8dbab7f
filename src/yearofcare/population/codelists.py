"""Condition definitions as versioned data: code lists and rules, and matching codes to them.

A code-list version is a folder `reference/codelists/<version>/` holding

- `codes_*.csv` — `condition_id, role, code_system, code, term, source_id, source_detail`;
  `role` is `diagnosis` or `resolved` (a code that ends the condition);
- `rules.csv` — per condition: look-back window, its anchor, minimum age, minimum events;
- `sources.csv` — publisher, title, version/date, where it was copied from, licence.

Matching semantics (tested in tests/test_population_codelists.py):

- **ICD-10** codes are normalised by upper-casing and removing dots, spaces and a trailing
  `X` filler after the three-character category (`I10X` → `I10`, `e11.9` → `E119`). A list
  entry is a *prefix*: `I10` (a 3-character category) matches `I10` and every child `I10…`;
  a 4-character entry `I110` matches `I110` and its 5-character extensions, but not `I11`
  or `I111`. Entries must have at least 3 characters.
- **BNF** entries are prefixes too: section `0407` matches presentation `0407010H0AAAMAM`.
- **SNOMED CT** entries match exactly (descendants are not implied).
- **Read v2** codes are compared on their first five characters (the term-code suffix of
  `G30..00` is dropped); Read codes are case-sensitive.

A code may belong to several conditions (e.g. ICD-10 `I110`, hypertensive heart disease with
heart failure, is both hypertension and heart failure): every match counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable

import ibis
import pandas as pd

from yearofcare import codes, vocab
from yearofcare.errors import ConfigError, InputError
from yearofcare.population.refdata import RefFile, available, fingerprint, read_csv, reference_dir
from yearofcare.schemas.population import catalogue_rows

ROLES: tuple[str, ...] = ("diagnosis", "resolved")
ANCHORS: tuple[str, ...] = ("latest", "first")
PREFIX_SYSTEMS: frozenset[str] = codes.PREFIX_SYSTEMS
CODE_COLUMNS = ("condition_id", "role", "code_system", "code", "term", "source_id")
RULE_COLUMNS = (
    "condition_id",
    "lookback_years",
    "lookback_anchor",
    "min_age",
    "min_prescriptions",
)
SOURCE_COLUMNS = ("source_id", "publisher", "title", "version", "retrieved_from", "licence")


def normalise_icd10(code: str) -> str:
    """`i10.x` → `I10`: upper case, no dots or spaces, no trailing X filler after 3 characters."""
    c = code.strip().upper().replace(".", "").replace(" ", "").replace("-", "")
    while len(c) > 3 and c.endswith("X"):
        c = c[:-1]
    return c


def normalise(system: str, code: str) -> str:
    """The comparable form of `code` in `system` (Python twin of `normalised_code`)."""
    if system == "ICD10":
        return normalise_icd10(code)
    if system == "READ2":
        return code.strip()[:5]
    if system == "BNF":
        return code.strip().upper()
    return code.strip()


def _valid(system: str, code: str) -> bool:
    """A valid code-list entry of `system` (`yearofcare.codes`: a code, or a prefix)."""
    return codes.system(system).valid_prefix(code)


@dataclass(frozen=True)
class Rule:
    """How a condition's codes become 'has the condition by the end of the year'."""

    condition_id: str
    group: str
    lookback_years: int | None
    lookback_anchor: str
    min_age: int | None
    min_prescriptions: int
    #: False for a register (palliative care): flagged, never counted as a long-term condition
    counted: bool = True


@dataclass(frozen=True)
class Codelist:
    """One loaded code-list version."""

    version: str
    codes: pd.DataFrame
    rules: tuple[Rule, ...]
    sources: pd.DataFrame
    files: tuple[RefFile, ...]

    @property
    def sha256(self) -> str:
        return fingerprint(list(self.files))

    def rule(self, condition_id: str) -> Rule:
        for r in self.rules:
            if r.condition_id == condition_id:
                return r
        raise KeyError(condition_id)

    def rules_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "condition_id": r.condition_id,
                    "lookback_years": r.lookback_years,
                    "anchor_first": r.lookback_anchor == "first",
                    "min_age": r.min_age,
                    "min_prescriptions": r.min_prescriptions,
                }
                for r in self.rules
            ]
        )

    def lookup(self, system: str, code: str) -> list[tuple[str, str]]:
        """(condition_id, role) pairs that `code` matches (Python twin of `match_events`)."""
        c = normalise(system, code)
        sub = self.codes[self.codes.code_system == system]
        if system in PREFIX_SYSTEMS:
            keys = {c[:n] for n in range(3 if system == "ICD10" else 2, len(c) + 1)}
            hit = sub[sub.code.isin(keys)]
        else:
            hit = sub[sub.code == c]
        return sorted(set(zip(hit.condition_id, hit.role, strict=True)))


def available_codelists() -> list[str]:
    return available("codelists", suffix="")


@cache
def load_codelist(version: str) -> Codelist:
    """Load and validate code-list `version` (cached; the files are part of the package)."""
    folder = reference_dir("codelists", version)
    if not folder.is_dir():
        raise ConfigError(
            f"code-list version {version!r} does not exist",
            hint="available: " + ", ".join(available_codelists()),
        )
    return read_codelist(folder, version, f"reference/codelists/{version}")


def read_codelist(folder: Traversable, version: str, label: str) -> Codelist:
    """Load and validate the code list in `folder` (errors name `label`, the file and line)."""
    sources = read_csv(folder / "sources.csv", f"{label}/sources.csv", SOURCE_COLUMNS)
    rules_file = read_csv(folder / "rules.csv", f"{label}/rules.csv", RULE_COLUMNS)
    code_files = [
        read_csv(p, f"{label}/{p.name}", CODE_COLUMNS)
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.startswith("codes_") and p.name.endswith(".csv")
    ]
    if not code_files:
        raise InputError(f"{label} has no codes_*.csv files", hint="restore the code-list files")
    catalogue = {r["condition_id"]: r for r in catalogue_rows()}
    source_ids = set(sources.frame.source_id)
    codes = pd.concat([_check_codes(f, catalogue, source_ids) for f in code_files])
    codes = drop_covered(
        codes.drop_duplicates(["condition_id", "role", "code_system", "code"]),
        ("condition_id", "role"),
    )
    _check_roles_disjoint(codes, label)
    codes["rx"] = codes.code_system == "BNF"
    rules = _rules(rules_file, catalogue)
    return Codelist(
        version=version,
        codes=codes.reset_index(drop=True),
        rules=rules,
        sources=sources.frame,
        files=(sources, rules_file, *code_files),
    )


def _check_codes(f: RefFile, catalogue: dict, source_ids: set[str]) -> pd.DataFrame:
    frame = f.frame.copy()
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"{f.path} line {i}"
        if row.condition_id not in catalogue:
            raise InputError(
                f"{where}: condition {row.condition_id!r} is not in the LTC catalogue",
                hint="use a condition_id of reference/conditions/yoc_ltc_catalogue_2026.csv",
            )
        if row.role not in ROLES:
            raise InputError(f"{where}: role {row.role!r}; expected one of {', '.join(ROLES)}")
        if row.code_system not in vocab.CODE_SYSTEMS:
            raise InputError(
                f"{where}: code system {row.code_system!r}; "
                f"expected one of {', '.join(vocab.CODE_SYSTEMS)}"
            )
        if row.source_id not in source_ids:
            raise InputError(
                f"{where}: source {row.source_id!r} is not described in sources.csv",
                hint="add a row for it to sources.csv (publisher, version, licence)",
            )
    frame["code"] = [normalise(s, c) for s, c in zip(frame.code_system, frame.code, strict=True)]
    bad = [
        (i, s, c)
        for i, (s, c) in enumerate(zip(frame.code_system, frame.code, strict=True), start=2)
        if not _valid(s, c)
    ]
    if bad:
        i, s, c = bad[0]
        raise InputError(
            f"{f.path} line {i}: {c!r} is not a valid {s} code ({len(bad)} invalid in the file)",
            hint="ICD-10 entries need at least the 3-character category, e.g. I10 or E119",
        )
    return frame


def drop_covered(codes: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """Remove prefix-system entries already covered by a shorter entry with the same `keys`."""
    keep = []
    for group_key, grp in codes.groupby([*keys, "code_system"]):
        system = group_key[-1]
        if system not in PREFIX_SYSTEMS:
            keep.append(grp)
            continue
        entries = set(grp.code)
        covered = [
            any(code[:n] in entries for n in range(2, len(code))) for code in grp.code.tolist()
        ]
        keep.append(grp[[not c for c in covered]])
    return pd.concat(keep) if keep else codes


def _check_roles_disjoint(codes: pd.DataFrame, label: str) -> None:
    both = codes.groupby(["condition_id", "code_system", "code"]).role.nunique()
    both = both[both > 1]
    if len(both):
        cond, system, code = both.index[0]
        raise InputError(
            f"{label}: {system} code {code} is both a diagnosis and a resolved code of {cond}",
            hint="a code can only start or end a condition, not both",
        )


def _int_or_none(value: str, where: str, name: str) -> int | None:
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{where}: {name} {value!r} is not a whole number") from None


def _rules(f: RefFile, catalogue: dict) -> tuple[Rule, ...]:
    rules: dict[str, Rule] = {}
    for i, row in enumerate(f.frame.itertuples(index=False), start=2):
        where = f"{f.path} line {i}"
        if row.condition_id not in catalogue:
            raise InputError(f"{where}: condition {row.condition_id!r} is not in the catalogue")
        if row.condition_id in rules:
            raise InputError(f"{where}: condition {row.condition_id} has two rules")
        anchor = row.lookback_anchor or "latest"
        if anchor not in ANCHORS:
            raise InputError(f"{where}: lookback_anchor {anchor!r}; expected latest or first")
        min_rx = _int_or_none(row.min_prescriptions, where, "min_prescriptions") or 1
        lookback = _int_or_none(row.lookback_years, where, "lookback_years")
        if lookback is not None and lookback < 1:
            raise InputError(f"{where}: lookback_years must be at least 1 (or empty for ever)")
        rules[row.condition_id] = Rule(
            condition_id=row.condition_id,
            group=catalogue[row.condition_id]["group"],
            lookback_years=lookback,
            lookback_anchor=anchor,
            min_age=_int_or_none(row.min_age, where, "min_age"),
            min_prescriptions=min_rx,
            counted=catalogue[row.condition_id]["kind"] == "condition",
        )
    missing = [c for c in catalogue if c not in rules]
    if missing:
        raise InputError(
            f"{f.path}: no rule for condition(s) {', '.join(missing)}",
            hint="every catalogue condition needs a row (empty fields mean: ever, any age)",
        )
    return tuple(rules[c] for c in catalogue)


# ---- Ibis expressions ----------------------------------------------------------------------
def normalised_code(code: ibis.StringValue, system: str) -> ibis.StringValue:
    """The comparable form of an event code of `system` (see the module docstring)."""
    if system == "ICD10":
        c = code.strip().upper().replace(".", "").replace(" ", "").replace("-", "")
        for _ in range(2):  # X filler: I10X -> I10; at most two filler characters occur
            c = ibis.ifelse((c.length() > 3) & c.endswith("X"), c.substr(0, c.length() - 1), c)
        return c
    if system == "READ2":
        return code.strip().substr(0, 5)
    if system == "BNF":
        return code.strip().upper()
    return code.strip()


def match_codes(
    coded_event: ibis.Table, codes: pd.DataFrame, payload: tuple[str, ...]
) -> ibis.Table:
    """Coded events joined to a code table (`code_system`, `code` and `payload` columns).

    Returns person_id, event_date (and `n`, the events each row stands for, when the events
    have it) and the payload columns. One equi-join per code system (and
    per entry length for prefix systems), unioned — no pattern matching, so it stays fast on
    both engines. Entries covered by a shorter entry must have been removed beforehand, or an
    event would match twice.
    """
    frame = codes[["code_system", "code", *payload]].rename(columns={"code": "key"}).copy()
    frame["key_len"] = frame.key.str.len().astype("int32")
    table = ibis.memtable(frame)
    weight = ("n",) if "n" in coded_event.columns else ()
    ev = coded_event.select("person_id", "event_date", "code_system", "code", *weight)
    parts = []
    for system in sorted(frame.code_system.unique()):
        lengths = sorted(frame.loc[frame.code_system == system, "key_len"].unique())
        sub = ev.filter(ev.code_system == system)
        norm = normalised_code(sub.code, system)
        for length in lengths if system in PREFIX_SYSTEMS else [None]:
            keyed = sub.mutate(key=norm.substr(0, int(length)) if length is not None else norm)
            c = table.filter(table.code_system == system)
            if length is not None:
                c = c.filter(c.key_len == int(length))
            c = c.select("key", *payload)
            j = keyed.join(c, "key")
            parts.append(j.select("person_id", "event_date", *weight, *payload))
    return ibis.union(*parts, distinct=False)


def match_events(coded_event: ibis.Table, codelist: Codelist) -> ibis.Table:
    """Coded events matching the code list: person_id, event_date, condition_id, role, rx.

    `rx` is True for a prescription (BNF) event, False for a coded diagnosis.
    """
    return match_codes(coded_event, codelist.codes, ("condition_id", "role", "rx"))
