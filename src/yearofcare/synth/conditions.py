"""Long-term conditions: who has which, from when, and which resolve.

A liability-threshold model. Each person has standard-normal latent factors (frailty and the
clusters in `condition_factors.csv`) and the deprivation of their LSOA; each condition's
liability is a weighted sum of these plus its own noise, scaled to variance 1. A person develops
the condition at the age where the condition's prevalence curve (`conditions.csv`, by age and
sex) first exceeds their position on that liability, so people high on frailty get conditions
earlier and together (clustering), deprived areas get more, onset dates fall before or during
the window, and the cross-section at any date follows the prevalence curves. The palliative care
register is set later, from deaths (`lifecourse.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from yearofcare.synth.params import CURVE_AGES, ModelParams
from yearofcare.synth.timeline import NEVER, YEAR

_GRID = np.arange(0.0, 100.001, 0.25)


@dataclass
class Conditions:
    """Onset and resolution days per person and condition (NEVER when it does not happen)."""

    onset: np.ndarray  # int32 (people, conditions)
    resolved: np.ndarray  # int32 (people, conditions)
    factors: np.ndarray  # float32 (people, factors); column 0 is frailty

    @property
    def frailty(self) -> np.ndarray:
        return self.factors[:, 0]

    def active(self, idx: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Bool (len(idx), conditions): condition recorded and not resolved on day `when`."""
        w = np.asarray(when)[:, None]
        return (self.onset[idx] <= w) & (self.resolved[idx] > w)


def generate(
    rng: np.random.Generator,
    mp: ModelParams,
    female: np.ndarray,
    birth: np.ndarray,
    dep_z: np.ndarray,
    horizon: int,
) -> Conditions:
    n = len(birth)
    tab = mp.condition_table
    n_k = len(mp.conditions)
    factors = rng.standard_normal((n, len(mp.factors)), dtype=np.float32)
    dep_z = np.asarray(dep_z, dtype=np.float32)
    birth64 = birth.astype(np.float64)
    palliative = mp.k("palliative_care")
    onsets, resolveds = [], []
    never = np.full(n, NEVER, dtype=np.int32)
    for k in range(n_k):
        if k == palliative:
            onsets.append(never)
            resolveds.append(never)
            continue
        load = mp.loadings[k].astype(np.float32)
        dep = tab["deprivation"][k]
        noise = np.sqrt(max(1.0 - float((load**2).sum()) - dep**2, 1e-6))
        liability = factors @ load
        liability += np.float32(dep) * dep_z
        liability += np.float32(noise) * rng.standard_normal(n, dtype=np.float32)
        position = ndtr(-liability)  # share of people with a higher liability
        onset = np.full(n, NEVER, dtype=np.int32)
        for is_female, sex_mask in ((False, ~female), (True, female)):
            curve = _curve(tab["curve"][k], tab["male_rr"][k], tab["sex"][k], is_female)
            if curve is None:
                continue
            # only people below the curve's top ever get the condition
            who = np.flatnonzero(sex_mask & (position <= curve[-1]))
            age = np.interp(position[who], curve, _GRID)
            day = birth64[who] + age * YEAR
            ok = day <= horizon
            onset[who[ok]] = day[ok].astype(np.int32)
        onsets.append(onset)
        p_res = tab["resolve_prob"][k]
        if p_res > 0:
            delay = rng.exponential(tab["resolve_years"][k] * YEAR, n)
            delay = np.maximum(delay, tab["resolve_min_days"][k])
            when = onset + delay
            res = (onset < NEVER) & (rng.random(n) < p_res) & (when <= horizon)
            resolveds.append(np.where(res, when, NEVER).astype(np.int32))
        else:
            resolveds.append(never)
    return Conditions(
        onset=np.stack(onsets, axis=1), resolved=np.stack(resolveds, axis=1), factors=factors
    )


def _curve(anchors: np.ndarray, male_rr: float, sex: str, female: bool) -> np.ndarray | None:
    """Non-decreasing cumulative prevalence on the age grid for one sex (None if not possible)."""
    if (sex == "M" and female) or (sex == "F" and not female):
        return None
    if sex == "all":
        scale = 2.0 / (1.0 + male_rr) if female else 2.0 * male_rr / (1.0 + male_rr)
    else:
        scale = 1.0
    p = np.interp(_GRID, CURVE_AGES, np.minimum(anchors * scale, 0.97))
    p = np.maximum.accumulate(p)
    # strictly increasing so that interpolation back to age is well defined
    return p + np.arange(len(p)) * 1e-9


def truth_rows(
    cond: Conditions, last_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(person, condition, onset, resolved-or-NEVER) for conditions known by each `last_day`."""
    person, k = np.nonzero(cond.onset <= last_day[:, None])
    onset = cond.onset[person, k]
    res = cond.resolved[person, k]
    res = np.where(res <= last_day[person], res, NEVER)
    return person.astype(np.int32), k.astype(np.int16), onset, res
