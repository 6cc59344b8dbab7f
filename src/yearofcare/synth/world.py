"""The simulated care economy before it becomes tables: people, conditions, care, deaths.

`build_world` runs the person-level simulation in order (population, conditions, social care,
life course) and returns a `World` that the activity, coding, assessment and survey modules read.
Each phase draws from its own child of the one generator, so changing one phase's parameters
does not reshuffle the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare.synth import conditions, lifecourse, population, socialcare
from yearofcare.synth.conditions import Conditions
from yearofcare.synth.lifecourse import LifeCourse
from yearofcare.synth.params import ModelParams, SynthParams
from yearofcare.synth.population import People, Places
from yearofcare.synth.socialcare import Packages
from yearofcare.synth.timeline import Season, Window

PHASES: tuple[str, ...] = (
    "population",
    "conditions",
    "social_care",
    "life_course",
    "propensity",
    "activity",
    "end_of_life",
    "rows",
    "coding",
    "assessments",
    "surveys",
    "identifiers",
    "services",
)


@dataclass
class World:
    mp: ModelParams
    window: Window
    people: People
    places: Places
    cond: Conditions
    dep_z: np.ndarray
    decile: np.ndarray
    packages: Packages
    life: LifeCourse
    propensity: np.ndarray  # float32 (people, streams)
    seasons: dict[str, Season]
    rngs: dict[str, np.random.Generator]


def build_world(params: SynthParams, mp: ModelParams, rng: np.random.Generator) -> World:
    rngs = dict(zip(PHASES, rng.spawn(len(PHASES)), strict=True))
    window = Window(params.first_fy, params.end_fy, mp.population.horizon_years_after)
    people, places = population.generate(rngs["population"], mp, window, params.people)
    dep_z = people.dep_z(places)
    cond = conditions.generate(
        rngs["conditions"], mp, people.female, people.birth, dep_z, window.horizon
    )
    packages = socialcare.generate(rngs["social_care"], mp, people, cond, dep_z, window)
    life = lifecourse.simulate(rngs["life_course"], mp, people, cond, dep_z, packages, window)
    packages = packages.truncate(life.out)
    return World(
        mp=mp,
        window=window,
        people=people,
        places=places,
        cond=cond,
        dep_z=dep_z,
        decile=people.imd(places),
        packages=packages,
        life=life,
        propensity=_propensity(rngs["propensity"], mp, cond.frailty),
        seasons={
            name: Season(profile / profile.mean(), window.t0 - 400, window.horizon + 400)
            for name, profile in mp.seasonality.items()
        },
        rngs=rngs,
    )


def _propensity(rng: np.random.Generator, mp: ModelParams, frailty: np.ndarray) -> np.ndarray:
    """A person's lasting tendency to use each stream: lognormal on frailty times gamma noise."""
    n = len(frailty)
    out = np.ones((n, len(mp.streams)), dtype=np.float32)
    for j, s in enumerate(mp.streams.values()):
        if s.model not in ("events", "items"):
            continue
        sigma = s.propensity_sigma
        gamma = rng.gamma(s.gamma_shape, 1.0 / s.gamma_shape, n).astype(np.float32)
        out[:, j] = np.exp(sigma * frailty - sigma * sigma / 2) * gamma
    return out
