"""Who lives in the synthetic care economy: age, sex, deprivation, practices and movement.

Residents at the start of the window follow the age and sex structure in `age_structure.csv`;
babies are born and people move in during it, people move out and between practices (deaths come
later, once conditions are known). Each person lives in an LSOA with an IMD decile, belongs to the
locality of that LSOA and registers with one of the locality's practices (bigger practices attract
more people).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from yearofcare.synth.params import ModelParams
from yearofcare.synth.timeline import NEVER, YEAR, Window


@dataclass(frozen=True)
class Places:
    """LSOAs, localities and practices."""

    lsoa_code: np.ndarray  # str
    lsoa_decile: np.ndarray  # int8, 1 most deprived
    lsoa_z: np.ndarray  # float32 deprivation latent (higher = more deprived)
    lsoa_locality: np.ndarray  # int32 index into locality_name
    locality_name: tuple[str, ...]
    practice_code: np.ndarray  # str
    practice_name: np.ndarray  # str
    practice_locality: np.ndarray  # int32 index into locality_name


@dataclass(frozen=True)
class People:
    """One entry per person (arrays of equal length); days are int32 since 1970-01-01."""

    female: np.ndarray
    birth: np.ndarray
    entry: np.ndarray  # first day in the care economy (window start for residents)
    origin: np.ndarray  # 0 resident at the start, 1 born, 2 moved in
    reg_start: np.ndarray  # start of the first registration spell
    leave: np.ndarray  # day they moved away (NEVER if not within the window)
    transfer: np.ndarray  # day they moved to another practice in the area (NEVER if none)
    lsoa: np.ndarray  # int32 index into Places
    practice: np.ndarray  # int32 first practice
    practice2: np.ndarray  # int32 practice after a transfer (-1 if none)

    @property
    def n(self) -> int:
        return len(self.birth)

    def dep_z(self, places: Places) -> np.ndarray:
        return places.lsoa_z[self.lsoa]

    def imd(self, places: Places) -> np.ndarray:
        return places.lsoa_decile[self.lsoa]

    def practice_on(self, idx: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Practice index each person (idx) is registered with on day `when`."""
        moved = when >= self.transfer[idx]
        return np.where(moved & (self.practice2[idx] >= 0), self.practice2[idx], self.practice[idx])


def generate(
    rng: np.random.Generator, mp: ModelParams, window: Window, n_total: int
) -> tuple[People, Places]:
    cfg = mp.population
    age = mp.age
    years = window.end_fy - window.first_fy + 1
    joiners = cfg.birth_rate + cfg.in_migration_rate
    n_res = min(n_total, max(1, round(n_total / (1 + joiners * years))))
    rest = n_total - n_res
    n_born = round(rest * cfg.birth_rate / joiners) if joiners > 0 else 0
    n_in = rest - n_born
    t0, t1 = window.t0, window.t1

    # residents at the start of the window
    band = rng.choice(len(age["share"]), size=n_res, p=age["share"])
    years_old = age["age_from"][band] + rng.random(n_res) * (
        age["age_to"][band] - age["age_from"][band] + 1
    )
    female_res = rng.random(n_res) < age["female_share"][band]
    birth_res = (t0 - years_old * YEAR).astype(np.int32)
    # babies born in the window
    entry_born = rng.integers(t0, t1 + 1, size=n_born, dtype=np.int32)
    female_born = rng.random(n_born) < age["female_share"][0]
    # people moving in
    entry_in = rng.integers(t0, t1 + 1, size=n_in, dtype=np.int32)
    band_in = rng.choice(len(age["share"]), size=n_in, p=age["migrant_share"])
    age_in = age["age_from"][band_in] + rng.random(n_in) * (
        age["age_to"][band_in] - age["age_from"][band_in] + 1
    )
    female_in = rng.random(n_in) < age["female_share"][band_in]
    birth_in = (entry_in - age_in * YEAR).astype(np.int32)

    order = rng.permutation(n_total)
    female = np.concatenate([female_res, female_born, female_in])[order]
    birth = np.concatenate([birth_res, entry_born, birth_in]).astype(np.int32)[order]
    entry = np.concatenate([np.full(n_res, t0, np.int32), entry_born, entry_in])[order]
    origin = np.concatenate(
        [np.zeros(n_res, np.int8), np.ones(n_born, np.int8), np.full(n_in, 2, np.int8)]
    )[order]

    # registration start: residents have been registered for a while; newborns register in weeks
    lo, hi = cfg.newborn_registration_delay_days
    delay = rng.integers(lo, hi + 1, size=n_total).astype(np.int32)
    since = (rng.exponential(cfg.registration_years_mean, n_total) * YEAR).astype(np.int32)
    reg_start = np.where(
        origin == 0,
        np.maximum(birth + delay, t0 - since),
        np.where(origin == 1, birth + delay, entry),
    ).astype(np.int32)

    # moving away: hazard by age at entry
    age_entry = (entry - birth) / YEAR
    band_entry = np.searchsorted(age["age_from"], age_entry, side="right") - 1
    rate_out = age["out_migration_rate"][band_entry.clip(0)]
    leave = entry + (rng.exponential(1.0, n_total) / rate_out * YEAR).astype(np.int64)
    leave = np.where(leave <= t1, leave, NEVER).astype(np.int32)

    places = _places(rng, mp, n_res)
    lsoa = rng.integers(0, len(places.lsoa_code), size=n_total, dtype=np.int32)
    practice, practice2, transfer = _practices(rng, mp, places, lsoa, reg_start, entry, leave, t1)
    people = People(
        female=female,
        birth=birth,
        entry=entry,
        origin=origin,
        reg_start=reg_start,
        leave=leave,
        transfer=transfer,
        lsoa=lsoa,
        practice=practice,
        practice2=practice2,
    )
    return people, places


def _places(rng: np.random.Generator, mp: ModelParams, n_res: int) -> Places:
    cfg = mp.population
    n_lsoa = max(1, -(-n_res // cfg.people_per_lsoa))
    n_prac = max(1, round(n_res / cfg.people_per_practice))
    n_loc = max(1, min(n_prac, n_lsoa, round(n_prac / cfg.practices_per_locality)))

    # stratified draw so that even a small area has LSOAs across the whole range of deprivation
    z = (ndtri((rng.permutation(n_lsoa) + rng.random(n_lsoa)) / n_lsoa) + cfg.imd_shift).astype(
        np.float32
    )
    decile = np.clip(10 - np.floor(ndtr(z) * 10), 1, 10).astype(np.int8)
    lsoa_code = np.array([f"E01{cfg.lsoa_code_start + i:06d}" for i in range(n_lsoa)])

    # localities: LSOAs ordered by deprivation (plus noise) and cut into contiguous groups
    key = z + rng.normal(0, cfg.locality_mixing_sd, n_lsoa)
    lsoa_loc = np.empty(n_lsoa, np.int32)
    lsoa_loc[np.argsort(key)] = (np.arange(n_lsoa) * n_loc) // n_lsoa
    sizes = np.bincount(lsoa_loc, minlength=n_loc)
    # practices per locality in proportion to its LSOAs, at least one each
    share = sizes / sizes.sum() * (n_prac - n_loc)
    per_loc = 1 + np.floor(share).astype(int)
    short = n_prac - per_loc.sum()
    if short > 0:
        per_loc[np.argsort(-(share - np.floor(share)))[:short]] += 1
    practice_locality = np.repeat(np.arange(n_loc, dtype=np.int32), per_loc)

    names = list(mp.places.localities)
    locality_name = tuple(
        names[i] if i < len(names) else f"{names[i % len(names)]} {i // len(names) + 1}"
        for i in range(n_loc)
    )
    stems = rng.permutation(np.array(mp.places.practice_stems))
    suffix = rng.choice(np.array(mp.places.practice_suffixes), size=n_prac)
    practice_name = np.array(
        [
            f"{stems[i % len(stems)]} {suffix[i]}"
            + ("" if i < len(stems) else f" ({locality_name[practice_locality[i]]})")
            for i in range(n_prac)
        ]
    )
    practice_code = np.array(
        [f"{cfg.practice_code_prefix}{cfg.practice_code_start + i:04d}" for i in range(n_prac)]
    )
    return Places(
        lsoa_code=lsoa_code,
        lsoa_decile=decile,
        lsoa_z=z,
        lsoa_locality=lsoa_loc,
        locality_name=locality_name,
        practice_code=practice_code,
        practice_name=practice_name,
        practice_locality=practice_locality,
    )


def _practices(
    rng: np.random.Generator,
    mp: ModelParams,
    places: Places,
    lsoa: np.ndarray,
    reg_start: np.ndarray,
    entry: np.ndarray,
    leave: np.ndarray,
    t1: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cfg = mp.population
    n = len(lsoa)
    n_prac = len(places.practice_code)
    loc_of_practice = places.practice_locality
    n_loc = len(places.locality_name)
    person_loc = places.lsoa_locality[lsoa]

    attract = rng.lognormal(0.0, cfg.practice_size_sigma, n_prac)
    totals = np.bincount(loc_of_practice, weights=attract, minlength=n_loc)
    before = np.concatenate([[0.0], np.cumsum(totals)])[loc_of_practice]
    within = (np.cumsum(attract) - before) / totals[loc_of_practice]
    within[np.r_[np.flatnonzero(np.diff(loc_of_practice)), n_prac - 1]] = 1.0
    key = loc_of_practice + within

    def pick(u: np.ndarray) -> np.ndarray:
        return np.searchsorted(key, person_loc + u * 0.999999, side="right").astype(np.int32)

    practice = pick(rng.random(n))

    first = np.searchsorted(loc_of_practice, np.arange(n_loc))
    count = np.bincount(loc_of_practice, minlength=n_loc)
    transfer = np.full(n, NEVER, np.int32)
    practice2 = np.full(n, -1, np.int32)
    if n_prac > 1 and cfg.transfer_rate > 0:
        start = np.maximum(reg_start, entry) + cfg.transfer_min_days
        when = start + (rng.exponential(1.0 / cfg.transfer_rate, n) * 365.25).astype(np.int64)
        moves = (when <= t1) & (when < leave)
        other = pick(rng.random(n))
        same = other == practice
        loc_count = count[person_loc]
        step = np.where(
            loc_count > 1,
            first[person_loc] + (other - first[person_loc] + 1) % np.maximum(loc_count, 1),
            (practice + 1 + rng.integers(0, max(n_prac - 1, 1), n)) % n_prac,
        )
        other = np.where(same, step, other).astype(np.int32)
        moves &= other != practice
        transfer[moves] = when[moves]
        practice2[moves] = other[moves]
    return practice, practice2, transfer
