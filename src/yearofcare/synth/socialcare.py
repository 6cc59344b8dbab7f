"""Long-term adult social care: who gets a package, what kind, and when it starts and ends.

Rates by age band (`social_care.yaml`) are spread between people by their conditions
(`care_loghr` in conditions.csv), frailty and area deprivation, normalised within each band so
that band averages hold. A package runs until the person dies or leaves, or (for home-based
services) ends or turns into a care-home placement. Weekly activity rows are written by
`activity_rows.package_weeks`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare.synth.conditions import Conditions
from yearofcare.synth.params import ModelParams
from yearofcare.synth.population import People
from yearofcare.synth.timeline import NEVER, YEAR, Window, age_at, scale_to_rates

#: Long-term services, in the order used by `Packages.service`.
SERVICES: tuple[str, ...] = (
    "home_care",
    "residential_care",
    "nursing_care",
    "supported_living",
    "day_care",
)
CARE_HOMES = (1, 2)


@dataclass
class Packages:
    """Package spells: person, service index into SERVICES, first day, day after the last."""

    person: np.ndarray
    service: np.ndarray
    start: np.ndarray
    stop: np.ndarray

    def care_home_from(self, n: int) -> np.ndarray:
        """Day each person first enters a care home (NEVER if they do not)."""
        out = np.full(n, NEVER, np.int64)
        home = np.isin(self.service, CARE_HOMES)
        np.minimum.at(out, self.person[home], self.start[home])
        return out

    def truncate(self, out_day: np.ndarray) -> Packages:
        """End every package when its person leaves or dies; drop those that never start."""
        stop = np.minimum(self.stop, out_day[self.person])
        keep = stop > self.start
        return Packages(self.person[keep], self.service[keep], self.start[keep], stop[keep])


def relative_rate(
    mp: ModelParams, cond: Conditions, people: People, dep_z: np.ndarray, ref: np.ndarray
) -> np.ndarray:
    cfg = mp.social_care
    idx = np.arange(people.n)
    active = cond.active(idx, ref)
    log_rr = active.astype(np.float32) @ mp.condition_table["care_loghr"].astype(np.float32)
    log_rr += cfg.frailty_loghr * cond.frailty + cfg.deprivation_loghr * dep_z
    return np.exp(log_rr - log_rr.max())


def generate(
    rng: np.random.Generator,
    mp: ModelParams,
    people: People,
    cond: Conditions,
    dep_z: np.ndarray,
    window: Window,
) -> Packages:
    cfg = mp.social_care
    n = people.n
    ref = np.maximum(people.entry, window.t0)
    age = age_at(people.birth, ref)
    band = np.searchsorted(np.array(cfg.age_bands), age, side="right") - 1  # -1 = child
    adult = band >= 0
    rr = relative_rate(mp, cond, people, dep_z, ref)
    group = band.clip(0)
    # the share of each adult age band in care at the start matches `prevalence`, and the share
    # of those not yet in care who start within a year matches `incidence`
    prev = np.zeros(n)
    c = scale_to_rates(rr[adult], group[adult], np.array(cfg.prevalence))
    prev[adult] = 1 - np.exp(-c * rr[adult])
    resident = people.origin == 0
    prevalent = resident & (rng.random(n) < prev)
    free = adult & ~prevalent
    hazard = np.zeros(n)
    hazard[free] = scale_to_rates(rr[free], group[free], np.array(cfg.incidence)) * rr[free]
    start = np.full(n, NEVER, np.int64)
    years_in = rng.exponential(cfg.prevalent_years_mean, prevalent.sum())
    start[prevalent] = window.t0 - (years_in * YEAR).astype(np.int64)
    wait = rng.exponential(1.0, n) / np.maximum(hazard, 1e-12) * YEAR
    incident = free & (ref + wait <= window.t1)
    start[incident] = (ref + wait)[incident].astype(np.int64)
    has = np.flatnonzero(start < NEVER)
    s = start[has]

    # service mix by group at the start of the package
    act = cond.active(has, s.clip(None, window.t1))
    group = np.full(len(has), "working_age", dtype=object)
    group[age_at(people.birth[has], s) >= 65] = "older"
    group[act[:, mp.k("dementia")]] = "dementia"
    group[act[:, mp.k("learning_disability")]] = "learning_disability"
    service = np.zeros(len(has), np.int8)
    for name, mix in cfg.package_mix.items():
        sel = group == name
        if sel.any():
            service[sel] = _draw_service(rng, mix, int(sel.sum()))

    # ends: home-based packages stop or turn into a care-home placement
    home_based = ~np.isin(service, CARE_HOMES)
    end = np.where(
        home_based, s + rng.exponential(YEAR / max(cfg.package_end_rate, 1e-9), len(s)), NEVER
    )
    move = np.where(
        service == SERVICES.index("home_care"),
        s + rng.exponential(YEAR / max(cfg.move_to_care_home_rate, 1e-9), len(s)),
        NEVER,
    )
    moves = (move < end) & (move <= window.t1)
    stop1 = np.where(moves, move, end).astype(np.int64)
    p2 = has[moves]
    s2 = move[moves].astype(np.int64)
    svc2 = _draw_service(rng, cfg.care_home_move_mix, len(p2))
    return Packages(
        person=np.concatenate([has, p2]).astype(np.int32),
        service=np.concatenate([service, svc2]).astype(np.int8),
        start=np.concatenate([s, s2]),
        stop=np.concatenate([np.minimum(stop1, NEVER), np.full(len(p2), NEVER, np.int64)]),
    )


def _draw_service(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    names = list(mix)
    p = np.array([mix[k] for k in names], dtype=float)
    codes = np.array([SERVICES.index(k) for k in names], dtype=np.int8)
    return codes[rng.choice(len(names), size=n, p=p / p.sum())]
