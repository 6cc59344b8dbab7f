"""The reviewers' decisions file: stage two of cohort selection, read like an extract.

A CSV (comma, semicolon, tab or pipe; UTF-8 with or without a byte-order mark, else
Latin-1) with one row per person reviewed (a workbook is refused with a hint to save as CSV). Columns (any case; spaces, hyphens
and underscores alike):

- person_id (also: pseudonym, patient_id, id): the pseudonymised id on the review list;
- decision: accept (accepted, yes, y, join, include, 1) or decline (declined, no, n, reject,
  exclude, 0); withdraw (withdrawn, left, opt out) ends an existing membership as declined;
- decided_on (also: decision_date, date, reviewed_on): ISO 2025-04-01, 01/04/2025 or 1-Apr-2025;
- reviewer, reason (optional), and any other columns (practice_code, the facts) are ignored.

Blank decisions are left pending. Errors name the file, the row (1 = first data row) and the
column, say what was found and what was expected; nothing is written until the file is clean.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from yearofcare.cohorts.rules import suggest
from yearofcare.errors import InputError

ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "pseudonym", "patient_id", "id", "personid"),
    "decision": ("decision", "outcome", "review_decision"),
    "decided_on": ("decided_on", "decision_date", "date", "reviewed_on", "review_date"),
    "reviewer": ("reviewer", "reviewed_by", "clinician"),
    "reason": ("reason", "comment", "comments", "notes"),
}
DECISIONS: dict[str, str] = {
    **dict.fromkeys(("accept", "accepted", "yes", "y", "join", "include", "1", "true"), "accepted"),
    **dict.fromkeys(
        ("decline", "declined", "no", "n", "reject", "rejected", "exclude", "0", "false"),
        "declined",
    ),
    **dict.fromkeys(("withdraw", "withdrawn", "left", "opt out", "opted out"), "withdrawn"),
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%b-%Y", "%d %b %Y", "%d.%m.%Y")


@dataclass(frozen=True)
class Decisions:
    """The clean decisions: person_id, decision, decided_on, reviewer, reason, row."""

    frame: pd.DataFrame
    path: Path
    pending: int


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(
            f"decisions file {path} not found", hint="check the path given to --decisions"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise InputError(
            f"decisions file {path} is a workbook",
            hint="save the sheet as CSV (File > Save As > CSV UTF-8) and give that file",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first = text.splitlines()[0] if text.strip() else ""
    try:
        delim = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter if first else ","
    except csv.Error:
        delim = ","
    from io import StringIO

    return pd.read_csv(StringIO(text), sep=delim, dtype=str, keep_default_na=False)


def _date(value: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def read_decisions(path: Path | str) -> Decisions:
    """Read and check a decisions file (not yet against the review list: see `check_listed`)."""
    path = Path(path)
    frame = _read(path)
    if frame.empty and not len(frame.columns):
        raise InputError(
            f"decisions file {path} is empty",
            hint="return the review list with decisions filled in",
        )
    found = {_norm(c): c for c in frame.columns}
    columns: dict[str, str] = {}
    for key, names in ALIASES.items():
        hit = next((found[n] for n in names if n in found), None)
        if hit is not None:
            columns[key] = hit
    for key in ("person_id", "decision"):
        if key not in columns:
            raise InputError(
                f"decisions file {path}: no {key} column{suggest(key, found)}; "
                f"found {', '.join(map(str, frame.columns)) or 'none'}",
                hint=f"name the column {key} (also accepted: {', '.join(ALIASES[key][1:])})",
            )
    rows, problems = [], []
    pending = 0
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        pid = str(rec[columns["person_id"]] or "").strip()
        raw_decision = str(rec[columns["decision"]] or "").strip()
        if not pid and not raw_decision:
            continue
        if not pid:
            problems.append(f"row {i}: person_id is empty")
            continue
        if not raw_decision:
            pending += 1
            continue
        decision = DECISIONS.get(raw_decision.lower())
        if decision is None:
            problems.append(
                f"row {i}, column {columns['decision']}: {raw_decision!r} is not a decision"
            )
            continue
        when = None
        if "decided_on" in columns:
            text = str(rec[columns["decided_on"]] or "").strip()
            if text:
                when = _date(text)
                if when is None:
                    problems.append(
                        f"row {i}, column {columns['decided_on']}: {text!r} is not a date"
                    )
                    continue
        rows.append(
            {
                "person_id": pid,
                "decision": decision,
                "decided_on": when,
                "reviewer": (str(rec[columns["reviewer"]]).strip() or None)
                if "reviewer" in columns
                else None,
                "reason": (str(rec[columns["reason"]]).strip() or None)
                if "reason" in columns
                else None,
                "row": i,
            }
        )
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError(
            f"decisions file {path}: " + "; ".join(problems[:5]) + more,
            hint="decisions are accept, decline or withdraw (or yes/no); dates like 2025-04-01 "
            "or 01/04/2025",
        )
    clean = pd.DataFrame(
        rows, columns=["person_id", "decision", "decided_on", "reviewer", "reason", "row"]
    )
    dupes = clean[clean.duplicated("person_id", keep=False)]
    if len(dupes):
        first = dupes.groupby("person_id").row.apply(list).iloc[0]
        raise InputError(
            f"decisions file {path}: {dupes.person_id.nunique():,} person(s) have more than one "
            f"decision, e.g. rows {', '.join(map(str, first))}",
            hint="keep one row per person",
        )
    return Decisions(clean, path, pending)


def check_listed(decisions: Decisions, listed: set[str], members: set[str], what: str) -> None:
    """Every decided person must be on the review list (or, to withdraw, a member)."""
    f = decisions.frame
    ok = f.person_id.isin(listed) | ((f.decision == "withdrawn") & f.person_id.isin(members))
    bad = f[~ok]
    if len(bad):
        rows = ", ".join(str(r) for r in bad.row.head(5))
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise InputError(
            f"decisions file {decisions.path}: {len(bad):,} person(s) are not on the review list "
            f"of {what}: rows {rows}{more}",
            hint="decide only for people on the review list (`yoc cohort select` wrote it); a "
            "withdrawal must name a current member",
        )
