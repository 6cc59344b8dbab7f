"""An attacker with the published analysis tables tries to undo the disclosure control.

The fabricated population (3,000 people, split by locality) is analysed as `yoc analyse` does;
the unsuppressed frames are captured on the way to `safe_frame`, so every published cell can be
checked against its true value. A count is *hidden* when it is suppressed or when rounding
changed it. The attacker recovers a hidden count when the published figures pin it down:

1. arithmetic: a published total divided by a published mean (or multiplied by a rate, a share,
   per 1,000) lands on the true count;
2. a share of two counts: only one true count within the rounding bounds of the published
   ones gives the published share exactly;
3. differencing: a margin minus the other cells of its line (the `all` row minus the other
   localities; a column total minus the other columns), with every rounded cell's bounds, leaves
   one possible value for a suppressed cell.

Before the fix (main at f9fc9e6) this recovered 583 of 1,586 hidden counts exactly (none of the
suppressed ones: the margins were rounded, but 53 of 755 lines had a lone suppressed cell, a
point guess away from the truth); it must recover none, and no line may have a lone cell.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from tests import analysis_data
from yearofcare import schemas
from yearofcare.disclosure import DEFAULT_POLICY
from yearofcare.population.analysis import ANALYSES, AnalysisOptions, run_analyses
from yearofcare.population.analysis import run as analysis_run

POLICY = DEFAULT_POLICY
HALF = POLICY.rounding // 2  # a count rounded to the nearest 5 is within ±2 of the truth
# What the attacker reads in each table's column notes: count = total ÷ mean (× scale) ...
MEANS = {
    "analysis_cost_by_ltc_age": [("cost_total", "mean_cost", "people", 1)],
    "analysis_cost_by_ltc_setting": [("cost", "mean_cost", "people", 1)],
    "analysis_mm_overlap": [("cost_total", "mean_cost", "people", 1)],
    "analysis_cost_by_organisation": [("cost", "mean_cost", "people", 1)],
    "analysis_crisis_months": [("cost_total", "mean_cost", "people", 1)],
    "analysis_learning_disability": [("cost_total", "mean_cost", "people", 1)],
    "analysis_last_year_of_life": [("cost", "mean_cost", "people", 1)],
    "analysis_bed_demand_by_ltc": [("bed_days", "bed_days_per_1000", "people", 1000)],
}
# ... and share = numerator ÷ (sum of) denominator counts
SHARES = {
    "analysis_cost_concentration": [("share_of_people", ("people",), ("population",))],
    "analysis_ltc_share": [("share_of_people", ("people_with_ltc",), ("people_total",))],
    "analysis_crisis_curve": [
        ("share_with_emergency_admission", ("with_emergency_admission",), ("observed",)),
    ],
    "analysis_cohort_turnover": [
        ("retention", ("retained",), ("members",)),
        ("retention_among_present", ("retained",), ("retained", "dropped_out")),
    ],
}
#: two means of one total over two counts: their quotient is a share of the counts
MEAN_PAIRS = {
    "analysis_crisis_curve": [("mean_cost_per_member", "mean_cost_observed", "observed", "members")]
}
#: column margins the attacker knows from the turnover definitions
PARTS = {
    "analysis_cohort_turnover": {
        "members": ("retained", "died", "left_area", "dropped_out"),
        "members_next": ("retained", "joiners"),
    }
}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(analysis, published frame, true frame) per non-empty analysis, aligned row by row."""
    store = analysis_data.fabricated_store(tmp_path_factory.mktemp("attack"), 3000)
    raw: dict[str, pd.DataFrame] = {}
    real = analysis_run.safe_frame

    def capture(analysis, frame, *args, **kwargs):
        raw[analysis.table] = frame.copy()
        return real(analysis, frame, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(analysis_run, "safe_frame", capture)
        result = run_analyses(store, AnalysisOptions.build(by="locality"))
    out = []
    for a in ANALYSES:
        shown = result.tables[a.table]
        if shown.empty:
            continue
        key = list(schemas.get(a.table).key)
        truth = raw[a.table].set_index(key).loc[pd.MultiIndex.from_frame(shown[key])]
        out.append((a, shown, truth.reset_index()))
    return out


def _bounds(shown: float) -> tuple[int, int]:
    """What the attacker knows of a count from its published value."""
    if shown is None or (isinstance(shown, float) and math.isnan(shown)) or pd.isna(shown):
        return 1, POLICY.threshold - 1
    if shown == 0:
        return 0, 0
    return int(shown) - HALF, int(shown) + HALF


def _hidden(a, shown: pd.DataFrame, truth: pd.DataFrame) -> dict[tuple[int, str], int]:
    cells = {}
    for c in a.counts:
        s = pd.to_numeric(shown[c], errors="coerce").astype("float64")
        t = pd.to_numeric(truth[c], errors="coerce").astype("float64")
        for i in np.flatnonzero((s.isna() & t.notna() & (t > 0)) | (s.notna() & (s != t))):
            cells[(int(i), c)] = int(t.iloc[i])
    return cells


def _arithmetic(a, shown, hidden) -> set[tuple[int, str]]:
    """A published total ÷ its published mean (× the rate's scale) = a hidden count."""
    found = set()
    for total, mean, count, scale in MEANS.get(a.table, []):
        guess = shown[total].astype("float64") / shown[mean].astype("float64") * scale
        for (i, col), true in hidden.items():
            if col == count and abs(guess.iloc[i] - true) < 1e-6 * true:
                found.add((i, col))
    return found


def _shares(a, shown, hidden) -> set[tuple[int, str]]:
    """A share of counts that only one set of counts within the published bounds gives."""
    found = set()
    specs = [(s, num, den) for s, num, den in SHARES.get(a.table, [])]
    specs += [(f"{m1}/{m2}", (n,), (d,)) for m1, m2, n, d in MEAN_PAIRS.get(a.table, [])]
    for i in {i for i, _ in hidden}:
        for name, num, den in specs:
            if "/" in name:
                m1, m2 = name.split("/")
                share = shown[m1].iloc[i] / shown[m2].iloc[i]
            else:
                share = shown[name].iloc[i]
            if pd.isna(share) or share <= 0:
                continue
            cols = list(dict.fromkeys((*num, *den)))
            ranges = [range(lo, hi + 1) for lo, hi in (_bounds(shown[c].iloc[i]) for c in cols)]
            fits = []
            for combo in itertools.product(*ranges):
                v = dict(zip(cols, combo, strict=True))
                d = sum(v[c] for c in den)
                if d > 0 and abs(sum(v[c] for c in num) / d - share) < 1e-12:
                    fits.append(v)
            for col in cols:
                options = {v[col] for v in fits}
                if len(options) == 1 and hidden.get((i, col)) == options.pop():
                    found.add((i, col))
    return found


def _lines(a, shown) -> list[tuple[tuple[int, str], list[tuple[int, str]]]]:
    """(margin cell, the cells adding up to it): the localities of a split and its `all` row;
    the parts of a row total."""
    lines = []
    if "split_by" in shown.columns:
        key = [k for k in schemas.get(a.table).key if k not in ("split_by", "split_value")]
        whole = shown[shown.split_by == "all"]
        parts = shown[shown.split_by != "all"]
        for values, group in parts.groupby(key, dropna=False) if key else [((), parts)]:
            values = values if isinstance(values, tuple) else (values,)
            match = whole
            for k, v in zip(key, values, strict=True):
                match = match[match[k] == v]
            if len(match) == 1:
                lines += [((match.index[0], c), [(j, c) for j in group.index]) for c in a.counts]
    for total, cells in PARTS.get(a.table, {}).items():
        lines += [((i, total), [(i, c) for c in cells]) for i in shown.index]
    return lines


def _lone(shown, cells) -> bool:
    """Exactly one masked cell beside a non-zero shown one: margin − others is a point guess."""
    masked = [cell for cell in cells if pd.isna(shown.at[cell])]
    return len(masked) == 1 and any(shown.at[c] > 0 for c in cells if c != masked[0])


def _differencing(a, shown, hidden) -> set[tuple[int, str]]:
    """Margin minus the other cells, with each rounded cell's bounds: one value left."""
    found = set()
    for margin, cells in _lines(a, shown):
        masked = [cell for cell in cells if pd.isna(shown.at[cell])]
        if len(masked) != 1 or pd.isna(shown.at[margin]):
            continue
        lo, hi = _bounds(shown.at[margin])
        for cell in cells:
            if cell != masked[0]:
                c_lo, c_hi = _bounds(shown.at[cell])
                lo, hi = lo - c_hi, hi - c_lo
        lo, hi = max(lo, 1), min(hi, POLICY.threshold - 1)
        if lo == hi and hidden.get(masked[0]) == lo:
            found.add(masked[0])
    return found


def test_no_hidden_count_is_recovered(published):
    tried, recovered = 0, {}
    for a, shown, truth in published:
        hidden = _hidden(a, shown, truth)
        tried += len(hidden)
        got = _arithmetic(a, shown, hidden) | _shares(a, shown, hidden)
        got |= _differencing(a, shown, hidden)
        if got:
            suppressed = sum(1 for cell in got if pd.isna(shown.at[cell]))
            recovered[a.table] = (len(got), suppressed)
    assert tried > 500  # the attack had plenty to work on
    assert recovered == {}, f"recovered (cells, of which suppressed) of {tried}: {recovered}"


def test_suppressed_cells_are_there_to_attack(published):
    suppressed = sum(
        int(shown[list(a.counts)].isna().to_numpy().sum()) for a, shown, _ in published
    )
    assert suppressed > 50


def test_no_line_has_a_lone_suppressed_cell(published):
    """Secondary suppression: wherever cells add up to a published margin, a suppressed cell
    never stands alone beside shown non-zero cells (before: 53 of 755 lines)."""
    lone = {}
    for a, shown, _ in published:
        n = sum(_lone(shown, cells) for _, cells in _lines(a, shown))
        if n:
            lone[a.table] = n
    assert lone == {}
