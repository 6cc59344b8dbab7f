"""Small-number suppression: the one place aggregates pass through before leaving the analyst.

Rule (configurable): counts from 1 to `threshold - 1` are suppressed; other counts are
rounded to the nearest `rounding`. A value derived from a suppressed count (a mean, a cost, a
rate) is suppressed with it. Zero is shown: it discloses nothing about an individual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "*"


@dataclass(frozen=True)
class DisclosurePolicy:
    threshold: int = 10
    rounding: int = 5

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.rounding < 1:
            raise ValueError("threshold and rounding must be at least 1")


DEFAULT_POLICY = DisclosurePolicy()


def suppress(
    frame: pd.DataFrame,
    count_columns: Sequence[str],
    derived_columns: Sequence[str] = (),
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    derived_from: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """A copy of `frame` safe to share: small counts (and values derived from them) masked.

    Masked cells become NaN and a boolean `suppressed` column marks rows with any masking,
    so charts and spreadsheets can show the row as suppressed rather than as zero.
    A derived column is masked wherever any count in its row is small, unless `derived_from`
    names the counts it is built from: then only those counts mask it (so a mean cost over
    500 people is not hidden because 3 of them died).
    """
    out = frame.copy()
    mask = pd.Series(False, index=out.index)
    small_by: dict[str, pd.Series] = {}
    for col in count_columns:
        values = pd.to_numeric(out[col], errors="raise")
        small = (values > 0) & (values < policy.threshold)
        small_by[col] = small
        mask |= small
        rounded = (np.round(values / policy.rounding) * policy.rounding).astype("float64")
        out[col] = rounded.where(~small)
    links = dict(derived_from or {})
    unknown = [c for counts in links.values() for c in counts if c not in small_by]
    if unknown:
        raise ValueError(f"derived_from names columns that are not counts: {sorted(set(unknown))}")
    for col in (*derived_columns, *(c for c in links if c not in derived_columns)):
        own = mask
        if col in links:
            own = pd.Series(False, index=out.index)
            for count in links[col]:
                own |= small_by[count]
        out[col] = pd.to_numeric(out[col], errors="raise").astype("float64").where(~own)
    out["suppressed"] = mask
    return out
