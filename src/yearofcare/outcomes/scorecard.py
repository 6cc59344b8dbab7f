"""The balanced scorecard from computed measures: RAG against targets, funnel limits by
practice or provider, and the achievement and quality level the settlement reads.

Works on the small aggregates `compute` produced (pandas); nothing here scans the store.
Funnel limits (Spiegelhalter 2005): around the economy's value θ for a unit with denominator
n, shares θ ± z·√(θ(1−θ)/n), rates (λ = θ·n expected events) (λ ± z·√λ)/n, means θ ± z·s/√n.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from yearofcare.outcomes.definitions import MeasuresFile, ScorecardFile

Z95 = float(stats.norm.ppf(0.975))
Z998 = float(stats.norm.ppf(0.999))


def targets(
    measures: MeasuresFile, card: ScorecardFile
) -> dict[str, tuple[float | None, str, float]]:
    """measure → (target, direction, amber %), the scorecard file overriding the measures'."""
    out = {}
    for m in measures.measures:
        t = card.targets.get(m.id)
        target = t.target if t is not None and t.target is not None else m.target
        direction = t.direction if t is not None and t.direction is not None else m.direction
        amber = (
            t.amber_percent if t is not None and t.amber_percent is not None else card.amber_percent
        )
        out[m.id] = (target, direction, amber)
    return out


def rag(value: float, target: float | None, direction: str, amber: float) -> str:
    if target is None or direction == "none" or value is None or not np.isfinite(value):
        return "none"
    if direction == "higher":
        if value >= target:
            return "green"
        return "amber" if value >= target * (1 - amber / 100) else "red"
    if value <= target:
        return "green"
    return "amber" if value <= target * (1 + amber / 100) else "red"


def achievement(value: float, target: float | None, direction: str) -> float | None:
    """% of the target achieved, capped at 100 (lower-is-better: target ÷ value)."""
    if target is None or direction == "none" or value is None or not np.isfinite(value):
        return None
    if direction == "higher":
        return 100.0 if target <= 0 else float(min(100.0, max(0.0, 100 * value / target)))
    return 100.0 if value <= 0 else float(min(100.0, max(0.0, 100 * target / value)))


def funnel(measures: MeasuresFile, parts: pd.DataFrame, economy: pd.DataFrame) -> pd.DataFrame:
    """`outcome_funnel` rows: each practice's or provider's value against limits around the
    economy's value for its denominator (exact counts from the raw part aggregates)."""
    rows = []
    for m in measures.measures:
        if m.funnel is None or m.ci == "none" or m.denominator is None or parts.empty:
            continue
        mine = parts[(parts.measure_id == m.id) & (parts.dimension == m.funnel)]
        if mine.empty:
            continue
        num = mine[mine.part == "num"].set_index(["fy", "group_value"])
        den = mine[mine.part == "den"].set_index(["fy", "group_value"])
        f = num.join(den, how="inner", suffixes=("_n", "_d")).reset_index()
        f = f[f["sum_d"] > 0]
        for fy, g in f.groupby("fy"):
            tot_n, tot_d = g["sum_n"].sum(), g["sum_d"].sum()
            theta = tot_n / tot_d if tot_d else np.nan
            n = g["sum_d"].to_numpy(float)
            if m.ci == "proportion":
                sd = np.sqrt(max(theta * (1 - theta), 0) / n)
            elif m.ci == "rate":
                sd = np.sqrt(np.maximum(theta * n, 0)) / n
            else:
                var = g["sq_n"].sum() / tot_d - theta * theta
                sd = np.sqrt(max(var, 0) / n)
            value = g["sum_n"].to_numpy(float) / n
            lo998, hi998 = theta - Z998 * sd, theta + Z998 * sd
            worse = value > hi998 if m.direction == "lower" else value < lo998
            better = value < lo998 if m.direction == "lower" else value > hi998
            if m.direction == "none":
                worse = better = np.zeros(len(g), bool)
            p = m.per
            rows.append(
                pd.DataFrame(
                    {
                        "measure_id": m.id,
                        "fy": int(fy),
                        "unit": m.funnel,
                        "unit_id": g["group_value"].to_numpy(),
                        "numerator": g["sum_n"].to_numpy(float),
                        "denominator": n,
                        "value": value * p,
                        "expected": theta * p,
                        "lower_95": (theta - Z95 * sd) * p,
                        "upper_95": (theta + Z95 * sd) * p,
                        "lower_998": lo998 * p,
                        "upper_998": hi998 * p,
                        "outside": np.where(worse, "worse", np.where(better, "better", None)),
                    }
                )
            )
    cols = [
        "measure_id",
        "fy",
        "unit",
        "unit_id",
        "numerator",
        "denominator",
        "value",
        "expected",
        "lower_95",
        "upper_95",
        "lower_998",
        "upper_998",
        "outside",
    ]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def scorecard(
    measures: MeasuresFile, card: ScorecardFile, results: pd.DataFrame, funnels: pd.DataFrame
) -> pd.DataFrame:
    """`outcome_scorecard` rows from the disclosed economy-wide measure rows."""
    tg = targets(measures, card)
    shown = (
        set(card.measures) if card.measures else {m.id for m in measures.measures if m.scorecard}
    )
    econ = results[(results.dimension == "all") & results.measure_id.isin(shown)]
    rows = []
    for r in econ.itertuples():
        m = measures.get(r.measure_id)
        target, direction, amber = tg[m.id]
        fu = (
            funnels[(funnels.measure_id == m.id) & (funnels.fy == r.fy)]
            if len(funnels)
            else funnels
        )
        rows.append(
            {
                "quadrant": m.quadrant,
                "measure_id": m.id,
                "label": m.label,
                "fy": r.fy,
                "value": r.value,
                "unit": m.unit,
                "target": target,
                "direction": direction,
                "rag": rag(r.value, target, direction, amber),
                "previous_value": r.previous_value,
                "change_percent": r.change_percent,
                "funnel_unit": m.funnel,
                "units": len(fu) if m.funnel else None,
                "units_worse": int((fu.outside == "worse").sum()) if m.funnel else None,
                "units_better": int((fu.outside == "better").sum()) if m.funnel else None,
                "status": r.status,
                "note": r.note,
            }
        )
    return pd.DataFrame(rows)


def achievements(
    measures: MeasuresFile, card: ScorecardFile, results: pd.DataFrame
) -> pd.DataFrame:
    """`outcome_achievement`: achievement % per measure with a target, and the year's quality
    level from the share of those measures on target (the scorecard file's bands)."""
    tg = targets(measures, card)
    econ = results[(results.dimension == "all") & results.fy.notna()]
    rows = []
    for r in econ.itertuples():
        target, direction, _ = tg[r.measure_id]
        if target is None or direction == "none":
            continue
        pct = achievement(r.value, target, direction)
        met = None if pct is None else bool(rag(r.value, target, direction, 0.0) == "green")
        rows.append(
            {
                "fy": int(r.fy),
                "measure": r.measure_id,
                "label": r.label,
                "value": r.value,
                "target": target,
                "achievement_percent": pct,
                "met": met,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    for _fy, g in out.groupby("fy"):
        known = g["met"].dropna()
        share = float(known.mean()) if len(known) else np.nan
        level = next(
            (
                b.level
                for b in card.quality_levels
                if np.isfinite(share) and share >= b.min_share_met
            ),
            None,
        )
        out.loc[g.index, "quality_level"] = level
        out.loc[g.index, "measures_met"] = int(known.sum())
        out.loc[g.index, "measures_with_target"] = len(known)
    return out
