"""Diagnoses as codes: ICD-10 on hospital spells and SNOMED CT in GP records.

Conditions are never passed on as hidden flags: a later stage has to find them from codes, the
way it would in real data. A hospital spell's primary diagnosis is the condition that caused it
(each event is attributed to the base rate or to one active condition in proportion to their
share of the person's rate) or, for base-rate events, a common acute reason
(`acute_reasons.csv`); the person's other active conditions are coded as secondary diagnoses with
the condition's `hes_secondary` probability. GP records hold a SNOMED CT code at onset (for the
share `gp_recorded` of cases) and a resolved code when a condition resolves. Codes and their
weights come from `condition_codes.csv`. Prescribing rows carry the BNF code of what their items
are for (`prescriptions.csv`), attributed the same way as hospital diagnoses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare import vocab
from yearofcare.synth.activity import interaction, saturate
from yearofcare.synth.params import CodeTable, ModelParams
from yearofcare.synth.timeline import NEVER, age_at, age_band, weighted_choice
from yearofcare.synth.world import World

MAX_AGE = 120


@dataclass(frozen=True)
class CodeChooser:
    """Weighted choice of a code for (owner, sex) rows; codes are indices into a vocabulary."""

    cum: np.ndarray  # (rows, options) cumulative weights
    code: np.ndarray  # (rows, options) vocabulary index

    def choose(self, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
        j = weighted_choice(rng, self.cum, rows)
        return self.code[rows, j]


def _by_condition(table: CodeTable, n_k: int, vocab_index: dict[str, int]) -> CodeChooser:
    width = max(1, int(np.bincount(table.owner, minlength=n_k).max(initial=1)))
    weight = np.zeros((n_k * 2, width))
    code = np.zeros((n_k * 2, width), np.int32)
    for k in range(n_k):
        rows = np.flatnonzero(table.owner == k)
        for female in (0, 1):
            ok = [r for r in rows if table.sex[r] in ("", "F" if female else "M")]
            for j, r in enumerate(ok):
                weight[k * 2 + female, j] = table.weight[r]
                code[k * 2 + female, j] = vocab_index[table.code[r]]
    return CodeChooser(np.cumsum(weight, axis=1), code)


def _by_age(table: CodeTable, vocab_index: dict[str, int]) -> CodeChooser:
    ages = np.arange(MAX_AGE + 1)
    weight = np.zeros(((MAX_AGE + 1) * 2, len(table.code)))
    for female in (0, 1):
        sex_ok = np.isin(table.sex, ["", "F" if female else "M"])
        ok = (
            sex_ok[None, :]
            & (table.min_age[None, :] <= ages[:, None])
            & (table.max_age[None, :] >= ages[:, None])
        )
        w = np.where(ok, table.weight[None, :], 0.0)
        # no code fits (e.g. a young child): fall back to any code for the sex, then any at all
        empty = w.sum(axis=1) == 0
        w[empty] = np.where(sex_ok, table.weight, 0.0)[None, :]
        if (w.sum(axis=1) == 0).any():
            w[w.sum(axis=1) == 0] = table.weight[None, :]
        weight[ages * 2 + female] = w
    code = np.tile(np.array([vocab_index[c] for c in table.code], np.int32), (len(weight), 1))
    return CodeChooser(np.cumsum(weight, axis=1), code)


def _code_by_cause(
    rng: np.random.Generator,
    world: World,
    cause: np.ndarray,
    person: np.ndarray,
    day: np.ndarray,
    by_condition: CodeChooser,
    by_age: CodeChooser | None,
) -> np.ndarray:
    """A code for each event: from its condition's codes, or by age and sex for the base rate
    (-1 where there is no base-rate table)."""
    female = world.people.female[person].astype(np.int64)
    out = np.full(len(person), -1, np.int32)
    by_cond = cause >= 0
    if by_cond.any():
        out[by_cond] = by_condition.choose(rng, cause[by_cond] * 2 + female[by_cond])
    base = ~by_cond
    if base.any() and by_age is not None:
        age = age_at(world.people.birth[person[base]], day[base]).astype(np.int64)
        out[base] = by_age.choose(rng, np.clip(age, 0, MAX_AGE) * 2 + female[base])
    return out


class Coder:
    """Chooses causes and codes; `vocabulary` lists every code it can emit."""

    def __init__(self, mp: ModelParams) -> None:
        self.mp = mp
        codes = list(mp.icd.code) + [c for t in mp.acute_reasons.values() for c in t.code]
        codes += list(mp.snomed.code) + list(mp.snomed_resolved.code)
        rx = mp.prescriptions
        codes += list(rx["condition"].code) + list(rx["general"].code)
        self.vocabulary: tuple[str, ...] = tuple(dict.fromkeys(codes))
        index = {c: i for i, c in enumerate(self.vocabulary)}
        n_k = len(mp.conditions)
        self.icd = _by_condition(mp.icd, n_k, index)
        self.snomed = _by_condition(mp.snomed, n_k, index)
        self.resolved = _by_condition(mp.snomed_resolved, n_k, index)
        self.has_resolved_code = np.isin(np.arange(n_k), mp.snomed_resolved.owner)
        self.reasons = {s: _by_age(t, index) for s, t in mp.acute_reasons.items()}
        self.rx = _by_condition(rx["condition"], n_k, index)
        self.rx_general = _by_age(rx["general"], index)

    def causes(
        self,
        rng: np.random.Generator,
        world: World,
        stream: str,
        person: np.ndarray,
        day: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Attribute each event to the base rate (-1) or one active condition; also return the
        active-condition matrix on the event day."""
        mp = self.mp
        j = list(mp.streams).index(stream)
        s = mp.streams[stream]
        active = world.cond.active(person, day)
        female = world.people.female[person]
        band = age_band(age_at(world.people.birth[person], day))
        base = s.base[band] * np.where(female, s.female_mult, 1.0) if s.base is not None else 0.0
        per_condition = active * mp.excess[:, j][None, :]
        total = per_condition.sum(axis=1)
        extra_ltc = np.maximum(active.sum(axis=1) - 1, 0)
        shrink = (
            saturate(total, s.saturation) * interaction(s, extra_ltc) / np.maximum(total, 1e-12)
        )
        weight = np.concatenate(
            [
                np.broadcast_to(np.asarray(base, float), (len(person),))[:, None],
                per_condition * shrink[:, None],
            ],
            axis=1,
        )
        total = weight.sum(axis=1)
        weight[total <= 0, 0] = 1.0
        cum = np.cumsum(weight, axis=1)
        pick = weighted_choice(rng, cum, np.arange(len(person)))
        return (pick - 1).astype(np.int16), active

    def primary(
        self,
        rng: np.random.Generator,
        world: World,
        stream: str,
        cause: np.ndarray,
        person: np.ndarray,
        day: np.ndarray,
    ) -> np.ndarray:
        """ICD-10 primary diagnosis: the condition's, or a common acute reason by age."""
        return _code_by_cause(rng, world, cause, person, day, self.icd, self.reasons.get(stream))

    def prescription(
        self,
        rng: np.random.Generator,
        world: World,
        cause: np.ndarray,
        person: np.ndarray,
        day: np.ndarray,
    ) -> np.ndarray:
        """BNF code of each prescribing row: the drug of its condition, or a general item."""
        return _code_by_cause(rng, world, cause, person, day, self.rx, self.rx_general)

    def secondaries(
        self,
        rng: np.random.Generator,
        world: World,
        active: np.ndarray,
        cause: np.ndarray,
        person: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(event position, code) for other active conditions coded on the spell."""
        p = self.mp.condition_table["hes_secondary"]
        coded = active & (rng.random(active.shape, dtype=np.float32) < p[None, :])
        coded[np.arange(len(cause)), np.maximum(cause, 0)] &= cause < 0
        pos, k = np.nonzero(coded)
        female = world.people.female[person[pos]].astype(np.int64)
        return pos, self.icd.choose(rng, k * 2 + female)

    def gp_records(
        self,
        rng: np.random.Generator,
        world: World,
        person: np.ndarray,
        k: np.ndarray,
        onset: np.ndarray,
        resolved: np.ndarray,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """SNOMED CT codes in the GP record: a diagnosis at onset for the share of cases the
        practice recorded, and a resolved code when a recorded condition resolves.

        Returns the recorded mask (per truth row) and (person, day, code, code system) rows.
        """
        recorded = rng.random(len(k)) < self.mp.condition_table["gp_recorded"][k]
        female = world.people.female[person].astype(np.int64)
        rows = k.astype(np.int64) * 2 + female
        dx = np.flatnonzero(recorded)
        res = np.flatnonzero(recorded & (resolved < NEVER) & self.has_resolved_code[k])
        system = vocab.CODE_SYSTEMS.index("SNOMED")
        return recorded, (
            np.concatenate([person[dx], person[res]]),
            np.concatenate([onset[dx], resolved[res]]),
            np.concatenate(
                [self.snomed.choose(rng, rows[dx]), self.resolved.choose(rng, rows[res])]
            ),
            np.full(len(dx) + len(res), system),
        )
