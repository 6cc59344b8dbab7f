"""`yoc simulate`: baseline against scenario over the simulated years, by cohort and setting,
with cohort dynamics from history and Monte Carlo intervals (seed 004 §6.2, Table 3).

The relational part (who is in each cohort, their features, the history cohorts) runs in the
engine as Ibis expressions (`planning.cohorts`); the arithmetic runs on the pulled-out arrays
(`planning.montecarlo`, NumPy, vectorised over runs); `planning.results` makes the tables. One
stage writes them all, so a failed run leaves the store as it was; rows of scenarios not in
this run are kept.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import Field

from yearofcare import schemas
from yearofcare.config import ConfigModel
from yearofcare.errors import ConfigError, StageError
from yearofcare.planning import cohorts as pc
from yearofcare.planning import montecarlo as mc
from yearofcare.planning import results as pr
from yearofcare.planning import settings as st
from yearofcare.planning.scenario import ACUTE, Scenario, check_scenario, load_scenario
from yearofcare.planning.workforce import Workforce, load_workforce
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

STAGE = "simulate"
TABLES = ("planning_result", "planning_summary", "planning_workforce", "planning_dynamics")
ADJUSTMENT = "service_model_adjustment"
#: The price of an acute bed day a length-of-stay change saves: the excess bed day of NHS
#: Improvement's reference costs 2016/17 (reference/unit_costs/nhsi_2017.csv), uplifted.
BED_DAY_TABLE = "nhsi_2017"
UPLIFT = "nhs_cost_uplift_2025_26"


class SimulateOptions(ConfigModel):
    config_name: ClassVar[str] = "simulate options"
    config_hint: ClassVar[str | None] = "see `yoc simulate --help` and docs/planning.md"

    scenarios: tuple[Path, ...] = ()
    base_fy: int | None = None
    runs: int = Field(1000, ge=0, le=100_000)
    seed: int = 14
    interval: float = Field(95, gt=0, lt=100)
    dynamics: Literal["history", "none"] = "history"
    workforce_file: Path | None = None


@dataclass
class SimulateResult:
    run_id: str
    base_fy: int
    summary: pd.DataFrame
    results: pd.DataFrame
    workforce: pd.DataFrame
    dynamics: pd.DataFrame
    adjustment: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def bed_day_price(base_fy: int) -> tuple[float, str]:
    """The acute excess bed day price moved to the base year's prices, and how it was found."""
    from yearofcare.population.prices import load_unit_costs

    uc = load_unit_costs((BED_DAY_TABLE,), uplift=UPLIFT)
    f = uc.frame
    row = f[(f.setting == "acute_non_elective") & (f.currency == "excess_bed_day")].iloc[0]
    factor = uc.uplift.factor(int(row.price_year), base_fy)
    price = float(row.unit_cost) * factor
    return price, (
        f"£{float(row.unit_cost):,.0f} excess bed day ({BED_DAY_TABLE}, {int(row.price_year)} "
        f"prices) × {factor:.4f} ({UPLIFT}) = £{price:,.2f}"
    )


def plan_arrays(s: Scenario, default_price: float) -> mc.Plan:
    ids = s.cohort_ids
    y = s.years

    def mask(items: tuple[str, ...]) -> np.ndarray:
        return np.array([not items or c in items for c in ids], dtype=bool)

    def phase(item) -> np.ndarray:
        return np.array([item.phase(k) for k in range(1, y + 1)], dtype=float)

    ch, sv = s.changes, s.new_services
    return mc.Plan(
        kind=tuple(c.what for c in ch),
        setting=np.array([st.IDS.index(c.setting) for c in ch], dtype=int),
        cohorts=np.array([mask(c.cohorts) for c in ch], dtype=bool).reshape(len(ch), len(ids)),
        phase=np.array([phase(c) for c in ch], dtype=float).reshape(len(ch), y),
        bed_day_price=np.array(
            [
                c.bed_day_price
                if c.bed_day_price is not None
                else (default_price if c.setting in ACUTE else 0.0)
                for c in ch
            ],
            dtype=float,
        ),
        svc_cohorts=np.array([mask(n.cohorts) for n in sv], dtype=bool).reshape(len(sv), len(ids)),
        svc_phase=np.array([phase(n) for n in sv], dtype=float).reshape(len(sv), y),
        svc_cost_per_person=np.array([n.cost_per_person for n in sv], dtype=float),
        svc_contacts=np.array([n.contacts_per_person for n in sv], dtype=float),
        svc_cost_per_contact=np.array([n.cost_per_contact for n in sv], dtype=float),
    )


def _base_arrays(t: pa.Table, cohorts: int) -> list[np.ndarray]:
    """Per cohort, the members' features (n, F), in person order (the same on every engine)."""
    f = t.to_pandas().sort_values(["cohort", "person_id"], kind="stable")
    cols = pc.feature_columns()
    return [f.loc[f.cohort == c, cols].to_numpy(dtype=np.float64) for c in range(cohorts)]


def _history_arrays(t: pa.Table | None, cohorts: int, horizon: int) -> list[mc.History]:
    cols = pc.feature_columns()
    out = []
    f = None if t is None else t.to_pandas()
    for c in range(cohorts):
        if f is None or f.empty:
            z = np.zeros((0, horizon + 1))
            empty = np.zeros((0, horizon + 1, mc.F))
            out.append(mc.History(empty, z, z, z.astype(bool), np.zeros(0, dtype=int)))
            continue
        g = f[f.cohort == c].sort_values(["person_id", "sel_fy", "k"], kind="stable")
        unit = g.groupby(["person_id", "sel_fy"], sort=False).ngroup().to_numpy()
        h = int(unit.max()) + 1 if len(unit) else 0
        k = g.k.to_numpy(dtype=int)
        x = np.zeros((h, horizon + 1, mc.F))
        present = np.zeros((h, horizon + 1))
        died = np.zeros((h, horizon + 1))
        has = np.zeros((h, horizon + 1), dtype=bool)
        x[unit, k] = g[cols].to_numpy(dtype=np.float64)
        present[unit, k] = g.present.to_numpy(dtype=float)
        died[unit, k] = g.died.to_numpy(dtype=float)
        has[unit, k] = True
        sel = np.zeros(h, dtype=int)
        sel[unit] = g.sel_fy.to_numpy(dtype=int)
        out.append(mc.History(x, present, died, has, sel))
    return out


@dataclass(frozen=True)
class _Runs:
    """Resampled (or deterministic) inputs of every cohort, stacked."""

    mean0: np.ndarray  # (R, C, F)
    ratio: np.ndarray  # (R, C, Y, F)
    present: np.ndarray  # (R, C, Y)
    curves: list[mc.Curve]


def _runs(
    base: list[np.ndarray],
    hist: list[mc.History],
    years: int,
    runs: int,
    rngs: list[np.random.Generator] | None,
) -> _Runs:
    r = 1 if rngs is None else runs
    cohorts = len(base)
    mean0 = np.zeros((r, cohorts, mc.F))
    ratio = np.ones((r, cohorts, years, mc.F))
    present = np.ones((r, cohorts, years))
    curves = []
    for c in range(cohorts):
        n = len(base[c])
        rng_b = None if rngs is None else rngs[2 * c]
        rng_h = None if rngs is None else rngs[2 * c + 1]
        mean0[:, c] = mc.resampled_sums(base[c], r, rng_b) / max(n, 1)
        depth = min(hist[c].depth, years)
        totals = mc.resampled_sums(hist[c].matrix(depth), r, rng_h)
        cv = mc.curve(totals, depth)
        curves.append(cv)
        ratio[:, c], present[:, c] = mc.extend(cv, years)
    return _Runs(mean0, ratio, present, curves)


def _scenario_rngs(seed: int, scenario: Scenario) -> tuple[np.random.Generator, list]:
    ss = np.random.SeedSequence([seed, zlib.crc32(scenario.id.encode())])
    kids = ss.spawn(1 + 2 * len(scenario.cohorts))
    return np.random.default_rng(kids[0]), [np.random.default_rng(k) for k in kids[1:]]


def simulate_arrays(
    s: Scenario,
    base: list[np.ndarray],
    hist: list[mc.History],
    runs: int,
    seed: int,
    price: float,
) -> tuple[pr.Outcome, pr.Outcome, list[mc.Curve]]:
    """The deterministic outcome, the Monte Carlo outcome and the deterministic curves."""
    plan = plan_arrays(s, price)
    n = np.array([len(b) for b in base], dtype=float)
    rng_e, rngs = _scenario_rngs(seed, s)
    central = np.array([c.central for c in s.changes], dtype=float)
    lo = np.array([(c.range or (c.central, c.central))[0] for c in s.changes], dtype=float)
    hi = np.array([(c.range or (c.central, c.central))[1] for c in s.changes], dtype=float)
    det_in = _runs(base, hist, s.years, 1, None)
    det = pr.Outcome(
        n,
        det_in.mean0,
        mc.project(det_in.mean0, n, det_in.ratio, det_in.present, plan, central[None, :]),
    )
    mc_in = _runs(base, hist, s.years, runs, rngs)
    effects = mc.draw_effects(central, lo, hi, runs, rng_e)
    mcr = pr.Outcome(
        n, mc_in.mean0, mc.project(mc_in.mean0, n, mc_in.ratio, mc_in.present, plan, effects)
    )
    return det, mcr, det_in.curves


def run_simulate(
    store: Store,
    opts: SimulateOptions,
    scenarios: Sequence[Scenario] | None = None,
    progress: Progress = SILENT,
) -> SimulateResult:
    """Simulate every scenario (files in `opts.scenarios`, or `scenarios` given as data)."""
    if scenarios is None:
        loaded = [load_scenario(p) for p in opts.scenarios]
        scenarios = [x.scenario for x in loaded]
        digests = {x.scenario.id: x.sha256 for x in loaded}
    else:
        for s in scenarios:
            check_scenario(s, f"scenario {s.id}", {})
        digests = {}
    if not scenarios:
        raise ConfigError(
            "no scenario to simulate",
            hint="name a scenario file: yoc simulate --scenario FILE (`yoc init` writes examples)",
        )
    ids = [s.id for s in scenarios]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"scenario ids must differ; {ids} given")
    if not store.exists("person_year"):
        raise StageError("the store has no person_year", hint="run `yoc build` first")
    banded = any(c.band is not None for s in scenarios for c in s.cohorts)
    if banded and not (store.exists("need_level") or store.exists("risk_score")):
        raise StageError(
            "risk bands need risk scores, and the store has none",
            hint="run `yoc risk fit` and `yoc risk score` first (or use rule cohorts)",
        )
    wf_loaded = load_workforce(opts.workforce_file)
    wf: Workforce = wf_loaded.model
    params = {
        "scenarios": ids,
        "scenario_sha256": digests,
        "runs": opts.runs,
        "seed": opts.seed,
        "interval": opts.interval,
        "dynamics": opts.dynamics,
        "workforce": wf.version,
    }
    notes: list[str] = []
    with store.stage(STAGE, params) as run:
        py = run.read("person_year")
        activity = run.read("activity") if store.exists("activity") else None
        need = run.read("need_level") if store.exists("need_level") else None
        scores = run.read("risk_score") if store.exists("risk_score") else None
        frame = pc.cohort_frame(py, need, scores)
        base_fy = opts.base_fy or _latest_year(store, frame, banded)
        price, price_note = bed_day_price(base_fy)
        params.update(base_fy=base_fy, bed_day_price=round(price, 2), bed_day=price_note)
        feats = store.cache(pc.features(py, activity))
        out: dict[str, list[pd.DataFrame]] = {t: [] for t in (*TABLES, ADJUSTMENT)}
        level = opts.interval / 100
        with progress.task("Simulating scenarios", total=len(scenarios)) as task:
            for s in scenarios:
                frames = _one(store, s, frame, feats, py, base_fy, opts, wf, price, level, notes)
                for name, f in frames.items():
                    out[name].append(f)
                task.advance(1)
        written = {}
        for name, parts in out.items():
            key = "scenario" if name == ADJUSTMENT else "scenario_id"
            written[name] = _merge(store, run, name, pd.concat(parts, ignore_index=True), key, ids)
        run_id = run.run_id
    return SimulateResult(
        run_id,
        base_fy,
        written["planning_summary"],
        written["planning_result"],
        written["planning_workforce"],
        written["planning_dynamics"],
        written[ADJUSTMENT],
        notes,
    )


def _latest_year(store: Store, frame: ibis.Table, banded: bool) -> int:
    t = frame.filter(frame.risk_percentile.notnull()) if banded else frame
    fy = store.to_pandas(t.aggregate(fy=t.fy.max()))["fy"].iloc[0]
    if fy is None or pd.isna(fy):
        raise StageError(
            "no person-year has a risk percentile to put people in bands",
            hint="run `yoc risk score` (it scores every year of person_year)",
        )
    return int(fy)


def _one(store, s, frame, feats, py, base_fy, opts, wf, price, level, notes) -> dict:
    assigned = store.cache(pc.assign(frame, s.cohorts, source=f"scenario {s.id}"))
    base = _base_arrays(store.to_pyarrow(pc.base_rows(assigned, feats, base_fy)), len(s.cohorts))
    hist_t = None
    if opts.dynamics == "history":
        hist_t = store.to_pyarrow(pc.history_rows(assigned, feats, py, base_fy, s.years))
    hist = _history_arrays(hist_t, len(s.cohorts), s.years)
    joins = store.to_pandas(pc.joiners(assigned, base_fy))
    det, mcr, curves = simulate_arrays(s, base, hist, opts.runs, opts.seed, price)
    labels = [c.title for c in s.cohorts] + ["All cohorts"]
    defs = [c.describe() for c in s.cohorts] + ["every cohort of the scenario"]
    for c, b in zip(s.cohorts, base, strict=True):
        if len(b) == 0:
            notes.append(f"scenario {s.id}: cohort {c.id} has nobody in {base_fy}")
    if opts.dynamics == "history" and all(h.depth == 0 for h in hist):
        notes.append(
            f"scenario {s.id}: no earlier year to measure cohort dynamics from; the baseline "
            "assumes each cohort keeps its cost (planning_dynamics source = assumed)"
        )
    qs = pr.quantities(det, mcr, s)
    return {
        "planning_result": pr.result_frame(qs, s, labels, base_fy, level),
        "planning_summary": pr.summary_frame(det, mcr, s, labels, defs, base_fy, level, opts.seed),
        "planning_workforce": pr.workforce_frame(det, mcr, s, wf, labels, base_fy, level),
        "planning_dynamics": dynamics_frame(s, curves, hist, joins, det, labels),
        ADJUSTMENT: adjustment_frame(s, det, base_fy),
    }


def dynamics_frame(s, curves, hist, joins, det: pr.Outcome, labels) -> pd.DataFrame:
    """planning_dynamics: each cohort's measured curve and the years it is carried on.

    cost_ratio is the baseline's own: each setting's measured ratio weighted by the cohort's
    base-year cost in the setting."""
    rows = []
    ne = 2 * mc.S + st.IDS.index("non_elective")
    for c in range(len(s.cohorts)):
        cv, h = curves[c], hist[c]
        depth = cv.present.shape[1]
        j = joins[joins.cohort == c]
        joiner = j.joiners.sum() / j.members.sum() if j.members.sum() else np.nan
        n = det.n[c]
        cost0 = det.mean0[0, c, mc.K].sum() * n
        rows.append(
            {
                "cohort": c,
                "years_since": 0,
                "selections": h.selections(0),
                "members": int(h.has[:, 0].sum()),
                "present_share": 1.0,
                "died_share": 0.0,
                "left_share": 0.0,
                "joiner_share": joiner,
                "cost_ratio": 1.0,
                "non_elective_ratio": 1.0,
                "mean_cost_present": cost0 / n if n else np.nan,
                "source": "history" if depth else "assumed",
            }
        )
        for k in range(1, s.years + 1):
            seen = k <= depth
            people = det.proj.people[0, c, k - 1]
            cost = det.proj.base[0, c, k - 1, mc.K].sum()
            rows.append(
                {
                    "cohort": c,
                    "years_since": k,
                    "selections": h.selections(k) if seen else 0,
                    "members": int(cv.members[0, k - 1]) if seen else 0,
                    "present_share": people / n if n else np.nan,
                    "died_share": float(cv.died[0, k - 1]) if seen else np.nan,
                    "left_share": float(cv.left[0, k - 1]) if seen else np.nan,
                    "joiner_share": joiner,
                    "cost_ratio": cost / cost0 if cost0 else np.nan,
                    "non_elective_ratio": float(cv.ratio[0, k - 1, ne]) if seen else np.nan,
                    "mean_cost_present": cost / people if people else np.nan,
                    "source": "history" if seen else ("extrapolated" if depth else "assumed"),
                }
            )
    f = pd.DataFrame(rows)
    f.insert(0, "scenario_id", s.id)
    f["cohort_id"] = [s.cohorts[c].id for c in f.cohort]
    f["cohort_label"] = [labels[c] for c in f.cohort]
    f["cohort_order"] = f.cohort + 1
    f["mean_cost_present"] = pr.round_pence(f.mean_cost_present)
    f["suppressed"] = False
    return f.drop(columns="cohort")


def adjustment_frame(s: Scenario, det: pr.Outcome, base_fy: int) -> pd.DataFrame:
    """service_model_adjustment: % change in each setting's cost for the scenario's cohorts in
    each simulated year (new services counted in the setting they are booked to)."""
    base = det.proj.base[0][..., mc.K].sum(axis=0)  # (Y, S)
    scen = det.proj.scen[0][..., mc.K].sum(axis=0).copy()
    for j, svc in enumerate(s.new_services):
        group = next(g for g, x in st.SETTINGS.items() if svc.books_to in x.activity_settings)
        scen[:, st.IDS.index(group)] += det.proj.svc_cost[0, :, :, j].sum(axis=0)
    rows = []
    for y in range(s.years):
        for i, sid in enumerate(st.IDS):
            if base[y, i] <= 0:
                continue
            pct = max((scen[y, i] - base[y, i]) / base[y, i] * 100, -100.0)
            for setting in st.SETTINGS[sid].activity_settings:
                rows.append(
                    {
                        "scenario": s.id,
                        "fy": base_fy + y + 1,
                        "setting": setting,
                        "change_percent": round(pct, 4),
                        "description": (
                            f"yoc simulate, scenario {s.id} ({s.name}), year {y + 1}: "
                            f"{st.label(sid)} cost of the scenario's cohorts against their "
                            "baseline"
                        ),
                    }
                )
    return pd.DataFrame(
        rows, columns=["scenario", "fy", "setting", "change_percent", "description"]
    )


def _merge(store: Store, run, name: str, new: pd.DataFrame, key: str, ids) -> pd.DataFrame:
    """Write `new` in place of the rows of these scenarios, keeping the others."""
    schema = schemas.get(name)
    typed = _typed(schema, new)
    expr = ibis.memtable(typed, schema=schema.ibis_schema())
    if store.exists(name):
        old = run.read(name)
        old = old.filter(~old[key].isin(list(ids)))
        expr = ibis.union(schema.conform(old, exact=True), schema.conform(expr, exact=True))
    run.write(name, expr)
    return typed


def _typed(schema, frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in schema.columns:
        v = frame[c.name] if c.name in frame.columns else pd.Series(None, index=frame.index)
        if c.type.startswith("int"):
            out[c.name] = pd.to_numeric(v, errors="coerce").round().astype("Int64")
        elif c.type == "float64":
            out[c.name] = pd.to_numeric(v, errors="coerce").astype("float64")
        elif c.type == "boolean":
            out[c.name] = v.astype("boolean")
        else:
            out[c.name] = v.astype("object").where(v.notna(), None)
    return out.reset_index(drop=True)
