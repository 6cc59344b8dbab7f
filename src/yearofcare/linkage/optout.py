"""National data opt-outs: NHS numbers whose records are removed before anything is stored.

The list is a text file with one NHS number per line (spaces and hyphens allowed; a header line
such as `nhs_number` and blank lines are ignored). It is read into memory together with the
pseudonyms of its numbers (so files that arrive already pseudonymised with our key are filtered
too); the ingest's identity step checks each distinct identifier against it. Rows that match are dropped before typing and
counted (`ingest_load.rows_opted_out`, run log); they are never quarantined or stored.

`apply_to_store` applies a new list to what is already stored, for opt-outs registered after
a load ("opt-outs honoured at any time").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import pyarrow as pa

from yearofcare.errors import InputError
from yearofcare.linkage import nhs_number
from yearofcare.linkage.pseudonym import Hasher


@dataclass(frozen=True)
class OptOuts:
    """The opt-out list: normalised NHS numbers and their pseudonyms."""

    nhs: frozenset[str]
    pseudonyms: frozenset[str]
    invalid_lines: int

    @property
    def numbers(self) -> int:
        return len(self.nhs)


def read_optouts(path: Path, hasher: Hasher) -> OptOuts:
    """Read the list (see the module docstring); lines that are not valid numbers are counted."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"opt-out file {path} not found", hint="check the --optouts path")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(
            f"opt-out file {path.name}, row {line}: not valid UTF-8 text",
            hint="the list should be plain text, one NHS number per line",
        ) from None
    lines = [ln.strip() for ln in text.splitlines()]
    entries = pa.array([ln for ln in lines if ln and any(ch.isdigit() for ch in ln)], pa.string())
    valid = nhs_number.is_valid(entries)
    numbers = frozenset(
        v for v in nhs_number.normalise(entries).filter(pa.array(valid)).to_pylist()
    )
    return OptOuts(numbers, frozenset(hasher.many(sorted(numbers))), int((~valid).sum()))


def apply_to_store(store, path: Path, key_file: Path) -> dict[str, int]:
    """Remove every stored row about the people on the list; returns rows removed per table.

    Covers every table with a `person_id` column (canonical, bookkeeping and derived), so
    derived outputs do not keep an opted-out person until they are next rebuilt.
    """
    from yearofcare.linkage.pseudonym import check_key, load_key

    key = load_key(key_file, store_dir=store.engine.data_dir)
    check_key(store, key, key_file)
    listed = read_optouts(path, Hasher(key))
    opted_out = sorted(listed.pseudonyms)
    params = {"listed": listed.numbers, "invalid_lines": listed.invalid_lines}
    removed: dict[str, int] = {}
    with store.stage("optout", params) as run:
        for name in store.tables():
            if name == "run_log":
                continue
            t = store.table(name)
            cols = [c for c in ("person_id", "unlinked_person_id") if c in t.columns]
            if not cols or not opted_out:
                continue
            cond = ibis.and_(*[t[c].isnull() | ~t[c].isin(opted_out) for c in cols])
            before = int(t.count().execute())
            after = run.write(name, t.filter(cond), conform=False)
            removed[name] = before - after
        run.parameters["removed"] = removed
    return removed
