"""DST assessments of a sample of people with long-term conditions, including upcoding assessors.

Each year a sample of people with at least one condition is assessed (`assessment.yaml`). Each of
the eleven DST care domains gets a level from the person's conditions, frailty and age
(`dst_drivers.csv`); functional need and complexity of health need (1-3) summarise the domains and
the 3x3 matrix gives the level of need, or End of life for people on the palliative register or
close to death. A few assessors upcode: they conclude one level above what the domains support,
so the audit of concordance between domains and concluded level can find them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare import vocab
from yearofcare.synth.timeline import NEVER, YEAR, age_at
from yearofcare.synth.world import World


@dataclass(frozen=True)
class Assessments:
    person: np.ndarray
    day: np.ndarray
    assessor: np.ndarray  # index into Assessors
    domains: np.ndarray  # int8 (assessments, 11)
    functional: np.ndarray  # int8 1-3
    complexity: np.ndarray  # int8 1-3
    level: np.ndarray  # int8 index into vocab.NEED_LEVELS


@dataclass(frozen=True)
class Assessors:
    assessor_id: np.ndarray  # str
    provider: np.ndarray  # str
    upcoder: np.ndarray  # bool


def sample_people(
    world: World, rng: np.random.Generator, probability
) -> tuple[np.ndarray, np.ndarray]:
    """People with a long-term condition sampled in each year, with a day inside their time.

    `probability(idx, active)` gives each present person's chance of being sampled that year.
    """
    people, window = world.people, world.window
    persons, days = [], []
    for fy in window.years:
        a, b = window.fy_bounds(fy)
        s0 = np.maximum(people.entry, a)
        s1 = np.minimum(world.life.out, b)
        idx = np.flatnonzero(s1 > s0)
        s0, s1 = s0[idx].astype(np.int64), s1[idx].astype(np.int64)
        mid = (s0 + s1) // 2
        active = world.cond.active(idx, mid)
        has = active.any(axis=1)
        p = np.where(has, probability(idx, active), 0.0) * (s1 - s0) / YEAR
        pick = rng.random(len(idx)) < p
        day = s0[pick] + (rng.random(int(pick.sum())) * (s1 - s0)[pick]).astype(np.int64)
        # only people who have a condition on the day itself
        ok = world.cond.active(idx[pick], day).any(axis=1)
        persons.append(idx[pick][ok])
        days.append(day[ok])
    return np.concatenate(persons).astype(np.int32), np.concatenate(days).astype(np.int32)


def drivers(world: World, person: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Driver matrix (intercept, frailty, age85, ltc_count, conditions...) and active conditions."""
    active = world.cond.active(person, day)
    age = age_at(world.people.birth[person], day)
    cols = [
        np.ones(len(person)),
        world.cond.frailty[person],
        (age >= 85).astype(float),
        active.sum(axis=1).astype(float),
    ]
    return np.column_stack([*cols, active.astype(float)]), active


def generate(world: World) -> tuple[Assessments, Assessors]:
    rng = world.rngs["assessments"]
    mp = world.mp
    cfg = mp.assessment
    frail = world.cond.frailty

    def probability(idx: np.ndarray, active: np.ndarray) -> np.ndarray:
        n = active.sum(axis=1)
        p = cfg.sample_base + cfg.sample_per_extra_ltc * np.maximum(n - 1, 0)
        boost = np.exp(cfg.sample_frailty_loghr * frail[idx] - cfg.sample_frailty_loghr**2 / 2)
        return np.minimum(p * boost, cfg.sample_cap)

    person, day = sample_people(world, rng, probability)
    x, active = drivers(world, person, day)
    dst = mp.dst
    latent = x @ dst["weights"].T + rng.normal(
        0.0, cfg.noise_sd, (len(person), len(dst["max_level"]))
    )
    domains = np.clip(np.floor(latent), 0, dst["max_level"][None, :]).astype(np.int8)

    def score(names: tuple[str, ...], cuts: tuple[float, float]) -> np.ndarray:
        cols = [vocab.DST_DOMAINS.index(d) for d in names]
        share = (domains[:, cols] / dst["max_level"][cols]).mean(axis=1)
        return (1 + np.searchsorted(np.array(cuts), share, side="right")).astype(np.int8)

    functional = score(cfg.functional_domains, cfg.functional_cuts)
    complexity = score(cfg.complexity_domains, cfg.complexity_cuts)
    matrix = np.array([[vocab.NEED_LEVELS.index(v) for v in row] for row in cfg.matrix], np.int8)
    level = matrix[functional - 1, complexity - 1]
    death = world.life.death[person].astype(np.int64)
    eol = active[:, mp.k("palliative_care")] | (
        (death < NEVER) & (death - day <= cfg.end_of_life_days)
    )
    level = np.where(eol, vocab.NEED_LEVELS.index("End of life"), level).astype(np.int8)

    years = len(world.window.years)
    per_year = np.ceil(len(person) / years / cfg.assessments_per_assessor)
    n_assessors = max(cfg.min_assessors, int(per_year))
    n_up = max(1, round(n_assessors * cfg.upcoder_share))
    upcoder = np.zeros(n_assessors, bool)
    upcoder[rng.choice(n_assessors, size=n_up, replace=False)] = True
    assessor = rng.integers(0, n_assessors, len(person)).astype(np.int32)
    high = vocab.NEED_LEVELS.index("High")
    up = upcoder[assessor] & (level < high)
    level[up] = np.minimum(level[up] + cfg.upcode_levels, high)
    providers = np.array(cfg.assessor_providers)
    return (
        Assessments(person, day, assessor, domains, functional, complexity, level),
        Assessors(
            assessor_id=np.array([f"ASR{i + 1:05d}" for i in range(n_assessors)]),
            provider=providers[np.arange(n_assessors) % len(providers)],
            upcoder=upcoder,
        ),
    )
