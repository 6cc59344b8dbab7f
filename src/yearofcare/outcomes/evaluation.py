"""`yoc evaluate`: did a service work? Matched controls, balance, difference-in-differences.

1. The enrolled (service_enrolment, or cohort_member with cohort id = the service): first
   enrolment day is the index day; people need 365 days of data before and after it.
2. Potential controls: people registered in the index year and never enrolled, each given an
   index day drawn from the enrolled people's days (seeded), capped at `max_pool` people (a
   bounded random sample). By default (`controls: auto`) they come from practices where nobody
   joined the service, when the service ran at some practices only: among people at the
   offering practices, those left out are those the case-finder passed over — the service took
   the ones most in need and most often admitted — so the people not enrolled there run at a
   lower underlying rate than their pre-period use shows, and matching on that use alone
   leaves a bias against the service (the pool is "depleted"). When every practice took part,
   controls are the people not enrolled (`not_enrolled`) and the run says so.
3. Pre-period characteristics (age, sex, deprivation, LTCs, CMS, risk score when scored, and
   non-elective admissions, bed days and cost in months −12…−7 and −6…−1: the trajectory) and
   outcomes in the 12 (and 6) months after: one relational pass over activity relative to each
   person's index day (Ibis), pulled out as a bounded NumPy frame.
4. Propensity score (scikit-learn logistic regression on the standardised characteristics),
   then nearest neighbours on the characteristics and that logit, kept when within a caliper
   of `caliper` × SD of the logit (`match`), within cells of
   prior non-elective admissions (0, 1, 2, 3, 4+) × deprivation quintile (coarsened exact
   matching), with replacement.
5. Balance (standardised mean differences before and after: the love plot), then DiD of each
   outcome with a bootstrap over matched pairs (vectorised: replicates × pairs index matrix),
   the naive before-and-after of the enrolled beside it, and seed 002's six months either side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from pydantic import Field
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from yearofcare.config import ConfigModel
from yearofcare.disclosure import DEFAULT_POLICY, suppress
from yearofcare.errors import InputError, StageError
from yearofcare.fy import fy_expr
from yearofcare.population.analysis.common import amount
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store
from yearofcare.sums import exact_sum

#: outcome name → column prefix of the features frame
OUTCOMES = {"non_elective": "ne", "bed_days": "bed_days", "cost": "cost"}
COVARIATES = (
    "age",
    "female",
    "imd_decile",
    "ltc_count",
    "cms_score",
    "risk_score",
    "ne_early",
    "ne_late",
    "bed_days_pre",
    "cost_early",
    "cost_late",
    "cost_change",
)
STRATA_CAP = 4
#: what the distance between a treated person and a control is measured on (with the logit of
#: the propensity score): what predicts admissions, not only what predicts enrolment
PROGNOSTIC = ("age", "female", "ltc_count", "cms_score", "risk_score", "ne_early", "ne_late")
#: nearest neighbours examined per control wanted (the first within the caliper are kept)
CANDIDATES = 10


class EvaluateOptions(ConfigModel):
    config_name = "evaluation options"

    service: str
    caliper: float = 0.2
    neighbours: int = 3
    replicates: int = 200
    max_pool: int = 200_000
    min_treated: int = 30
    seed: int = 15
    controls: Literal["auto", "other_practices", "not_enrolled"] = "auto"
    min_pool_ratio: float = Field(
        5.0, gt=0, description="auto: other practices when they hold this many people per enrolled"
    )


@dataclass
class Evaluation:
    evaluation_id: str
    summary: pd.DataFrame
    balance: pd.DataFrame
    trajectory: pd.DataFrame
    treated: int
    matched: int
    unmatched: int
    excluded_follow_up: int
    controls_from: str = "not_enrolled"


def enrolled(store: Store, service: str) -> ibis.Table:
    """person_id, index day (first enrolment) of the service, from either register."""
    parts = []
    if store.exists("service_enrolment"):
        e = store.table("service_enrolment")
        parts.append(e.filter(e.service_id == service).select("person_id", day=e.start_date))
    if store.exists("cohort_member"):
        c = store.table("cohort_member")
        parts.append(c.filter(c.cohort_id == service).select("person_id", day=c.join_date))
    if not parts:
        raise StageError(
            "the store has no service_enrolment or cohort_member, so nobody is enrolled in anything",
            hint="load a service's enrolment list (service_enrolment) or run `yoc cohort select`",
        )
    u = ibis.union(*parts) if len(parts) > 1 else parts[0]
    return u.group_by("person_id").aggregate(day=u.day.min())


def known_services(store: Store) -> list[str]:
    found: set[str] = set()
    for table, col in (("service_enrolment", "service_id"), ("cohort_member", "cohort_id")):
        if store.exists(table):
            found |= set(
                store.to_pandas(store.table(table).select(col).distinct())[col].astype(str)
            )
    return sorted(found)


def features(store: Store, index: ibis.Table) -> ibis.Table:
    """One row per person of `index` (person_id, day): characteristics and outcomes around day."""
    a = store.table("activity")
    a = a.select(
        _p=a.person_id,
        _s=a.start_date,
        ne=(a.setting == "acute_non_elective").cast("int64"),
        bd=ibis.ifelse(a.setting == "acute_non_elective", amount(a.bed_days), 0.0),
        cost=amount(a.cost),
    )
    j = index.join(a, index.person_id == a._p)
    d = j._s.delta(j.day, unit="day")
    j = j.mutate(_d=d).filter((d >= -365) & (d < 365))
    w = {
        "early": (j._d < -182),
        "late": (j._d >= -182) & (j._d < 0),
        "post": j._d >= 0,
        "post6": (j._d >= 0) & (j._d < 182),
        "pre": j._d < 0,
    }
    agg = {}
    for name, cond in w.items():
        agg[f"ne_{name}"] = j.ne.sum(where=cond)
        agg[f"bed_days_{name}"] = exact_sum(j.bd, where=cond)
        agg[f"cost_{name}"] = exact_sum(j.cost, where=cond)
    acts = j.group_by(_ap=j.person_id).aggregate(**agg)
    py = store.table("person_year")
    py = py.select(
        _yp=py.person_id,
        _yfy=py.fy.cast("int16"),
        age=py.age,
        female=(py.sex == "F").cast("int8"),
        imd_decile=py.imd_decile,
        ltc_count=py.ltc_count,
        cms_score=py.cms_score,
    )
    idx = index.mutate(_fy=fy_expr(index.day))
    out = idx.left_join(py, [idx.person_id == py._yp, idx._fy == py._yfy])
    out = out.left_join(acts, out.person_id == acts._ap)
    reg = store.table("registration")
    r = index.join(reg, index.person_id == reg.person_id)
    covers = (r.start_date <= r.day) & (r.end_date.isnull() | (r.end_date >= r.day))
    present = r.group_by(_rgp=r.person_id).aggregate(
        present=covers.any() & (r.start_date.min() <= r.day.max() - ibis.interval(days=365))
    )
    out = out.left_join(present, out.person_id == present._rgp)
    person = store.table("person")
    dead = person.select(_dp=person.person_id, _dod=person.date_of_death)
    out = out.left_join(dead, out.person_id == dead._dp)
    out = out.mutate(
        registered=ibis.ifelse(
            out.present.fill_null(False) & (out._dod.isnull() | (out._dod > out.day)), 1, 0
        )
    )
    if store.exists("risk_score"):
        rs = store.table("risk_score")
        rs = rs.select(_rp=rs.person_id, _rfy=(rs.fy + 1).cast("int16"), risk_score=rs.score)
        out = out.left_join(rs, [out.person_id == rs._rp, out._fy == rs._rfy])
    else:
        out = out.mutate(risk_score=ibis.null("float64"))
    keep = [
        "person_id",
        "day",
        "age",
        "female",
        "imd_decile",
        "ltc_count",
        "cms_score",
        "registered",
        "risk_score",
        *(f"{o}_{n}" for o in ("ne", "bed_days", "cost") for n in w),
    ]
    return out.select(*keep)


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    num = [c for c in df.columns if c not in ("person_id", "day")]
    df[num] = df[num].apply(pd.to_numeric, errors="coerce").astype(float)
    for o in ("ne", "bed_days", "cost"):
        for n in ("early", "late", "post", "post6", "pre"):
            df[f"{o}_{n}"] = df[f"{o}_{n}"].fillna(0.0)
    df["bed_days_pre"] = df["bed_days_pre"]
    df["cost_change"] = df["cost_late"] - df["cost_early"]
    return df


def _design(df: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Standardised characteristics; a missing value takes the column's median (a column with
    no values at all, such as the risk score in a store never scored, is left out)."""
    cols = [c for c in COVARIATES if df[c].notna().any()]
    x = df[cols].to_numpy(float)
    med = np.array([np.median(col[np.isfinite(col)]) for col in x.T])
    x = np.where(np.isfinite(x), x, med)
    for k in ("cost_early", "cost_late", "bed_days_pre"):
        i = cols.index(k)
        x[:, i] = np.log1p(np.maximum(x[:, i], 0))
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0), cols


def _mean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def smd(t: np.ndarray, c: np.ndarray) -> float:
    t, c = t[np.isfinite(t)], c[np.isfinite(c)]
    if not len(t) or not len(c):
        return float("nan")
    pooled = np.sqrt((t.var() + c.var()) / 2)
    return float((t.mean() - c.mean()) / pooled) if pooled > 0 else 0.0


def exact_strata(df: pd.DataFrame) -> np.ndarray:
    """Coarsened exact matching cells: prior non-elective admissions (0, 1, 2, 3, 4+) × area
    deprivation quintile (unknown deprivation is its own quintile). Services are often run
    in some places only, so deprivation differs between the enrolled and the pool by design;
    the propensity score alone leaves it unbalanced."""
    ne = np.minimum(df.ne_pre.to_numpy(float), STRATA_CAP).astype(int)
    imd = df.imd_decile.to_numpy(float)
    quintile = np.where(np.isfinite(imd), (np.nan_to_num(imd) + 1) // 2, 0).astype(int)
    return ne * 10 + quintile


def match(
    x: np.ndarray,
    treated: np.ndarray,
    strata: np.ndarray,
    caliper: float,
    k: int = 1,
    close: list[int] | None = None,
) -> np.ndarray:
    """For each treated row, the rows of its `k` matched controls (−1 where none): within the
    same exact cell, the nearest controls on the standardised characteristics `close` (columns
    of `x`; default all) and the logit of
    the propensity score (Mahalanobis-type matching inside a propensity caliper, Rosenbaum and
    Rubin 1985), among those within `caliper` × SD of that logit; with replacement.

    The propensity score alone balances what predicts enrolment; when enrolment turns on
    where a person is registered rather than who they are, it leaves the prognostic
    characteristics (age, conditions) to chance, so the distance uses them directly."""
    model = LogisticRegression(max_iter=500, C=1.0).fit(x, treated)
    p = np.clip(model.predict_proba(x)[:, 1], 1e-6, 1 - 1e-6)
    logit = np.log(p / (1 - p))
    sd = logit.std() or 1.0
    width = caliper * sd
    space = np.column_stack([x if close is None else x[:, close], logit / sd])
    t_rows = np.flatnonzero(treated)
    out = np.full((len(t_rows), k), -1, np.int64)
    for s in np.unique(strata[t_rows]):
        ts = np.flatnonzero(strata[t_rows] == s)
        cs = np.flatnonzero((strata == s) & ~treated)
        if not len(cs):
            continue
        q = min(len(cs), CANDIDATES * k)
        nn = NearestNeighbors(n_neighbors=q).fit(space[cs])
        _, pos = nn.kneighbors(space[t_rows[ts]])
        rows = cs[pos]  # (treated, q) nearest first
        ok = np.abs(logit[rows] - logit[t_rows[ts], None]) <= width
        rank = np.cumsum(ok, axis=1)
        for j in range(k):
            hit = ok & (rank == j + 1)
            found = hit.any(axis=1)
            out[ts[found], j] = rows[found, hit[found].argmax(axis=1)]
    return out


def bias_correction(
    change: np.ndarray, z: np.ndarray, tr: np.ndarray, mm: np.ndarray
) -> np.ndarray:
    """Per treated person, what their controls' change would have been at the treated
    person's own characteristics `z`: β·(z_treated − mean z of their controls), with β from a
    least-squares fit of the change on z among the matched controls (the bias-corrected
    matching estimator, Abadie and Imbens 2011). Matches are never exact; this removes what
    the remaining differences in age, conditions and prior use would otherwise add."""
    ok = mm >= 0
    rows = mm[ok]
    if not len(rows) or z.shape[1] == 0:
        return np.zeros(len(tr))
    design = np.column_stack([np.ones(len(rows)), z[rows]])
    beta, *_ = np.linalg.lstsq(design, change[rows], rcond=None)
    zc = np.where(ok[..., None], z[np.maximum(mm, 0)], 0.0).sum(axis=1) / ok.sum(axis=1)[:, None]
    return (z[tr] - zc) @ beta[1:]


def _control_mean(v: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean of each treated person's matched controls (rows −1 = no match, ignored)."""
    ok = rows >= 0
    return np.where(ok, v[np.maximum(rows, 0)], 0.0).sum(axis=1) / ok.sum(axis=1)


def did(tp: np.ndarray, tq: np.ndarray, cp: np.ndarray, cq: np.ndarray, reps: int, rng) -> dict:
    """DiD of paired arrays (treated pre/post, matched control pre/post), with a bootstrap over
    pairs; relative = estimate ÷ counterfactual post mean of the treated."""
    dt, dc = tq - tp, cq - cp
    est = dt.mean() - dc.mean()
    cf = tq.mean() - est
    idx = rng.integers(0, len(tp), (reps, len(tp)))
    b_est = dt[idx].mean(axis=1) - dc[idx].mean(axis=1)
    b_cf = tq[idx].mean(axis=1) - b_est
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = b_est / b_cf
    return {
        "treated_pre": tp.mean(),
        "treated_post": tq.mean(),
        "control_pre": cp.mean(),
        "control_post": cq.mean(),
        "estimate": est,
        "lower": np.percentile(b_est, 2.5),
        "upper": np.percentile(b_est, 97.5),
        "relative": est / cf if cf else np.nan,
        "relative_lower": np.nanpercentile(rel, 2.5),
        "relative_upper": np.nanpercentile(rel, 97.5),
    }


def before_after(pre: np.ndarray, post: np.ndarray, reps: int, rng) -> dict:
    """Naive change of the enrolled alone (what regression to the mean would be credited)."""
    d = post - pre
    idx = rng.integers(0, len(d), (reps, len(d)))
    b = d[idx].mean(axis=1)
    bp = pre[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = b / bp
    return {
        "treated_pre": pre.mean(),
        "treated_post": post.mean(),
        "estimate": d.mean(),
        "lower": np.percentile(b, 2.5),
        "upper": np.percentile(b, 97.5),
        "relative": d.mean() / pre.mean() if pre.mean() else np.nan,
        "relative_lower": np.nanpercentile(rel, 2.5),
        "relative_upper": np.nanpercentile(rel, 97.5),
    }


def evaluate(
    store: Store, opts: EvaluateOptions, run_id: str, progress: Progress = SILENT
) -> Evaluation:
    for table in ("activity", "person_year"):
        if not store.exists(table):
            raise StageError(
                f"the store has no {table}, which the evaluation reads",
                hint="run `yoc build` first",
            )
    rng = np.random.default_rng(opts.seed)
    a = store.table("activity")
    last = store.to_pandas(
        a.aggregate(first=a.start_date.min(), last=a.end_date.fill_null(a.start_date).max())
    )
    first_day, last_day = pd.Timestamp(last["first"].iloc[0]), pd.Timestamp(last["last"].iloc[0])
    enr = store.to_pandas(enrolled(store, opts.service)).sort_values("person_id", kind="stable")
    enr = enr.reset_index(drop=True)
    if enr.empty:
        services = known_services(store)
        raise InputError(
            f"nobody is enrolled in service {opts.service!r}",
            hint="services in the store: " + (", ".join(services) or "none"),
        )
    enr["day"] = pd.to_datetime(enr["day"])
    ok = (enr.day - pd.Timedelta(days=365) >= first_day) & (
        enr.day + pd.Timedelta(days=364) <= last_day
    )
    excluded = int((~ok).sum())
    enr = enr[ok]
    if len(enr) < opts.min_treated:
        raise InputError(
            f"service {opts.service!r} has {len(enr)} enrolled people with 12 months of data before "
            f"and after enrolment ({excluded} more lack them); matching needs at least {opts.min_treated}",
            hint="evaluate when more people have 12 months of follow-up, or lower --min-treated "
            "(intervals from so few people are wide)",
        )
    with progress.task("Evaluating " + opts.service, total=4) as task:
        pool, controls_from = control_pool(store, enr, opts)
        if len(pool) > opts.max_pool:
            pool = pool.sample(opts.max_pool, random_state=opts.seed)
        pool["day"] = enr.day.to_numpy()[rng.integers(0, len(enr), len(pool))]
        index = pd.concat([enr.assign(treated=1), pool.assign(treated=0)], ignore_index=True)
        index["day"] = index["day"].dt.date
        task.advance(1)
        mem = ibis.memtable(index[["person_id", "day"]])
        df = store.to_pandas(features(store, mem))
        df = index.merge(df.drop(columns=["day"]), on="person_id", how="left")
        df = _frame(df)
        # controls must be registered that year and alive at their index day
        alive = df["registered"].fillna(0) > 0
        df = df[(df.treated == 1) | alive].reset_index(drop=True)
        task.advance(1)
        treated = df.treated.to_numpy(bool)
        strata = exact_strata(df)
        x, cols = _design(df)
        close = [cols.index(c) for c in PROGNOSTIC if c in cols]
        m = match(x, treated, strata, opts.caliper, opts.neighbours, close)
        t_rows = np.flatnonzero(treated)
        has = (m >= 0).any(axis=1)
        tr, mm = t_rows[has], m[has]
        cr = mm[mm >= 0]  # every matched control row (with repeats), for balance and counts
        task.advance(1)
        if len(tr) < opts.min_treated:
            raise InputError(
                f"only {len(tr)} of {len(t_rows)} enrolled people in {opts.service!r} found a control "
                f"within the caliper; the evaluation needs at least {opts.min_treated}",
                hint="widen --caliper, or evaluate a larger service",
            )
        ev_id = f"{opts.service}-{run_id}"
        balance = pd.DataFrame(
            [
                {
                    "evaluation_id": ev_id,
                    "covariate": c,
                    "treated_mean": _mean(df[c].to_numpy(float)[t_rows]),
                    "pool_mean": _mean(df[c].to_numpy(float)[~treated]),
                    "control_mean": _mean(df[c].to_numpy(float)[cr]),
                    "smd_before": smd(
                        df[c].to_numpy(float)[t_rows], df[c].to_numpy(float)[~treated]
                    ),
                    "smd_after": smd(df[c].to_numpy(float)[tr], df[c].to_numpy(float)[cr]),
                }
                for c in (*COVARIATES, "ne_pre")
            ]
        )
        rows = []
        for o, col in OUTCOMES.items():
            pre, post = df[f"{col}_pre"].to_numpy(float), df[f"{col}_post"].to_numpy(float)
            shift = bias_correction(post - pre, x[:, close], tr, mm)
            r = did(
                pre[tr],
                post[tr],
                _control_mean(pre, mm),
                _control_mean(post, mm) + shift,
                opts.replicates,
                rng,
            )
            rows.append(
                {
                    "outcome": o,
                    "method": "did",
                    "treated": len(tr),
                    "controls": len(np.unique(cr)),
                    **r,
                }
            )
            r = before_after(pre[t_rows], post[t_rows], opts.replicates, rng)
            rows.append({"outcome": o, "method": "naive", "treated": len(t_rows), **r})
            pre6 = df[f"{col}_late"].to_numpy(float)
            post6 = df[f"{col}_post6"].to_numpy(float)
            r = before_after(pre6[t_rows], post6[t_rows], opts.replicates, rng)
            rows.append({"outcome": o, "method": "six_month", "treated": len(t_rows), **r})
        summary = pd.DataFrame(rows).assign(
            evaluation_id=ev_id,
            service_id=opts.service,
            replicates=opts.replicates,
            controls_from=controls_from,
        )
        summary = suppress(
            summary,
            ["treated", "controls"],
            [
                "treated_pre",
                "treated_post",
                "control_pre",
                "control_post",
                "estimate",
                "lower",
                "upper",
                "relative",
                "relative_lower",
                "relative_upper",
            ],
            DEFAULT_POLICY,
        )
        traj = trajectory(
            store, df.person_id.to_numpy()[tr], df.person_id.to_numpy()[cr], df, tr, cr, ev_id
        )
        task.advance(1)
    return Evaluation(
        ev_id,
        summary,
        balance,
        traj,
        len(t_rows),
        len(tr),
        int((~has).sum()),
        excluded,
        controls_from,
    )


def _fy(day: pd.Series) -> pd.Series:
    return day.dt.year.where(day.dt.month >= 4, day.dt.year - 1).astype(int)


def enrolled_anywhere(store: Store) -> set[str]:
    """Everyone in service_enrolment (any service)."""
    if not store.exists("service_enrolment"):
        return set()
    e = store.table("service_enrolment")
    return set(store.to_pandas(e.select("person_id").distinct()).person_id)


#: a practice whose enrolment rate is below this share of the service's rate did not offer it
#: (its few enrolled moved there from an offering practice)
OFFERING_MIN_RATE = 0.1


def offering_practices(enr_fy: pd.DataFrame, reg: pd.DataFrame) -> set[str]:
    """Practices that ran the service: enrolled people (at their index year's practice) per
    registered person at least OFFERING_MIN_RATE × the rate of all practices with enrolment."""
    at = enr_fy.merge(reg, on=["person_id", "fy"], how="left").dropna(subset=["practice_code"])
    if at.empty:
        return set()
    years = set(enr_fy.fy)
    listed = reg[reg.fy.isin(years)].groupby("practice_code").person_id.nunique()
    joined = at.groupby("practice_code").person_id.nunique()
    rate = (joined / listed.reindex(joined.index)).fillna(0.0)
    overall = joined.sum() / listed.reindex(joined.index).sum()
    return set(rate[rate >= OFFERING_MIN_RATE * overall].index)


def control_pool(
    store: Store, enr: pd.DataFrame, opts: EvaluateOptions
) -> tuple[pd.DataFrame, str]:
    """People who could be controls (person_id) and where they come from.

    Registered in a year when people enrolled and never enrolled in the service; `auto` takes
    them from practices that did not offer the service (`offering_practices`) when those hold
    `min_pool_ratio` people per enrolled person, else from everyone not enrolled (see the
    module docstring).
    """
    py = store.table("person_year")
    years = sorted(set(_fy(enr.day)))
    reg = store.to_pandas(
        py.filter(py.fy.isin(years) & (py.months_registered.fill_null(0) > 0)).select(
            "person_id", "fy", "practice_code"
        )
    )
    # a fixed order, so the seeded index days (and so the result) do not depend on the engine's
    reg = reg.sort_values(["person_id", "fy"], kind="stable").reset_index(drop=True)
    offering = offering_practices(enr.assign(fy=_fy(enr.day)), reg)
    # nobody enrolled in this or another service: their use after it is not a control's
    pool = reg[~reg.person_id.isin(set(enr.person_id) | enrolled_anywhere(store))]
    other = pool[~pool.practice_code.isin(offering)]
    other_people = other.person_id.drop_duplicates()
    if opts.controls == "other_practices" or (
        opts.controls == "auto" and len(other_people) >= opts.min_pool_ratio * len(enr)
    ):
        if other_people.empty:
            raise InputError(
                f"every practice has people enrolled in {opts.service!r}, so there are no "
                "other practices to draw controls from",
                hint="use --controls not_enrolled (or auto)",
            )
        return other_people.to_frame().reset_index(drop=True), "other_practices"
    return pool.person_id.drop_duplicates().to_frame().reset_index(drop=True), "not_enrolled"


__all__ = ["EvaluateOptions", "Evaluation", "did", "evaluate", "known_services", "match", "smd"]


def trajectory(store, t_ids, c_ids, df, tr, cr, ev_id) -> pd.DataFrame:
    """Per month around the index day: non-elective admissions per 1,000 and cost per head of
    the matched enrolled and their controls (controls weighted by how often they were used)."""
    people = pd.DataFrame(
        {
            "person_id": np.concatenate([t_ids, c_ids]),
            "group": ["enrolled"] * len(t_ids) + ["controls"] * len(c_ids),
            "day": np.concatenate([df.day.to_numpy()[tr], df.day.to_numpy()[cr]]),
        }
    )
    weights = people.groupby(["person_id", "group", "day"]).size().rename("w").reset_index()
    mem = ibis.memtable(weights)
    a = store.table("activity")
    j = mem.join(a, mem.person_id == a.person_id)
    d = j.start_date.delta(j.day, unit="day")
    j = j.mutate(month=(d / 30.4375).floor().cast("int16")).filter((d >= -365) & (d < 365))
    g = j.group_by(["group", "month"]).aggregate(
        ne=(j.w * (j.setting == "acute_non_elective").cast("int64")).sum(),
        cost=exact_sum(j.w * amount(j.cost)),
    )
    f = store.to_pandas(g)
    f = f[(f.month >= -12) & (f.month <= 11)]
    n = {"enrolled": len(t_ids), "controls": len(c_ids)}
    grid = pd.MultiIndex.from_product(
        [["enrolled", "controls"], range(-12, 12)], names=["group", "month"]
    )
    f = f.set_index(["group", "month"]).reindex(grid, fill_value=0).reset_index()
    f["people"] = f.group.map(n)
    f["non_elective_per_1000"] = f["ne"] / f["people"] * 1000
    f["cost_per_head"] = f["cost"] / f["people"]
    f = suppress(
        f,
        ["people"],
        ["non_elective_per_1000", "cost_per_head"],
        DEFAULT_POLICY,
        totals=["ne", "cost"],
        per=dict.fromkeys(("non_elective_per_1000", "cost_per_head"), "people"),
    )
    return f.assign(evaluation_id=ev_id)
