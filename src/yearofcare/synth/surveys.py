"""LTC6 questionnaire answers for a sample of people with long-term conditions.

Each answer (0-3, 3 best) is a cut of a latent score: the question's intercept, minus the
person's need (conditions, frailty, age; `survey.yaml`), plus a lasting person effect and noise,
so people with lower need answer better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare.synth.assessments import drivers, sample_people
from yearofcare.synth.world import World


@dataclass(frozen=True)
class Responses:
    person: np.ndarray
    day: np.ndarray
    answers: np.ndarray  # int8 (responses, 6); -1 = not answered


def generate(world: World) -> Responses:
    rng = world.rngs["surveys"]
    mp = world.mp
    cfg = mp.survey
    person, day = sample_people(world, rng, lambda idx, active: np.full(len(idx), cfg.sample_rate))
    x, _ = drivers(world, person, day)
    names = ("intercept", "frailty", "age85", "ltc_count", *mp.conditions)
    weight = np.zeros(len(names))
    for key, value in cfg.need_weights.items():
        weight[names.index(key)] = value
    need = x @ weight
    person_effect = rng.normal(0.0, cfg.person_sd, world.people.n)[person]
    latent = (
        np.array(cfg.intercepts)[None, :]
        - need[:, None]
        + person_effect[:, None]
        + rng.normal(0.0, cfg.noise_sd, (len(person), 6))
    )
    answers = np.searchsorted(np.array(cfg.cuts), latent, side="right").astype(np.int8)
    answers[rng.random(answers.shape) < cfg.missing_answer] = -1
    return Responses(person=person, day=day, answers=answers)
