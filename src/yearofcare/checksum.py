"""Checksums of a store's tables: the same inputs and settings must give the same store.

`checksums(store)` gives each table's row count and an order-independent hash of its rows
(the sum, modulo 2^64, of a hash of every row), so two stores — or one store before and after
running a stage again — can be compared table by table. Excluded, because they record *when*
or *which run* rather than what was computed: the run log itself (it gains a row per run by
design) and the columns in `RUN_COLUMNS` (run ids and run times; a rerun that changes nothing
keeps them anyway). Floating-point values are compared to `DIGITS` significant digits.

The rows are pulled out as pandas (bounded by the store's size: for tests and for checking a
small store, not for a national one).
"""

from __future__ import annotations

import pandas as pd

#: Columns naming the run or the time a run wrote a row, left out of every checksum
#: (`model_id` is `<rules version>/<run id>` of the fit that made a risk model).
RUN_COLUMNS = frozenset(
    {
        "run_id",
        "link_run_id",
        "loaded_at",
        "run_at",
        "computed_at",
        "fitted_at",
        "recorded_at",
        "model_id",
    }
)
#: Floating-point values are compared to this many significant digits: engines add in
#: parallel, so the last bits of a sum depend on the order rows arrive in.
DIGITS = 10
#: Tables left out: the history of runs.
SKIPPED = frozenset({"run_log"})


def table_checksum(frame: pd.DataFrame) -> tuple[int, str]:
    """(rows, hex digest) of `frame`, whatever the order of its rows."""
    cols = sorted(c for c in frame.columns if c not in RUN_COLUMNS)
    if not len(frame):
        return 0, f"{0:016x}"
    text = pd.DataFrame(
        {c: _rounded(frame[c]) if frame[c].dtype.kind == "f" else frame[c] for c in cols}
    ).astype(str)
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy(dtype="uint64")
    total = int(hashed.sum(dtype="uint64"))
    return len(frame), f"{total:016x}"


def _rounded(values: pd.Series) -> pd.Series:
    return values.map(lambda v: float(f"{v:.{DIGITS}g}") if v == v else v)


def checksums(store) -> dict[str, tuple[int, str]]:
    """Every table's (rows, checksum), the run log excepted."""
    return {
        name: table_checksum(store.to_pandas(store.table(name)))
        for name in store.tables()
        if name not in SKIPPED
    }


def differences(before: dict, after: dict) -> dict[str, tuple]:
    """Tables whose checksum differs (or that exist in only one): name → (before, after)."""
    return {
        n: (before.get(n), after.get(n))
        for n in sorted(set(before) | set(after))
        if before.get(n) != after.get(n)
    }
