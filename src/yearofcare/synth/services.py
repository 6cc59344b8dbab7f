"""Services with a known effect, for testing evaluations (issue 15; `params/services.yaml`).

The services run at a random `offered_share` of the practices (as pilots do: at least one
practice offers them and, with two or more practices, at least one does not, so an evaluation
can draw controls from practices where nobody could join). Each person present gets a candidate
enrolment day in the last-but-one year of the window; those registered at an offering practice
that day with at least `min_admissions` non-elective admissions in the 365 days before it are
eligible, `uptake` of them are enrolled and split across the services. A service's planted effect removes
that share of the person's later non-elective admissions (terminal stays at death are kept).
Vectorised NumPy over events; its own random stream, so the rest of the economy is unchanged
apart from the admissions removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute
from pydantic import BaseModel, ConfigDict, Field, model_validator

from yearofcare.synth.activity import Events
from yearofcare.synth.paramfiles import read_model
from yearofcare.synth.timeline import YEAR
from yearofcare.synth.world import World


class Service(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    label: str
    effect_non_elective: float = Field(ge=-1.0, le=0.0)
    share: float = Field(gt=0)


class ServicesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    min_admissions: int = Field(1, ge=1)
    uptake: float = Field(0.4, ge=0, le=1)
    offered_share: float = Field(0.5, gt=0, le=1)
    services: list[Service]

    @model_validator(mode="after")
    def _shares(self) -> ServicesConfig:
        total = sum(s.share for s in self.services)
        if self.services and abs(total - 1.0) > 1e-9:
            raise ValueError(f"service shares must add up to 1, found {total:g}")
        return self


@lru_cache(maxsize=1)
def config() -> ServicesConfig:
    return read_model("services.yaml", ServicesConfig)


@dataclass(frozen=True)
class Enrolment:
    person: np.ndarray  # int32
    service: np.ndarray  # int16 index into config().services
    day: np.ndarray  # int32 enrolment day
    eligible: np.ndarray  # int64 per service (eligible people offered it)
    offered: np.ndarray  # int32 indices of the practices offering the services


def enrol(world: World, ne: Events, cfg: ServicesConfig | None = None) -> tuple[Events, Enrolment]:
    """Enrol people with recent admissions and remove the planted share of their later
    non-elective admissions; returns the remaining admissions and the enrolments."""
    cfg = cfg or config()
    rng = world.rngs["services"]
    n = world.people.n
    window = world.window
    hi = window.t1 - 365
    lo = max(window.t0 + 365, hi - 365)
    offered = offering_practices(rng, len(world.places.practice_code), cfg.offered_share)
    empty = Enrolment(
        *(np.zeros(0, t) for t in (np.int32, np.int16, np.int32)),
        np.zeros(len(cfg.services), np.int64),
        offered,
    )
    if not cfg.services or hi <= lo or len(ne) == 0:
        return ne, empty
    cand = rng.integers(lo, hi, n).astype(np.int32)
    present = (world.people.entry <= cand - 365) & (world.life.out > cand)
    at_offering = np.isin(world.people.practice_on(np.arange(n), cand), offered)
    present &= at_offering
    terminal = ne.terminal if ne.terminal is not None else np.zeros(len(ne), bool)
    d = ne.start.astype(np.int64) - cand[ne.person]
    prior = np.bincount(ne.person[(d >= -365) & (d < 0) & ~terminal], minlength=n)
    eligible = np.flatnonzero(present & (prior >= cfg.min_admissions))
    take = eligible[rng.random(len(eligible)) < cfg.uptake]
    shares = np.cumsum([s.share for s in cfg.services])
    service = np.searchsorted(shares, rng.random(len(take)) * shares[-1], side="right").astype(
        np.int16
    )
    service = np.minimum(service, len(cfg.services) - 1)
    per_person = np.full(n, -1, np.int16)
    per_person[take] = service
    effect = np.array([s.effect_non_elective for s in cfg.services])
    svc = per_person[ne.person]
    after = (svc >= 0) & (d >= 0) & ~terminal
    drop = np.zeros(len(ne), bool)
    drop[after] = rng.random(int(after.sum())) < -effect[svc[after]]
    keep = ~drop
    kept = Events(**{k: (None if v is None else v[keep]) for k, v in ne.__dict__.items()})
    per_service = np.full(len(cfg.services), len(eligible), np.int64)
    return kept, Enrolment(take.astype(np.int32), service, cand[take], per_service, offered)


def offering_practices(rng: np.random.Generator, practices: int, share: float) -> np.ndarray:
    """A random `share` of the practices (at least one; with two or more, not all)."""
    k = round(share * practices)
    k = max(1, min(k, practices - 1)) if practices > 1 else 1
    return np.sort(rng.permutation(practices)[:k]).astype(np.int32)


def enrolment_table(
    world: World, e: Enrolment, practice_codes: np.ndarray, cfg: ServicesConfig | None = None
) -> pa.Table:
    """service_enrolment rows (person_idx in place of person_id)."""
    cfg = cfg or config()
    ids = np.array([s.id for s in cfg.services], dtype=object)
    out = world.life.out[e.person]
    end = np.where(out <= world.window.t1, out - 1, -1)
    end_dates = pa.array(end.astype(np.int32), pa.int32()).cast(pa.date32())
    end_dates = pa.compute.if_else(pa.array(end >= 0), end_dates, pa.scalar(None, pa.date32()))
    return pa.table(
        {
            "service_id": pa.array(ids[e.service].tolist(), pa.string()),
            "person_idx": pa.array(e.person, pa.int32()),
            "start_date": pa.array(e.day.astype(np.int32), pa.int32()).cast(pa.date32()),
            "end_date": end_dates,
            "practice_code": pa.array(
                practice_codes[world.people.practice_on(e.person, e.day)].tolist(), pa.string()
            ),
        }
    )


def truth_table(
    e: Enrolment, practice_codes: np.ndarray, cfg: ServicesConfig | None = None
) -> pa.Table:
    cfg = cfg or config()
    at = ", ".join(str(c) for c in practice_codes[e.offered])
    enrolled = np.bincount(e.service, minlength=len(cfg.services))
    return pa.table(
        {
            "service_id": [s.id for s in cfg.services],
            "label": [s.label for s in cfg.services],
            "effect_non_elective": [s.effect_non_elective for s in cfg.services],
            "selection": [
                f"registered at an offering practice ({at}) with at least {cfg.min_admissions} "
                "non-elective admission(s) in the 365 days before a day in the last-but-one "
                f"year; {cfg.uptake:.0%} of them enrolled, {s.share:.0%} to this service"
                for s in cfg.services
            ],
            "eligible": pa.array(e.eligible, pa.int64()),
            "enrolled": pa.array(enrolled.astype(np.int64), pa.int64()),
        }
    )


__all__ = [
    "YEAR",
    "Enrolment",
    "ServicesConfig",
    "config",
    "enrol",
    "enrolment_table",
    "offering_practices",
    "truth_table",
]
