"""Deaths, place of death, the palliative care register and GP registration spells.

Mortality follows the life table (`mortality.csv`), spread between people by their conditions,
frailty, deprivation and care-home residence and normalised within each age band and sex so the
life table still holds. Deaths are simulated past the end of the window (`horizon_years_after`)
so that people who die soon after it are already in their last year of life and on the
palliative care register at its end; only deaths inside the window are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare import vocab
from yearofcare.synth.conditions import Conditions
from yearofcare.synth.params import ModelParams
from yearofcare.synth.population import People
from yearofcare.synth.socialcare import Packages
from yearofcare.synth.timeline import NEVER, YEAR, Season, Window, age_at, scale_to_rates

#: Groups for the last year of life (end_of_life.yaml last_year_multiplier).
EOL_GROUPS: tuple[str, ...] = ("cancer", "organ_failure", "dementia", "none", "other")
_ORGAN_FAILURE = ("heart_failure", "copd", "ckd", "chronic_liver_disease")


@dataclass(frozen=True)
class LifeCourse:
    """Per person: simulated death (may be after the window), exit day, place of death."""

    death: np.ndarray  # int32 day of death unless they leave first (NEVER if none in horizon)
    out: np.ndarray  # int32 first day no longer in the care economy (t1 + 1 if still there)
    died: np.ndarray  # bool: death recorded inside the window
    place: np.ndarray  # int8 index into vocab.PLACES_OF_DEATH (-1 if no death in horizon)
    eol_group: np.ndarray  # int8 index into EOL_GROUPS (-1 if no death in horizon)


def simulate(
    rng: np.random.Generator,
    mp: ModelParams,
    people: People,
    cond: Conditions,
    dep_z: np.ndarray,
    packages: Packages,
    window: Window,
) -> LifeCourse:
    n = people.n
    eol = mp.end_of_life
    start = np.maximum(people.entry, window.t0).astype(np.int64)
    mid = np.maximum(start, (window.t0 + window.t1) // 2)
    care_home = packages.care_home_from(n) <= window.t1
    active = cond.active(np.arange(n), mid)
    log_m = active.astype(np.float32) @ mp.condition_table["mortality_loghr"].astype(np.float32)
    log_m += eol.frailty_loghr * cond.frailty + eol.deprivation_loghr * dep_z
    log_m += mp.social_care.care_home_mortality_loghr * care_home
    mult = np.exp(log_m - log_m.max())
    mt = mp.mortality
    age0 = age_at(people.birth, start)
    qx_group = np.column_stack([mt["qx_male"], mt["qx_female"]]).ravel()
    # year by year, deaths among survivors in each age band and sex match the life table
    death = np.full(n, NEVER, np.int64)
    alive = np.ones(n, bool)
    season = Season(mp.seasonality[eol.death_season], window.t0, window.horizon + 2 * 366)
    for j in range(int(np.ceil((window.horizon - window.t0) / YEAR)) + 1):
        a = start + round(j * YEAR)
        b = start + round((j + 1) * YEAR)
        at_risk = np.flatnonzero(alive & (a <= window.horizon))
        if not len(at_risk):
            break
        band = (np.searchsorted(mt["age_from"], age0[at_risk] + j, side="right") - 1).clip(0)
        group = band * 2 + people.female[at_risk]
        m = mult[at_risk]
        p = 1 - np.exp(-scale_to_rates(m, group, qx_group) * m)
        dies = at_risk[rng.random(len(at_risk)) < p]
        death[dies] = season.draw(rng, a[dies], b[dies])
        alive[dies] = False
    death = np.where(death <= window.horizon, death, NEVER)
    death = np.maximum(death, people.birth)  # infant deaths on the day of birth at the earliest
    death = np.where(death < people.leave, death, NEVER).astype(np.int32)

    out = np.minimum(
        np.minimum(people.leave.astype(np.int64), death.astype(np.int64) + 1), window.t1 + 1
    )
    died = death <= window.t1

    has_death = np.flatnonzero(death < NEVER)
    d = death[has_death]
    act_d = cond.active(has_death, d)
    k = mp.k
    cancer = act_d[:, k("cancer")]
    dementia = act_d[:, k("dementia")]
    organ = act_d[:, [k(c) for c in _ORGAN_FAILURE]].any(axis=1)
    in_home = packages.care_home_from(n)[has_death] <= d

    eol_group = np.full(n, -1, np.int8)
    g = np.full(len(has_death), EOL_GROUPS.index("other"), np.int8)
    g[~act_d.any(axis=1)] = EOL_GROUPS.index("none")
    g[dementia] = EOL_GROUPS.index("dementia")
    g[organ] = EOL_GROUPS.index("organ_failure")
    g[cancer] = EOL_GROUPS.index("cancer")
    eol_group[has_death] = g

    place_group = np.full(len(has_death), "other", dtype=object)
    place_group[dementia] = "dementia"
    place_group[cancer] = "cancer"
    place_group[in_home] = "care_home_resident"
    place = np.full(n, -1, np.int8)
    pl = np.zeros(len(has_death), np.int8)
    for name, mix in eol.place_of_death.items():
        sel = place_group == name
        if sel.any():
            names = list(mix)
            p = np.array([mix[x] for x in names])
            codes = np.array([vocab.PLACES_OF_DEATH.index(x) for x in names], np.int8)
            pl[sel] = codes[rng.choice(len(names), size=int(sel.sum()), p=p / p.sum())]
    place[has_death] = pl

    _palliative(rng, mp, cond, people, has_death, d, cancer, organ, dementia)
    return LifeCourse(
        death=death, out=out.astype(np.int32), died=died, place=place, eol_group=eol_group
    )


def _palliative(
    rng: np.random.Generator,
    mp: ModelParams,
    cond: Conditions,
    people: People,
    who: np.ndarray,
    death: np.ndarray,
    cancer: np.ndarray,
    organ: np.ndarray,
    dementia: np.ndarray,
) -> None:
    """Put some people on the palliative care register in the months before they die."""
    cfg = mp.end_of_life.palliative
    p = cfg.base + cfg.cancer * cancer + cfg.organ_failure * organ + cfg.dementia * dementia
    on = rng.random(len(who)) < np.minimum(p, cfg.maximum)
    before = rng.exponential(cfg.mean_days_before_death, len(who)).astype(np.int64) + 1
    onset = np.maximum(death - before, people.birth[who])
    cond.onset[who[on], mp.k("palliative_care")] = onset[on].astype(np.int32)


@dataclass(frozen=True)
class Spells:
    person: np.ndarray
    practice: np.ndarray
    start: np.ndarray
    end: np.ndarray  # NEVER while still registered
    reason: np.ndarray  # -1 none, else index into END_REASONS


END_REASONS: tuple[str, ...] = ("left", "died", "transferred")


def registration(people: People, life: LifeCourse, window: Window) -> Spells:
    """GP registration spells: first practice, then the one moved to, ended by leaving or death."""
    out = life.out.astype(np.int64)
    start = people.reg_start.astype(np.int64)
    ok = (start < out) & (start <= window.t1)
    moved = ok & (people.transfer < out) & (people.transfer > start) & (people.practice2 >= 0)
    died = life.died
    final_end = np.where(died, life.death, np.where(out <= window.t1, out - 1, NEVER))
    final_reason = np.where(died, 1, np.where(out <= window.t1, 0, -1))
    first = np.flatnonzero(ok)
    second = np.flatnonzero(moved)
    end1 = np.where(moved[first], people.transfer[first].astype(np.int64) - 1, final_end[first])
    reason1 = np.where(moved[first], 2, final_reason[first])
    return Spells(
        person=np.concatenate([first, second]).astype(np.int32),
        practice=np.concatenate([people.practice[first], people.practice2[second]]),
        start=np.concatenate([start[first], people.transfer[second]]).astype(np.int32),
        end=np.concatenate([end1, final_end[second]]).astype(np.int32),
        reason=np.concatenate([reason1, final_reason[second]]).astype(np.int8),
    )
