"""When people use services: Poisson event counts per person-year, dated with the seasons.

For each financial year, each person present gets, per stream, an expected count

    (base rate for age and sex + extra for each active condition)
      x (1 + interaction x (conditions beyond the first)) x deprivation x propensity x exposure

(`base_rates.csv`, `condition_activity.csv`, `streams.csv`), and the events are dated inside the
person's time in the year with the stream's seasonal profile. Prescribing becomes one row per
person-month with items. The last year of life adds events concentrated in the final months
(`end_of_life.yaml`), plus a terminal stay for deaths in hospital or a hospice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from yearofcare import vocab
from yearofcare.synth.lifecourse import EOL_GROUPS
from yearofcare.synth.timeline import NEVER, YEAR, age_at, age_band
from yearofcare.synth.world import World


@dataclass
class Events:
    """Events of one stream: who and when, optionally preset stay length, service or units."""

    person: np.ndarray
    start: np.ndarray
    los: np.ndarray | None = None
    service: np.ndarray | None = None
    units: np.ndarray | None = None
    terminal: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.person)

    def chunks(self, size: int):
        """Consecutive slices of at most `size` events (bounds memory when building rows)."""
        for i in range(0, len(self), size):
            sl = slice(i, i + size)
            yield Events(
                **{
                    name: (None if value is None else value[sl])
                    for name, value in self.__dict__.items()
                }
            )


@dataclass
class EventSet:
    by_stream: dict[str, list[Events]] = field(default_factory=lambda: defaultdict(list))

    def add(self, stream: str, events: Events) -> None:
        if len(events):
            self.by_stream[stream].append(events)

    def take(self, stream: str) -> Events:
        """All events of `stream` in one Events (removed from the set to free memory)."""
        parts = self.by_stream.pop(stream, [])
        if not parts:
            return Events(np.zeros(0, np.int32), np.zeros(0, np.int32))

        def cat(name: str, dtype: type, fill: float) -> np.ndarray | None:
            if all(getattr(p, name) is None for p in parts):
                return None
            return np.concatenate(
                [
                    getattr(p, name)
                    if getattr(p, name) is not None
                    else np.full(len(p), fill, dtype)
                    for p in parts
                ]
            ).astype(dtype)

        return Events(
            person=np.concatenate([p.person for p in parts]).astype(np.int32),
            start=np.concatenate([p.start for p in parts]).astype(np.int32),
            los=cat("los", np.int32, -1),
            service=cat("service", np.int16, -1),
            units=cat("units", np.float64, np.nan),
            terminal=cat("terminal", np.bool_, False),
        )


def saturate(excess: np.ndarray, saturation: float) -> np.ndarray:
    """Extra events from long-term conditions with diminishing returns: s x E / (s + E).

    Each added condition adds less than the one before (care for several conditions overlaps);
    with no saturation (0) the conditions' excess simply adds up.
    """
    if saturation <= 0:
        return excess
    return saturation * excess / (saturation + excess)


def interaction(stream, extra_ltc: np.ndarray) -> np.ndarray:
    """Multiplier of the conditions' excess for conditions beyond the first, up to a cap."""
    return 1.0 + stream.mm_interaction * np.minimum(extra_ltc, stream.mm_cap)


def deprivation_multiplier(gradient: float, decile: np.ndarray) -> np.ndarray:
    """Rate multiplier: 1 + gradient in the most deprived decile vs the least, mean 1."""
    return (1.0 + gradient * (10 - decile) / 9.0) / (1.0 + gradient / 2.0)


def person_year_events(world: World, events: EventSet, progress_task=None) -> None:
    """Events of every rate-driven stream for every financial year of the window."""
    rng = world.rngs["activity"]
    mp, people, window = world.mp, world.people, world.window
    streams = list(mp.streams.values())
    excess = mp.excess.astype(np.float32)
    for fy in window.years:
        a, b = window.fy_bounds(fy)
        s0 = np.maximum(people.entry, a)
        s1 = np.minimum(world.life.out, b)
        idx = np.flatnonzero(s1 > s0)
        s0, s1 = s0[idx].astype(np.int32), s1[idx].astype(np.int32)
        mid = (s0.astype(np.int64) + s1) // 2
        active = world.cond.active(idx, mid)
        extra_ltc = np.maximum(active.sum(axis=1) - 1, 0).astype(np.float32)
        band = age_band(age_at(people.birth[idx], mid))
        female = people.female[idx]
        exposure = ((s1 - s0) / YEAR).astype(np.float32)
        per_ltc = active.astype(np.float32) @ excess
        decile = world.decile[idx]
        for j, s in enumerate(streams):
            if s.model not in ("events", "items"):
                continue
            base = s.base[band] * np.where(female, s.female_mult, 1.0)
            if s.female_only:
                base = base * female
            extra = saturate(per_ltc[:, j], s.saturation) * interaction(s, extra_ltc)
            rate = base + extra
            rate *= deprivation_multiplier(s.deprivation_gradient, decile)
            rate *= world.propensity[idx, j]
            if s.model == "items":
                # each row is then coded and priced by what its items are for (rows.py)
                events.add(s.name, _monthly_items(world, rng, fy, idx, s0, s1, rate))
                continue
            season = world.seasons[s.season]
            lam = rate * exposure * season.weight(s0, s1)
            count = rng.poisson(lam)
            seg = np.repeat(np.arange(len(idx)), count)
            day = season.draw(rng, s0[seg], s1[seg])
            events.add(s.name, Events(person=idx[seg], start=day))
        if progress_task is not None:
            progress_task.advance(1)


def _monthly_items(
    world: World,
    rng: np.random.Generator,
    fy: int,
    idx: np.ndarray,
    s0: np.ndarray,
    s1: np.ndarray,
    rate: np.ndarray,
) -> Events:
    """Prescribing: a row for each person-month with items dispensed."""
    per_row = np.float32(world.mp.prescribing_items_per_row)
    months = np.arange(f"{fy}-04", f"{fy + 1}-05", dtype="datetime64[M]")
    bounds = months.astype("datetime64[D]").astype(np.int32)
    m0, m1 = bounds[:-1], bounds[1:]
    lo = np.maximum(s0[:, None], m0[None, :])
    hi = np.minimum(s1[:, None], m1[None, :])
    lam = np.clip(hi - lo, 0, None).astype(np.float32)
    lam *= (rate.astype(np.float32)[:, None] / 12.0) / (m1 - m0).astype(np.float32)[None, :]
    p = -np.expm1(-lam / per_row)
    seg, month = np.nonzero(rng.random(lam.shape, dtype=np.float32) < p)
    lam_row, p_row = lam[seg, month], p[seg, month]
    items = 1 + rng.poisson(np.maximum(lam_row / np.maximum(p_row, 1e-12) - 1.0, 0.0))
    a, b = lo[seg, month], hi[seg, month]
    day = a + (rng.random(len(seg)) * (b - a)).astype(np.int32)
    return Events(
        person=idx[seg],
        start=day.astype(np.int32),
        units=items.astype(np.float64),
    )


def end_of_life_events(world: World, events: EventSet) -> None:
    """Extra activity in the last year of life and terminal stays in hospital or a hospice."""
    rng = world.rngs["end_of_life"]
    mp, life, people, window = world.mp, world.life, world.people, world.window
    cfg = mp.end_of_life
    who = np.flatnonzero((life.death < NEVER) & (life.death <= window.t1 + 366))
    death = life.death[who].astype(np.int64)
    first = np.maximum(people.entry[who], window.t0).astype(np.int64)
    last = np.minimum(death, window.t1)
    mult = np.array([cfg.last_year_multiplier.get(g, 1.0) for g in EOL_GROUPS])[life.eol_group[who]]
    for stream, spec in cfg.last_year.items():
        count = rng.poisson(spec.count * mult)
        seg = np.repeat(np.arange(len(who)), count)
        day = death[seg] - rng.exponential(spec.tau_days, len(seg)).astype(np.int64)
        keep = (day >= first[seg]) & (day <= last[seg])
        seg, day = seg[keep], day[keep]
        service = None
        if stream == "hospice":
            names = mp.services["hospice"].names
            service = np.full(len(seg), names.index("hospice_at_home"), np.int16)
        events.add(stream, Events(person=who[seg], start=day.astype(np.int32), service=service))

    died = who[life.died[who]]
    for place, stream, service in (
        ("hospital", "ne", None),
        ("hospice", "hospice", "hospice_inpatient"),
    ):
        sel = died[life.place[died] == vocab.PLACES_OF_DEATH.index(place)]
        if not len(sel):
            continue
        d = life.death[sel].astype(np.int64)
        los = rng.geometric(1.0 / cfg.terminal_stay_days[place], len(sel)) - 1
        start = np.maximum(d - los, np.maximum(people.entry[sel], window.t0))
        svc = None
        if service is not None:
            svc = np.full(len(sel), mp.services[stream].names.index(service), np.int16)
        events.add(
            stream,
            Events(
                person=sel,
                start=start.astype(np.int32),
                los=(d - start).astype(np.int32),
                service=svc,
                terminal=np.ones(len(sel), bool),
            ),
        )
