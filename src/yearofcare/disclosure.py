"""Small-number disclosure control: the one place aggregates pass through before leaving.

The rule follows NHS Digital's disclosure control methodology for Hospital Episode Statistics
and the Emergency Care Data Set (September 2018), with ehrQL's principle (OpenSAFELY) that every
figure derived from a count is derived from the *published* count:

- a count of people from 1 to `threshold - 1` is suppressed (shown as `*`); zero is shown;
  every other count is rounded to the nearest `rounding`. Totals of counts are rounded from
  their unrounded value like any other count (NHS Digital: no secondary suppression needed for
  rounded margins). The default threshold, 10, is stricter than NHS Digital's 8;
- a total over people (money, bed days: `totals`) is rounded to `significant_figures`
  significant figures;
- a mean or rate over people (`per`) is the rounded total divided by the rounded count, and a
  share (`ratios`) is the published numerator over the published denominator, so dividing a
  published total by a published mean gives back only the rounded count;
- a value derived from a suppressed count is suppressed with it;
- where a table's cells add up to a published margin (`lines`; `secondary_suppress`), a line
  with exactly one suppressed cell has its next-smallest cell suppressed too, so no suppressed
  cell is a margin minus the other cells.

`rule_text(policy)` states this in one sentence; every report, workbook and web export prints it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "*"

#: one column, or several whose sum is meant
Columns = str | tuple[str, ...]

SOURCE = (
    "NHS Digital, Disclosure control methodology for HES and ECDS (2018); "
    "ehrQL (OpenSAFELY): derived values from the rounded counts"
)


@dataclass(frozen=True)
class DisclosurePolicy:
    threshold: int = 10
    rounding: int = 5
    significant_figures: int = 3

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.rounding < 1 or self.significant_figures < 1:
            raise ValueError("threshold, rounding and significant_figures must be at least 1")


DEFAULT_POLICY = DisclosurePolicy()


def rule_text(policy: DisclosurePolicy = DEFAULT_POLICY, what: str = "counts") -> str:
    """The disclosure rule in one sentence, printed in every output."""
    return (
        f"{what} from 1 to {policy.threshold - 1} shown as {SUPPRESSED} with the values derived "
        f"from them (and, where cells add up to a total, the next-smallest cell); other counts "
        f"rounded to the nearest {policy.rounding}; totals of money and days rounded to "
        f"{policy.significant_figures} significant figures; means, rates and shares computed "
        f"from the rounded figures ({SOURCE})"
    )


def round_significant(values: pd.Series, figures: int) -> pd.Series:
    """`values` rounded to `figures` significant figures (NaN and 0 kept)."""
    x = pd.to_numeric(values, errors="raise").astype("float64")
    spec = f".{figures - 1}e"
    return x.map(lambda v: v if not math.isfinite(v) or v == 0 else float(format(v, spec)))


def suppress(
    frame: pd.DataFrame,
    count_columns: Sequence[str],
    derived_columns: Sequence[str] = (),
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    derived_from: Mapping[str, Sequence[str]] | None = None,
    totals: Sequence[str] = (),
    per: Mapping[str, str] | None = None,
    ratios: Mapping[str, tuple[Columns, Columns]] | None = None,
    shares: Mapping[str, str] | None = None,
    lines: Sequence[Sequence[str]] = (),
    parts: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """A copy of `frame` safe to share under the module's rule.

    - `count_columns`: counts of people: suppressed when small, otherwise rounded.
    - `derived_columns`: values masked wherever any count in the row is small; `derived_from`
      names, for a derived column, the counts that mask it (so a mean cost over 500 people is
      not hidden because 3 of them died). A column in `totals`, `per` or `ratios` is derived.
    - `totals`: sums over people (money, bed days), rounded to significant figures.
    - `per`: mean or rate column -> the count it is per: recomputed as the (significant-figure
      rounded) implied total over the rounded count. The total need not be in the frame, so the
      same total published elsewhere divides back to the rounded count only.
    - `ratios`: share column -> (numerator, denominator) columns of this frame (a tuple of
      columns means their sum): recomputed from their published values (times the original's
      constant scale, e.g. per 1,000).
    - `shares`: share column -> the count it is the share of, when the denominator (a count
      of people) is not in the frame: recomputed as the rounded count over the rounded implied
      denominator (count / share, rounded like a count).
    - `lines`: column sets: rows sharing their values are cells adding up to a published
      margin; secondary suppression (`secondary_suppress`) runs on each count column.
    - `parts`: count column -> the count columns of the same row that add up to it: where
      exactly one part is suppressed, the smallest other non-zero part is suppressed too.

    Masked cells become NaN and a boolean `suppressed` column marks rows with any masking.
    """
    out = frame.copy()
    per = dict(per or {})
    ratios = dict(ratios or {})
    links = {k: tuple(v) for k, v in (derived_from or {}).items()}
    shares = dict(shares or {})
    implied = {
        **{col: (count,) for col, count in (*per.items(), *shares.items())},
        **{
            col: tuple(c for c in (*_cols(n), *_cols(d)) if c in count_columns)
            for col, (n, d) in ratios.items()
        },
    }
    for col, counts in implied.items():
        # a column listed in derived_columns keeps that rule (masked by any small count)
        if col not in derived_columns and counts:
            links.setdefault(col, counts)
    unknown = [c for counts in links.values() for c in counts if c not in count_columns]
    unknown += [c for c in (*per.values(), *shares.values()) if c not in count_columns]
    if unknown:
        raise ValueError(f"derived_from names columns that are not counts: {sorted(set(unknown))}")
    true_counts = {
        c: pd.to_numeric(out[c], errors="raise").astype("float64")
        for c in (*per.values(), *shares.values())
    }
    small_by: dict[str, pd.Series] = {}
    for col in count_columns:
        values = pd.to_numeric(out[col], errors="raise")
        small = (values > 0) & (values < policy.threshold)
        rounded = (np.round(values / policy.rounding) * policy.rounding).astype("float64")
        out[col] = rounded.where(~small)
    parts = {k: tuple(v) for k, v in (parts or {}).items()}
    for _ in range(len(count_columns) + 1):
        before = out[list(count_columns)].isna().to_numpy().sum()
        for group in lines:
            for col in count_columns:
                out[col] = secondary_suppress(out, col, group)
        for cells in parts.values():
            _secondary_across(out, cells)
        if out[list(count_columns)].isna().to_numpy().sum() == before:
            break
    mask = pd.Series(False, index=out.index)
    for col in count_columns:
        small_by[col] = out[col].isna() & frame[col].notna()
        mask |= small_by[col]
    for col in totals:
        out[col] = round_significant(out[col], policy.significant_figures)
    # a count shown as 0 keeps its value (there is nothing to divide); a masked one gives NaN
    for col, count in per.items():
        total = pd.to_numeric(out[col], errors="raise").astype("float64") * true_counts[count]
        shown = out[count]
        recomputed = round_significant(total, policy.significant_figures) / shown
        out[col] = recomputed.where(shown != 0, out[col])
    for col, (num, den) in ratios.items():
        n, d = (_sum(out, c) for c in (num, den))
        n0, d0 = (_sum(frame, c) for c in (num, den))
        scale = (pd.to_numeric(frame[col], errors="raise") * d0 / n0).where((n0 != 0) & (d0 != 0))
        scale = scale.round(9).fillna(1.0)
        out[col] = (n / d * scale).where(d != 0, out[col])
    for col, count in shares.items():
        share = pd.to_numeric(out[col], errors="raise").astype("float64")
        whole = (true_counts[count] / share.where(share > 0)).round()
        whole = np.round(whole / policy.rounding) * policy.rounding
        out[col] = (out[count] / whole).where(whole > 0, out[col])
    derived = dict.fromkeys((*derived_columns, *totals, *per, *ratios, *shares, *links))
    for col in derived:
        own = mask
        if col in links:
            own = pd.Series(False, index=out.index)
            for count in links[col]:
                own |= small_by[count]
        out[col] = pd.to_numeric(out[col], errors="raise").astype("float64").where(~own)
    out["suppressed"] = mask
    return out


def secondary_suppress(frame: pd.DataFrame, column: str, line: Sequence[str]) -> pd.Series:
    """`frame[column]` with secondary suppression along lines: rows sharing the values of `line`
    are cells adding up to a published margin. In any line where exactly one cell is masked
    (NaN), the smallest other non-zero cell is masked too (repeated until no line has a lone
    masked cell), so no masked cell equals the margin minus the cells shown. A line of one cell
    is its own margin and left alone. Zeros are never chosen: they are shown as exact."""
    values = frame[column].astype("float64").copy()
    if frame.empty:
        return values
    keys = frame[list(line)].astype("string").fillna("\0").agg("\x1f".join, axis=1)
    size = keys.map(keys.value_counts())
    while True:
        masked = values.isna()
        lone = masked.groupby(keys).transform("sum") == 1
        need = keys[lone & masked & (size > 1)].unique()
        if len(need) == 0:
            return values
        changed = False
        for key in need:
            rows = values[(keys == key) & values.notna() & (values != 0)]
            if len(rows):
                values[_smallest(frame, rows)] = np.nan
                changed = True
        if not changed:
            return values


def _smallest(frame: pd.DataFrame, cells: pd.Series):
    """The index of the smallest of `cells`; among equal ones, the row of `frame` whose
    values (as text) sort first, so the choice does not depend on the order of the rows."""
    low = cells.index[cells == cells.min()]
    if len(low) == 1:
        return low[0]
    return min(low, key=lambda i: tuple(str(v) for v in frame.loc[i].tolist()))


def _secondary_across(out: pd.DataFrame, cells: Sequence[str]) -> None:
    """In place: in each row where exactly one of `cells` (columns adding up to a published
    margin) is masked, mask the smallest other non-zero one too."""
    block = out[list(cells)].astype("float64")
    lone = block.isna().sum(axis=1) == 1
    candidates = block.where(block > 0)
    for idx in block.index[lone]:
        row = candidates.loc[idx].dropna()
        if len(row):
            out.loc[idx, row.idxmin()] = np.nan


def _cols(columns: Columns) -> tuple[str, ...]:
    return (columns,) if isinstance(columns, str) else tuple(columns)


def _sum(frame: pd.DataFrame, columns: Columns) -> pd.Series:
    """The column, or the row sum of several (NaN when any is NaN)."""
    parts = [pd.to_numeric(frame[c], errors="raise").astype("float64") for c in _cols(columns)]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total
