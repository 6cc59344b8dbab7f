"""Services with a known effect, for testing evaluations (issue 15; `params/services.yaml`).

Each person present gets a candidate enrolment day in the last-but-one year of the window; those
with at least `min_admissions` non-elective admissions in the 365 days before it are eligible,
`uptake` of them are enrolled and split across the services. A service's planted effect removes
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


def enrol(world: World, ne: Events, cfg: ServicesConfig | None = None) -> tuple[Events, Enrolment]:
    """Enrol people with recent admissions and remove the planted share of their later
    non-elective admissions; returns the remaining admissions and the enrolments."""
    cfg = cfg or config()
    rng = world.rngs["services"]
    n = world.people.n
    window = world.window
    hi = window.t1 - 365
    lo = max(window.t0 + 365, hi - 365)
    empty = Enrolment(
        *(np.zeros(0, t) for t in (np.int32, np.int16, np.int32)),
        np.zeros(len(cfg.services), np.int64),
    )
    if not cfg.services or hi <= lo or len(ne) == 0:
        return ne, empty
    cand = rng.integers(lo, hi, n).astype(np.int32)
    present = (world.people.entry <= cand - 365) & (world.life.out > cand)
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
    return kept, Enrolment(take.astype(np.int32), service, cand[take], per_service)


def enrolment_table(world: World, e: Enrolment, practice_codes: np.ndarray) -> pa.Table:
    """service_enrolment rows (person_idx in place of person_id)."""
    cfg = config()
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
                practice_codes[world.people.practice[e.person]].tolist(), pa.string()
            ),
        }
    )


def truth_table(e: Enrolment) -> pa.Table:
    cfg = config()
    enrolled = np.bincount(e.service, minlength=len(cfg.services))
    return pa.table(
        {
            "service_id": [s.id for s in cfg.services],
            "label": [s.label for s in cfg.services],
            "effect_non_elective": [s.effect_non_elective for s in cfg.services],
            "selection": [
                f"at least {cfg.min_admissions} non-elective admission(s) in the 365 days before a "
                f"day in the last-but-one year; {cfg.uptake:.0%} of them enrolled, {s.share:.0%} "
                "to this service"
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
    "truth_table",
]
