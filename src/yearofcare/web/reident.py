"""Re-identification of a cohort review list, for case-finding at the GP practice (REQUIREMENTS
§8; seed 004 §5.4): a separate action of the re-identification role, with a stated reason,
written to the append-only audit log.

The practice uploads its own list of NHS numbers. Inside this one step each number is checked
(modulus 11), hashed with the linkage key exactly as at ingest (`linkage.pseudonym`), and
matched against the pseudonyms on the practice's review list; the matches go back to the
practice as a CSV download. Nothing reversible is stored: no NHS number is written to the store,
the app state, a log line or a page, and the audit row holds only counts and names.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from yearofcare.config.paths import default_key_file
from yearofcare.errors import ConfigError, InputError
from yearofcare.linkage.nhs_number import is_valid, normalise
from yearofcare.linkage.pseudonym import load_key, pseudonymise
from yearofcare.web.data import Snapshot

REVIEW_TABLE = "cohort_review"
NHS_COLUMNS = ("nhs_number", "nhs number", "nhsnumber", "nhs_no", "nhs no")
MIN_REASON = 15


@dataclass(frozen=True)
class Match:
    csv_bytes: bytes
    uploaded: int
    valid: int
    invalid: int
    listed: int
    matched: int


def key_for(data_dir: Path, key_file: Path | None) -> bytes:
    path = key_file or default_key_file(data_dir)
    return load_key(path, store_dir=data_dir)


def review_lists(snap: Snapshot, practice: str) -> list[dict]:
    """The cohort review lists for one practice: cohort, year and size."""
    if not snap.exists(REVIEW_TABLE):
        return []
    t = snap.table(REVIEW_TABLE)
    t = t.filter(t.practice_code == practice)
    frame = snap.execute(
        t.group_by(["cohort_id", "selection_fy"])
        .aggregate(people=t.count())
        .order_by(["cohort_id", "selection_fy"])
    )
    return frame.to_dict("records")


def read_numbers(data: bytes, filename: str) -> list[str]:
    """NHS numbers from an uploaded CSV (a column named nhs_number, or a one-column file)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            f"{filename}: not UTF-8 text", hint="save the list as CSV (UTF-8) from your system"
        ) from None
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"{filename}: the file is empty", hint="upload the practice's list")
    header = [h.strip().lower() for h in rows[0]]
    col = next((i for i, h in enumerate(header) if h in NHS_COLUMNS), None)
    if col is None:
        if len(header) == 1 and is_valid(pa.array([rows[0][0]]))[0]:
            col, body = 0, rows  # a bare list of numbers with no header
        else:
            raise InputError(
                f"{filename}: no NHS number column (columns: {', '.join(rows[0][:8])[:200]})",
                hint="name the column nhs_number",
            )
    else:
        body = rows[1:]
    short = next((i for i, r in enumerate(body) if len(r) <= col), None)
    if short is not None:
        raise InputError(
            f"{filename} row {short + 2}: has no value in the NHS number column",
            hint="every row needs an NHS number",
        )
    return [r[col] for r in body]


def match(
    snap: Snapshot, key: bytes, practice: str, cohort_id: str, fy: int, numbers: list[str]
) -> Match:
    """Match the practice's NHS numbers to its review list; return the matches as CSV."""
    values = normalise(pa.array(numbers, type=pa.string()))
    ok = is_valid(values)
    valid = pa.array([v for v, good in zip(values.to_pylist(), ok, strict=True) if good])
    hashed = pseudonymise(valid, key).to_pylist() if len(valid) else []
    by_pseudonym = dict(zip(hashed, valid.to_pylist(), strict=True))
    t = snap.table(REVIEW_TABLE)
    t = t.filter([t.practice_code == practice, t.cohort_id == cohort_id, t.selection_fy == fy])
    listed = snap.execute(t.select("person_id", "facts", "decision"))
    if listed.empty:
        raise ConfigError(
            f"practice {practice} has no review list for cohort {cohort_id} in {fy}",
            hint="pick one of the lists shown on the page",
        )
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["nhs_number", "cohort_id", "selection_fy", "facts", "decision"])
    matched = 0
    for row in listed.itertuples():
        number = by_pseudonym.get(row.person_id)
        if number is not None:
            matched += 1
            w.writerow([number, cohort_id, fy, row.facts or "", row.decision])
    return Match(
        csv_bytes=out.getvalue().encode("utf-8-sig"),
        uploaded=len(numbers),
        valid=int(ok.sum()),
        invalid=len(numbers) - int(ok.sum()),
        listed=len(listed),
        matched=matched,
    )
