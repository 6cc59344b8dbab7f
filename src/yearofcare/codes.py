"""Clinical code systems: what a valid code looks like, and how a raw value is normalised.

One declaration per system, used everywhere a code is checked or compared: the ingest parse
(`sources/parse.py`, as Ibis expressions), row rules (`gp_events`), the code lists
(`population/codelists.py`, in Python) and the synthetic extracts. Patterns are written once,
in the common subset of Python `re` and RE2 (DuckDB, Spark), and match the whole value.

Published lengths (normalised form: upper case, no dots, spaces, fillers or markers):

- **ICD-10** (NHS Data Dictionary, ICD-10 CODE, an4–an6): a letter, two digits, then an
  optional fourth character (a digit; `X` fills an undivided three-character code), an
  optional fifth character (a digit; `-` fills it when unused) and an optional sixth
  character, the dagger / asterisk marker `D` or `A`. Normalised: `I10X` → `I10`,
  `E119-` → `E119`, `G01X-D`/`G01*` → `G01`; valid forms are 3–5 characters, `[A-Z][0-9]{2}`
  plus up to two digits.
- **OPCS-4** (OPCS-4 CODE, an4): a letter and three digits (`H011`); three-character
  categories (`X62`) occur with a `-` or `X` filler. Valid: `[A-Z][0-9]{2}` plus one optional digit.
- **SNOMED CT** (SNOMED CT identifier): 6 to 18 digits.
- **Read v2**: five characters (letters, digits, `.` padding), optionally followed by a
  two-digit term code, which is dropped (`G30..00` → `G30..`); case is kept.
- **BNF** (the BNF code of a presentation, as in the NHSBSA prescribing data): 15 characters,
  starting with the 4-digit chapter and section; the 7-character sub-paragraph, 9-character
  chemical substance and 11- and 13-character product and strength levels are accepted in
  extracts. Code lists may hold any prefix from the 2-character chapter up (`prefix`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ibis


@dataclass(frozen=True)
class CodeSystem:
    """A code system: its names, the pattern of a valid normalised code, and its fillers."""

    name: str  # as stored in coded_event.code_system
    kind: str  # the RawColumn kind of a column holding such codes
    label: str  # for messages
    pattern: str  # a valid code, normalised (whole-value match)
    clean: str  # a raw value already in normal form (skips normalising)
    prefix: str  # a code-list entry (a code, or a prefix for prefix systems)
    upper: bool = True  # normalised to upper case
    strip: str = r"[\s.*+†]"  # characters removed anywhere (spaces, dots, markers)
    suffix: str = ""  # a removable suffix after a whole code (Read v2 term code)
    filler: str = ""  # trailing filler characters after the category (X, -)
    marker: str = ""  # a trailing dagger/asterisk marker letter after the fillers

    @property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def valid(self, code: str | None) -> bool:
        """Is `code` (normalised) a valid code of this system?"""
        return code is not None and self.regex.fullmatch(code) is not None

    def valid_prefix(self, code: str | None) -> bool:
        """Is `code` a valid code-list entry (a code, or a prefix for prefix systems)?"""
        return code is not None and re.fullmatch(self.prefix, code) is not None

    # ---- normalising, in Python and as Ibis expressions ---------------------------------------
    def normalise(self, value: str | None) -> str | None:
        """The normal form of a raw value (None when blank); see `normalise_expr`."""
        if value is None:
            return None
        if re.fullmatch(r"[-&\s]*", value):
            return None
        if re.fullmatch(self.clean, value):
            return value
        c = re.sub(self.strip, "", value)
        if self.upper:
            c = c.upper()
        if self.suffix:
            c = re.sub(f"^({self.pattern}){self.suffix}$", r"\1", c)
        if self.marker:
            c = re.sub(f"^({CATEGORY}[0-9{re.escape(self.filler)}]*)[{self.marker}]$", r"\1", c)
        if self.filler:
            c = re.sub(f"^({CATEGORY}[0-9]*)[{re.escape(self.filler)}]+$", r"\1", c)
        return c or None

    def normalise_expr(self, value: ibis.StringValue) -> ibis.StringValue:
        """The normal form of a raw value as an Ibis expression (NULL when blank).

        Values already in normal form (most of them) are passed through unchanged. Written
        without regex back-references, which DuckDB and Spark spell differently.
        """
        c = value.re_replace(self.strip, "")
        if self.upper:
            c = c.upper()
        if self.suffix:
            term = c.re_search(f"^(?:{self.pattern}){self.suffix}$")
            c = ibis.ifelse(term, c.re_replace(f"{self.suffix}$", ""), c)
        if self.marker:
            marked = c.re_search(f"^{CATEGORY}[0-9{re.escape(self.filler)}]*[{self.marker}]$")
            c = ibis.ifelse(marked, c.re_replace(f"[{self.marker}]$", ""), c)
        if self.filler:
            filled = c.re_search(f"^{CATEGORY}[0-9]*[{re.escape(self.filler)}]+$")
            c = ibis.ifelse(filled, c.re_replace(f"[{re.escape(self.filler)}]+$", ""), c)
        c = c.nullif("")
        blank = value.re_search(r"^[-&\s]+$")
        clean = value.re_search(f"^(?:{self.clean})$")
        return ibis.cases((blank, ibis.null("string")), (clean, value), else_=c)

    def valid_raw_expr(self, value: ibis.StringValue) -> ibis.BooleanValue:
        """Is a trimmed raw value already a valid code, or one with a removable suffix (a
        Read v2 term code)? One pattern match: for row rules over raw code columns."""
        suffix = f"(?:{self.suffix})?" if self.suffix else ""
        return value.re_search(f"^(?:{self.pattern}){suffix}$")

    def valid_expr(self, code: ibis.StringValue) -> ibis.BooleanValue:
        """Is the normalised `code` valid (an Ibis expression; NULL for NULL)?"""
        return code.re_search(f"^(?:{self.pattern})$")


#: The category prefix of ICD-10 and OPCS-4 codes (fillers follow it).
CATEGORY = "[A-Z][0-9]{2}"

ICD10 = CodeSystem(
    name="ICD10",
    kind="icd10",
    label="ICD-10",
    pattern=r"[A-Z][0-9]{2}[0-9]{0,2}",
    clean=r"[A-Z][0-9]{2}[0-9]{0,2}",
    prefix=r"[A-Z][0-9]{2}[0-9]{0,2}",
    filler="X-",
    marker="AD",
)
OPCS4 = CodeSystem(
    name="OPCS4",
    kind="opcs4",
    label="OPCS-4",
    pattern=r"[A-Z][0-9]{2}[0-9]?",
    clean=r"[A-Z][0-9]{2}[0-9]?",
    prefix=r"[A-Z][0-9]{2}[0-9]?",
    filler="X-",
)
SNOMED = CodeSystem(
    name="SNOMED",
    kind="snomed",
    label="SNOMED CT",
    pattern=r"[0-9]{6,18}",
    clean=r"[0-9]{6,18}",
    prefix=r"[0-9]{6,18}",
)
READ2 = CodeSystem(
    name="READ2",
    kind="read2",
    label="Read v2",
    pattern=r"[A-Za-z0-9.]{5}",
    clean=r"[A-Za-z0-9.]{5}",
    prefix=r"[A-Za-z0-9.]{5}",
    upper=False,
    strip=r"[\s*+]",
    suffix="[0-9]{2}",
)
BNF = CodeSystem(
    name="BNF",
    kind="bnf",
    label="BNF",
    pattern=r"[0-9]{4}[0-9A-Z]{3}([0-9A-Z]{2}){0,4}",
    clean=r"[0-9]{4}[0-9A-Z]{3}([0-9A-Z]{2}){0,4}",
    prefix=r"[0-9A-Z]{2,15}",
)

SYSTEMS: dict[str, CodeSystem] = {s.name: s for s in (ICD10, OPCS4, SNOMED, READ2, BNF)}
#: Raw column kind → code system.
BY_KIND: dict[str, CodeSystem] = {s.kind: s for s in SYSTEMS.values()}
#: Systems whose code-list entries match every code that starts with them.
PREFIX_SYSTEMS: frozenset[str] = frozenset({"ICD10", "BNF"})


def system(name: str) -> CodeSystem:
    return SYSTEMS[name]


def valid_in(system_col: ibis.StringValue, code: ibis.StringValue) -> ibis.BooleanValue:
    """Is `code` a valid normalised code of the system named in `system_col` (per row)?"""
    return ibis.cases(
        *[(system_col == s.name, s.valid_expr(code)) for s in SYSTEMS.values()], else_=False
    )
