"""From the simulation's arrays to its tables: every figure with its deterministic value, its
Monte Carlo interval and, for cost, the probability the scenario costs less.

Arrays here are run × cohort × period: cohorts gain `all` (their sum) as the last index and
periods run base year, year 1 … year Y, all years (the sum over the simulated years; means are
then per person-year and WTE the mean over the years). Money is rounded half up to the penny
when the tables are made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from yearofcare.planning import montecarlo as mc
from yearofcare.planning import settings as st
from yearofcare.planning.scenario import Scenario
from yearofcare.planning.workforce import Workforce


def periods(years: int) -> list[str]:
    return ["base", *(f"year {y}" for y in range(1, years + 1)), "all years"]


def _extend(base0: np.ndarray, yearly: np.ndarray, how: str = "sum") -> np.ndarray:
    """(R, C) base-year and (R, C, Y) yearly values → (R, C + 1, Y + 2)."""
    total = yearly.sum(axis=2) if how == "sum" else yearly.mean(axis=2)
    t = np.concatenate([base0[:, :, None], yearly, total[:, :, None]], axis=2)
    return np.concatenate([t, t.sum(axis=1, keepdims=True)], axis=1)


@dataclass(frozen=True)
class Outcome:
    """One set of runs (the deterministic one, or the Monte Carlo runs) as extended arrays."""

    n: np.ndarray  # (C,)
    mean0: np.ndarray  # (R, C, F) base-year means
    proj: mc.Projection

    def _base0(self, col: int | slice) -> np.ndarray:
        """Base-year totals: (R, C) for one column, (R, C, k) for a slice of k columns."""
        m = self.mean0[:, :, col]
        return m * (self.n[None, :, None] if m.ndim == 3 else self.n[None, :])

    def people(self) -> np.ndarray:
        r = self.mean0.shape[0]
        return _extend(np.tile(self.n.astype(float), (r, 1)), self.proj.people)

    def feature(self, col: int) -> tuple[np.ndarray, np.ndarray]:
        b0 = self._base0(col)
        return (
            _extend(b0, self.proj.base[..., col]),
            _extend(b0, self.proj.scen[..., col]),
        )

    def service(self, what: str, j: int) -> tuple[np.ndarray, np.ndarray]:
        arr = getattr(self.proj, f"svc_{what}")[..., j]
        zero = np.zeros(self.mean0.shape[:2])
        return _extend(zero, np.zeros_like(arr)), _extend(zero, arr)

    def cost_all(self) -> tuple[np.ndarray, np.ndarray]:
        b0 = self._base0(mc.K).sum(axis=2)
        base = self.proj.base[..., mc.K].sum(axis=3)
        scen = self.proj.scen[..., mc.K].sum(axis=3) + self.proj.svc_cost.sum(axis=3)
        return _extend(b0, base), _extend(b0, scen)


@dataclass(frozen=True)
class Quantity:
    setting: str
    label: str
    measure: str
    det: tuple[np.ndarray, np.ndarray]
    runs: tuple[np.ndarray, np.ndarray]


def quantities(det: Outcome, mcr: Outcome, s: Scenario) -> list[Quantity]:
    out: list[Quantity] = []
    pd_, pm = det.people(), mcr.people()
    out.append(Quantity("all", "All settings", "people", (pd_, pd_), (pm, pm)))
    for i, sid in enumerate(st.IDS):
        label = st.label(sid)
        out.append(Quantity(sid, label, "activity", det.feature(i), mcr.feature(i)))
        if st.SETTINGS[sid].bedded:
            out.append(
                Quantity(sid, label, "bed_days", det.feature(mc.S + i), mcr.feature(mc.S + i))
            )
        out.append(
            Quantity(sid, label, "cost", det.feature(2 * mc.S + i), mcr.feature(2 * mc.S + i))
        )
    for j, svc in enumerate(s.new_services):
        label = svc.label or svc.id
        out.append(
            Quantity(
                svc.id, label, "activity", det.service("activity", j), mcr.service("activity", j)
            )
        )
        out.append(Quantity(svc.id, label, "cost", det.service("cost", j), mcr.service("cost", j)))
    cd, cm = det.cost_all(), mcr.cost_all()
    out.append(Quantity("all", "All settings", "cost", cd, cm))
    md = (_per_person(cd[0], pd_), _per_person(cd[1], pd_))
    mm = (_per_person(cm[0], pm), _per_person(cm[1], pm))
    out.append(Quantity("all", "All settings", "mean_cost", md, mm))
    return out


def _per_person(cost: np.ndarray, people: np.ndarray) -> np.ndarray:
    """cost ÷ people, empty (NaN) where there is nobody: a cohort-year with no people has no
    mean cost, even when a new service's fixed cost falls on it (not ±inf, which would turn
    the scenario-minus-baseline differences into invalid values)."""
    out = np.full(np.broadcast_shapes(np.shape(cost), np.shape(people)), np.nan)
    has = np.broadcast_to(np.asarray(people) > 0, out.shape)
    np.divide(cost, people, out=out, where=has)
    return out


def _bounds(x: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if x.shape[0] == 0:
        nan = np.full(x.shape[1:], np.nan)
        return nan, nan
    a = (1 - level) / 2
    return tuple(np.quantile(x, [a, 1 - a], axis=0))  # type: ignore[return-value]


def result_frame(
    qs: list[Quantity], s: Scenario, labels: list[str], base_fy: int, level: float
) -> pd.DataFrame:
    """planning_result rows (every quantity × cohort × period), all-zero rows dropped."""
    frames = []
    names = periods(s.years)
    cohorts = [*s.cohort_ids, "all"]
    orders = [*range(1, len(s.cohorts) + 1), 0]
    for q in qs:
        b, sc = q.det[0][0], q.det[1][0]
        rb, rs = q.runs
        d = rs - rb
        runs = rb.shape[0]
        blo, bhi = _bounds(rb, level)
        slo, shi = _bounds(rs, level)
        dlo, dhi = _bounds(d, level)
        se = d.std(axis=0, ddof=1) / np.sqrt(runs) if runs > 1 else np.full(b.shape, np.nan)
        saving = (rs < rb).mean(axis=0) if runs else np.full(b.shape, np.nan)
        c_idx, p_idx = np.meshgrid(np.arange(len(cohorts)), np.arange(len(names)), indexing="ij")
        c_idx, p_idx = c_idx.ravel(), p_idx.ravel()
        year = np.where(p_idx <= s.years, p_idx, -1)
        f = pd.DataFrame(
            {
                "scenario_id": s.id,
                "cohort_id": [cohorts[i] for i in c_idx],
                "cohort_label": [labels[i] for i in c_idx],
                "cohort_order": [orders[i] for i in c_idx],
                "year": pd.array(np.where(year >= 0, year, 0), dtype="Int64"),
                "fy": pd.array(base_fy + np.where(year >= 0, year, 0), dtype="Int64"),
                "period": [names[i] for i in p_idx],
                "setting": q.setting,
                "setting_label": q.label,
                "measure": q.measure,
                "baseline": b.ravel(),
                "baseline_lower": blo.ravel(),
                "baseline_upper": bhi.ravel(),
                "scenario": sc.ravel(),
                "scenario_lower": slo.ravel(),
                "scenario_upper": shi.ravel(),
                "difference": (sc - b).ravel(),
                "difference_lower": dlo.ravel(),
                "difference_upper": dhi.ravel(),
                "difference_mc_se": se.ravel(),
                "probability_saving": saving.ravel()
                if q.measure in ("cost", "mean_cost")
                else np.nan,
                "runs": runs,
            }
        )
        total = year < 0
        f.loc[total, "year"] = pd.NA
        f.loc[total, "fy"] = pd.NA
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    zero = out[["baseline", "scenario"]].fillna(0).abs().sum(axis=1) == 0
    keep = ~zero | out.measure.isin(["people", "mean_cost"]) | (out.setting == "all")
    return _money(out[keep].reset_index(drop=True))


VALUES = [
    f"{m}{e}" for m in ("baseline", "scenario", "difference") for e in ("", "_lower", "_upper")
]


def _money(f: pd.DataFrame) -> pd.DataFrame:
    """Cost and mean cost rounded half up to the penny; counts and WTE to 4 places."""
    money = f.measure.isin(["cost", "mean_cost"])
    for c in VALUES:
        v = f[c].astype(float)
        f[c] = np.where(money, round_pence(v), np.round(v, 4))
    return f


def round_pence(v) -> np.ndarray:
    """Half up to the penny (a stated rule, the same on every platform)."""
    v = np.asarray(v, dtype=float)
    return np.sign(v) * np.floor(np.abs(v) * 100 + 0.5) / 100


def summary_frame(
    det: Outcome,
    mcr: Outcome,
    s: Scenario,
    labels: list[str],
    definitions: list[str],
    base_fy: int,
    level: float,
    seed: int,
) -> pd.DataFrame:
    """planning_summary: the Table 3 view and the budget that would meet the cost."""
    y = s.years
    cd, cm = det.cost_all(), mcr.cost_all()
    pd_, pm = det.people(), mcr.people()
    t = y + 1  # the all-years period
    n = pd_[0, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_b = (cd[0][0, :, t] / pd_[0, :, t], cm[0][:, :, t] / pm[:, :, t])
        mean_s = (cd[1][0, :, t] / pd_[0, :, t], cm[1][:, :, t] / pm[:, :, t])
        base_mean = cd[0][0, :, 0] / n
        year1 = cd[0][0, :, 1] / pd_[0, :, 1]
    save = (cd[0][0, :, t] - cd[1][0, :, t], cm[0][:, :, t] - cm[1][:, :, t])
    runs = cm[0].shape[0]
    rows = {
        "scenario_id": s.id,
        "scenario_name": s.name,
        "cohort_id": [*s.cohort_ids, "all"],
        "cohort_label": labels,
        "cohort_order": [*range(1, len(s.cohorts) + 1), 0],
        "definition": definitions,
        "base_fy": base_fy,
        "years": y,
        "people": n.round().astype("int64"),
        "base_mean_cost": round_pence(base_mean),
    }
    for name, (point, sample) in (
        ("baseline_mean_cost", mean_b),
        ("scenario_mean_cost", mean_s),
        ("saving", save),
    ):
        lo, hi = _bounds(sample, level)
        rows[name] = round_pence(point)
        rows[f"{name}_lower"] = round_pence(lo)
        rows[f"{name}_upper"] = round_pence(hi)
    rows["probability_saving"] = (cm[1][:, :, t] < cm[0][:, :, t]).mean(axis=0) if runs else np.nan
    rows["naive_saving"] = round_pence(cd[0][0, :, 0] * y - cd[1][0, :, t])
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["regression_ratio"] = np.round(year1 / base_mean, 6)
    rows["annual_budget"] = round_pence(cd[1][0, :, t] / y)
    rows["annual_budget_p90"] = round_pence(
        np.quantile(cm[1][:, :, t], 0.9, axis=0) / y if runs else np.full(len(n), np.nan)
    )
    rows["runs"] = runs
    rows["seed"] = seed
    rows["suppressed"] = False  # written unsuppressed; the report's `prepare` suppresses
    return pd.DataFrame(rows)


def workforce_frame(
    det: Outcome,
    mcr: Outcome,
    s: Scenario,
    wf: Workforce,
    labels: list[str],
    base_fy: int,
    level: float,
) -> pd.DataFrame:
    """planning_workforce: WTE by staff group (the workforce file's groups and the new services'
    staff), baseline and scenario; all years = the mean WTE over the simulated years."""
    groups: dict[str, dict] = {}

    def add(key, label, setting, unit, share, per_wte, units_det, units_mc):
        g = groups.setdefault(
            key,
            {
                "label": label,
                "setting": setting,
                "unit": unit,
                "share": share,
                "per_wte": per_wte,
                "det": [0.0, 0.0],
                "mc": [0.0, 0.0],
            },
        )
        for i in (0, 1):
            g["det"][i] = g["det"][i] + units_det[i] * share / per_wte
            g["mc"][i] = g["mc"][i] + units_mc[i] * share / per_wte
        if g["setting"] != setting:
            g["setting"] = "several"

    for row in wf.staff_groups:
        i = st.IDS.index(row.setting)
        col = i if row.unit == "activity" else mc.S + i
        add(
            row.staff_group,
            row.label or row.staff_group,
            row.setting,
            row.unit,
            row.share,
            row.per_wte,
            det.feature(col),
            mcr.feature(col),
        )
    for j, svc in enumerate(s.new_services):
        for staff in svc.staff:
            what = "people" if staff.unit == "people" else "activity"
            add(
                staff.staff_group,
                staff.label or staff.staff_group,
                svc.id,
                staff.unit,
                1.0,
                staff.per_wte,
                det.service(what, j),
                mcr.service(what, j),
            )
    names = periods(s.years)
    cohorts = [*s.cohort_ids, "all"]
    orders = [*range(1, len(s.cohorts) + 1), 0]
    rows = []
    for key, g in groups.items():
        det_b, det_s = (x[0] / _years_div(x[0], s.years) for x in g["det"])
        mc_b, mc_s = (x / _years_div(x, s.years) for x in g["mc"])
        parts = {
            "baseline_wte": (det_b, mc_b),
            "scenario_wte": (det_s, mc_s),
            "difference_wte": (det_s - det_b, mc_s - mc_b),
        }
        bounds = {k: _bounds(v[1], level) for k, v in parts.items()}
        for ci, cid in enumerate(cohorts):
            for pi, period in enumerate(names):
                total = pi > s.years
                r = {
                    "scenario_id": s.id,
                    "cohort_id": cid,
                    "cohort_label": labels[ci],
                    "cohort_order": orders[ci],
                    "year": None if total else pi,
                    "fy": None if total else base_fy + pi,
                    "period": period,
                    "staff_group": key,
                    "staff_label": g["label"],
                    "setting": g["setting"],
                    "unit": g["unit"],
                    "units_per_wte": g["per_wte"],
                    "share": g["share"],
                }
                for k, (point, _) in parts.items():
                    r[k] = round(float(point[ci, pi]), 4)
                    r[f"{k}_lower"] = round(float(bounds[k][0][ci, pi]), 4)
                    r[f"{k}_upper"] = round(float(bounds[k][1][ci, pi]), 4)
                rows.append(r)
    return pd.DataFrame(rows)


def _years_div(x: np.ndarray, years: int) -> np.ndarray:
    """Divisor turning the all-years sum into the mean over the years (1 elsewhere)."""
    d = np.ones(x.shape[-1])
    d[-1] = years
    return d
