"""The demo's need-and-cohorts step: score risk, classify need, assess, set currencies, and run
a cohort through both stages of selection with a simulated review, then the annual reviews and
the stability analysis. Called by `yearofcare.demo` after `yoc build`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from yearofcare.fy import fy_start
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

DEMO_COHORT = "complex_care"
ACCEPT_SHARE = 0.9
DECLINE_REASONS = (
    "patient declined",
    "already case-managed elsewhere",
    "not suitable: moving away",
)


def simulate_review(
    files: list[Path], out: Path, rng: np.random.Generator, selection_fy: int
) -> Path:
    """A decisions file as practices would return it: most people accepted, the rest declined
    with a reason, decided in the last month before the cohort starts."""
    frames = [pd.read_csv(f, dtype=str, encoding="utf-8-sig") for f in files]
    rows = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["person_id", "practice_code"], dtype=str)
    )
    accept = rng.random(len(rows)) < ACCEPT_SHARE
    start = fy_start(selection_fy + 1)
    days = rng.integers(1, 28, len(rows))
    rows["decision"] = np.where(accept, "accept", "decline")
    rows["decided_on"] = [(start - timedelta(days=int(d))).strftime("%d/%m/%Y") for d in days]
    rows["reviewer"] = "GP " + rows.practice_code.fillna("unknown")
    rows["reason"] = np.where(accept, "", rng.choice(DECLINE_REASONS, len(rows)))
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False)
    return out


def run_need_and_cohorts(
    store: Store, add: Callable[[str, str], None], seed: int, progress: Progress = SILENT
) -> None:
    """Every need-and-cohorts stage on the demo store; `add(step, summary)` reports each."""
    from yearofcare.cohorts.selection import CohortOptions, run_review, run_select, run_update
    from yearofcare.cohorts.stability import run_stability
    from yearofcare.config.paths import reports_dir
    from yearofcare.segmentation.assess import run_assess
    from yearofcare.segmentation.currency_stage import run_currency
    from yearofcare.segmentation.risk import run_risk_fit, run_risk_score

    fit = run_risk_fit(store, progress=progress)
    v = fit.validation
    c = (
        v[(v.measure == "c_statistic") & (v.target == "emergency_admission")]
        .set_index("method")
        .value
    )
    if len(c):
        add(
            "risk model",
            f"held-out C-statistic {c['model']:.3f} (CMS alone {c['cms_only']:.3f}, prior cost "
            f"{c['prior_cost_only']:.3f}, LTC count {c['ltc_count_only']:.3f}, gradient "
            f"boosting {c['gradient_boosting']:.3f})",
        )
    scored = run_risk_score(store, progress=progress)
    lv = scored.levels[scored.levels.fy == max(scored.years)].set_index("level").people
    shares = ", ".join(
        f"{lv.get(k, 0) / lv.sum():.0%} {k}" for k in ("Low", "Medium", "High", "End of life")
    )
    add("levels of need", f"{max(scored.years)}, people with LTCs: {shares}")
    if store.exists("assessment"):
        a = run_assess(store, progress=progress)
        k = a.agreement.set_index(["comparison", "weights"]).kappa
        flagged = sorted(
            a.audit[
                (a.audit.unit == "assessor") & a.audit.flagged & (a.audit.comparison == "domains")
            ].unit_id
        )
        add(
            "assessments",
            f"{a.assessments:,} DST assessments; linear-weighted kappa with the risk profile "
            f"{k.get(('risk_profile', 'linear'), float('nan')):.2f}; assessors flagged for "
            f"upcoding: {', '.join(flagged) or 'none'}",
        )
    cur = run_currency(store, progress=progress)
    gaps = ", ".join(f"{n:,} {k}" for k, n in cur.unmatched.items() if n) or "none"
    add(
        "currencies",
        f"{len(cur.unmatched)} currencies ({cur.version}); person-years matching no rule: {gaps}",
    )
    years = sorted(scored.years)
    first = years[0]
    review_dir = reports_dir(store.engine.data_dir) / "review"
    sel = run_select(
        store, CohortOptions(cohort=DEMO_COHORT, fy=first, out_dir=review_dir), progress=progress
    )
    decisions = simulate_review(
        sel.files,
        review_dir / DEMO_COHORT / str(first) / "decisions.csv",
        np.random.default_rng(seed),
        first,
    )
    rev = run_review(
        store, CohortOptions(cohort=DEMO_COHORT, fy=first, decisions=decisions), progress=progress
    )
    moves = []
    for fy in years[1:]:
        up = run_update(store, CohortOptions(cohort=DEMO_COHORT, fy=fy), progress=progress)
        moves.append(
            f"{fy}: "
            + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in sorted(up.transitions.items()))
        )
    add(
        "cohort",
        f"{DEMO_COHORT} from {first}: {sel.proposed:,} proposed at {sel.practices} practices, "
        f"{rev.accepted:,} accepted, {rev.declined:,} declined; " + "; ".join(moves),
    )
    st = run_stability(store, progress=progress)
    vol = st.volatility
    row = vol[(vol.cohort_id == DEMO_COHORT) & (vol.tolerance_percent == 5)]
    if len(row):
        small, big = row.iloc[0], row.iloc[-1]
        add(
            "volatility",
            f"{DEMO_COHORT}: a cohort of {int(small.cohort_size):,} misses a budget at the mean "
            f"by more than 5 % in {small.probability_miss:.0%} of years; "
            f"{int(big.cohort_size):,}: {big.probability_miss:.0%}",
        )
