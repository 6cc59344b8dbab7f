"""What the settlement reads from other stages, by column name, and what it does without them.

- `reconciliation` (money stage, `yoc reconcile`): the outturn of a cohort's budget year — the
  year-to-date actual at month 12 of a complete year, else the forecast outturn at the latest
  month — from the total rows (level `total`).
- `budget_cover` (money stage, `yoc budget`): the predictive bootstrap of the cohort's outturn
  as quantiles (probability → budget level), drawn from by inverse-CDF interpolation.
- `outcome_achievement` (outcomes stage, `yoc scorecard`): achievement % per measure and year,
  and the quality level when the table carries one.
- `person_year`: the cohort's person costs (people with N or more LTCs), used for high-cost
  stop-loss terms and for a bootstrap of the outturn when the money stage has not run.

A table that is absent is not an error: the caller falls back to typed values or says which
command to run. A table that is present without the columns named here is an error naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import ibis
import numpy as np

from yearofcare.errors import StageError
from yearofcare.fy import fy_end, fy_label, fy_start
from yearofcare.store import Store

#: The reconciliation columns read (declared by the money stage in schemas/finance.py).
RECONCILIATION = {
    "cohort": "cohort_id",
    "fy": "fy",
    "month": "month",
    "level": "level",
    "actual": "ytd_actual_pence",
    "forecast": "forecast_outturn_pence",
    "complete": "complete",
}
TOTAL_LEVEL = "total"
#: The budget_cover columns read (predictive quantiles of the outturn).
BUDGET_COVER = {
    "cohort": "cohort_id",
    "fy": "fy",
    "kind": "kind",
    "probability": "probability",
    "level": "budget_pence",
}
#: The outcome_achievement columns read (the outcomes stage).
OUTCOME_ACHIEVEMENT = {"fy": "fy", "measure": "measure", "achievement": "achievement_percent"}
QUALITY_LEVEL_COLUMN = "quality_level"


def _need(store: Store, table: str, columns: dict[str, str]) -> ibis.Table | None:
    """The table, or None when absent; a StageError naming missing columns when malformed."""
    if not store.exists(table):
        return None
    t = store.table(table)
    missing = [c for c in columns.values() if c not in t.columns]
    if missing:
        raise StageError(
            f"table {table} has no column(s) {', '.join(missing)}, which the settlement reads",
            hint=f"rerun the stage that writes {table}; the settlement reads "
            + ", ".join(columns.values()),
        )
    return t


def _one_cohort(t: ibis.Table, column: str, cohort: str | None, table: str) -> ibis.Table:
    if cohort is not None:
        return t.filter(t[column] == cohort)
    found = sorted(t.select(column).distinct().to_pyarrow().column(0).to_pylist())
    if len(found) > 1:
        raise StageError(
            f"{table} holds {len(found)} cohorts ({', '.join(map(str, found[:8]))}); "
            "which one does the contract cover?",
            hint="give the cohort in the terms (cohort: ID) or with --cohort",
        )
    return t


def reconciliation_outturns(t: ibis.Table) -> ibis.Table:
    """Per fy: the outturn (pence) and what it is (actual or forecast as at a month)."""
    c = RECONCILIATION
    total = t.filter(t[c["level"]] == TOTAL_LEVEL)
    latest = total.group_by(_fy=total[c["fy"]]).aggregate(_month=total[c["month"]].max())
    rows = total.join(latest, [total[c["fy"]] == latest._fy, total[c["month"]] == latest._month])
    final = (rows[c["month"]] == 12) & rows[c["complete"]].fill_null(False)
    return rows.select(
        fy=rows[c["fy"]].cast("int16"),
        month=rows[c["month"]],
        final=final,
        outturn_pence=ibis.ifelse(final, rows[c["actual"]], rows[c["forecast"]]),
    )


def outturns_from_store(store: Store, cohort: str | None) -> dict[int, tuple[Decimal, str]]:
    """fy → (outturn in pounds, where it came from), from the reconciliation when present."""
    t = _need(store, "reconciliation", RECONCILIATION)
    if t is None:
        return {}
    t = _one_cohort(t, RECONCILIATION["cohort"], cohort, "reconciliation")
    out: dict[int, tuple[Decimal, str]] = {}
    for r in store.to_pandas(reconciliation_outturns(t)).itertuples():
        if r.outturn_pence is None or r.outturn_pence != r.outturn_pence:
            continue
        what = "actual outturn" if r.final else f"forecast outturn at month {r.month}"
        out[int(r.fy)] = (Decimal(int(r.outturn_pence)) / 100, f"reconciliation ({what})")
    return out


def achievement_from_store(store: Store) -> tuple[dict[int, dict[str, Decimal]], dict[int, int]]:
    """(fy → measure → achievement %, fy → quality level) from outcome_achievement."""
    t = _need(store, "outcome_achievement", OUTCOME_ACHIEVEMENT)
    if t is None:
        return {}, {}
    c = OUTCOME_ACHIEVEMENT
    frame = store.to_pandas(t)
    achieved: dict[int, dict[str, Decimal]] = {}
    levels: dict[int, int] = {}
    for r in frame.to_dict("records"):
        fy = int(r[c["fy"]])
        value = r[c["achievement"]]
        if value == value and value is not None:
            pct = Decimal(repr(float(value))).quantize(Decimal("0.0001"))
            achieved.setdefault(fy, {})[str(r[c["measure"]])] = pct
        level = r.get(QUALITY_LEVEL_COLUMN)
        if level is not None and level == level:
            levels[fy] = int(level)
    return achieved, levels


def cover_quantiles(store: Store, cohort: str | None, fy: int) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, outturn levels in pounds) of the money stage's predictive bootstrap."""
    t = _need(store, "budget_cover", BUDGET_COVER)
    if t is None:
        return np.array([]), np.array([])
    c = BUDGET_COVER
    t = _one_cohort(t, c["cohort"], cohort, "budget_cover")
    t = t.filter((t[c["fy"]] == fy) & (t[c["kind"]] == "probability"))
    frame = store.to_pandas(t.select(p=t[c["probability"]], v=t[c["level"]]).order_by("p"))
    return frame.p.to_numpy(float), frame.v.to_numpy(float) / 100


@dataclass(frozen=True)
class CohortCosts:
    """A cohort's people in `fy` and their costs in pounds that year and the year before:
    people with `min_ltc`+ LTCs in person_year, or the members of a cohort register."""

    min_ltc: int | None
    fy: int
    people: int
    costs: np.ndarray
    prior_costs: np.ndarray
    who: str = ""

    @property
    def prior_mean(self) -> float:
        return float(self.prior_costs.mean())

    @property
    def outturn(self) -> float:
        return float(self.costs.sum())

    @property
    def capitated_baseline(self) -> float:
        """People × the mean cost per person of the cohort rule in the year before."""
        return self.prior_mean * self.people

    def prior_excess(self, threshold: float) -> float:
        """People × the mean cost above `threshold` per person the year before: the part of
        the capitated baseline that pays for high-cost individuals."""
        return float(np.maximum(self.prior_costs - threshold, 0).mean()) * self.people


def cohort_costs(store: Store, min_ltc: int, fy: int | None = None) -> CohortCosts:
    """Costs of people with `min_ltc` or more LTCs in `fy` (default: the latest year), and the
    mean cost per person of the same rule the year before (a one-tariff capitated budget)."""
    if not store.exists("person_year"):
        raise StageError(
            "the store has no person_year, so there is no cohort to settle",
            hint="run `yoc build` first (or `yoc demo`)",
        )
    py = store.table("person_year")
    years = sorted(py.select("fy").distinct().to_pyarrow().column(0).to_pylist())
    fy = fy if fy is not None else years[-1]
    if fy not in years or fy - 1 not in years:
        raise StageError(
            f"person_year needs years {fy - 1} and {fy} for a cohort budget; it has "
            f"{', '.join(map(str, years))}",
            hint="choose --fy with a year before it in person_year",
        )
    sel = py.filter((py.ltc_count.fill_null(0) >= min_ltc) & py.fy.isin([fy - 1, fy]))
    cost = ibis.ifelse(sel.cost_total.isnan(), 0.0, sel.cost_total).fill_null(0.0)
    # in person order: the costs are bootstrapped by position
    frame = store.to_pandas(
        sel.select("person_id", fy=sel.fy, cost=cost).order_by(["fy", "person_id"])
    )
    now = frame.cost[frame.fy == fy].to_numpy(float)
    before = frame.cost[frame.fy == fy - 1].to_numpy(float)
    if now.size == 0 or before.size == 0:
        raise StageError(
            f"no people with {min_ltc} or more LTCs in {fy - 1} and {fy}",
            hint="choose a smaller --min-ltc",
        )
    who = f"person_year, people with {min_ltc}+ LTCs in {fy_label(fy)}"
    return CohortCosts(min_ltc, fy, int(now.size), now, before, who)


def money_cohort(store: Store) -> tuple[str, int, Decimal] | None:
    """(cohort, budget year, budget in pounds) of the money stage's latest reconciled budget
    year, when `budget` and `reconciliation` hold exactly one cohort; None otherwise."""
    if not (store.exists("budget") and store.exists("reconciliation")):
        return None
    rec = _need(store, "reconciliation", RECONCILIATION)
    c = RECONCILIATION
    found = store.to_pandas(rec.select(cohort=rec[c["cohort"]], fy=rec[c["fy"]]).distinct())
    if found.cohort.nunique() != 1:
        return None
    cohort, fy = str(found.cohort.iloc[0]), int(found.fy.max())
    b = store.table("budget")
    total = b.filter((b.cohort_id == cohort) & (b.fy == fy) & (b.step == TOTAL_LEVEL))
    pence = store.to_pandas(total.select("running_total_pence")).running_total_pence
    if len(pence) != 1:
        return None
    return cohort, fy, Decimal(int(pence.iloc[0])) / 100


def register_costs(store: Store, cohort: str, fy: int) -> CohortCosts:
    """The members of `cohort`'s register during `fy` and their costs in pounds: in `fy`, the
    activity the money stage tagged inside the cohort's budget (activity_tag); the year before,
    their person_year cost (what a budget set on their history would have seen). A member with
    no costed activity costs nothing."""
    for table in ("cohort_member", "activity_tag", "activity", "person_year"):
        if not store.exists(table):
            raise StageError(
                f"the store has no {table}, so cohort {cohort!r} has no member costs",
                hint="run `yoc cohort select` and the money stage (`yoc tag`) first",
            )
    reg = store.table("cohort_member")
    members = (
        reg.filter(
            (reg.cohort_id == cohort)
            & (reg.join_date <= fy_end(fy))
            & (reg.leave_date.isnull() | (reg.leave_date >= fy_start(fy)))
        )
        .select("person_id")
        .distinct()
    )
    tag, act = store.table("activity_tag"), store.table("activity")
    inside = tag.filter((tag.cohort_id == cohort) & (tag.fy == fy) & tag.inside)
    spent = (
        inside.join(act.select("activity_id", "person_id"), "activity_id")
        .group_by("person_id")
        .aggregate(pence=lambda t: t.cost_pence.sum())
    )
    py = store.table("person_year")
    before = py.filter(py.fy == fy - 1).select("person_id", prior=py.cost_total)
    joined = members.left_join(spent, "person_id").left_join(before, "person_id")
    frame = store.to_pandas(
        joined.select(
            "person_id",
            pence=joined.pence.fill_null(0),
            prior=ibis.ifelse(joined.prior.isnan(), 0.0, joined.prior).fill_null(0.0),
        ).order_by("person_id")  # in person order: the costs are bootstrapped by position
    )
    if frame.empty:
        raise StageError(
            f"cohort {cohort!r} has nobody on its register in {fy_label(fy)}",
            hint="check `yoc cohort select` and the budget year",
        )
    now = frame.pence.to_numpy(float) / 100
    who = f"register of cohort {cohort} in {fy_label(fy)} (activity tagged inside its budget)"
    return CohortCosts(None, fy, len(frame), now, frame.prior.to_numpy(float), who)
