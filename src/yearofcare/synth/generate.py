"""`generate`: run the whole simulation and return the tables (in memory, nothing written)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from yearofcare.progress import SILENT, Progress
from yearofcare.synth import assessments, conditions, services, surveys, tables
from yearofcare.synth.activity import EventSet, end_of_life_events, person_year_events
from yearofcare.synth.coding import Coder
from yearofcare.synth.lifecourse import registration
from yearofcare.synth.params import SynthParams, load
from yearofcare.synth.rows import RowBuilder
from yearofcare.synth.world import build_world


@dataclass(frozen=True)
class SynthPopulation:
    """A synthetic care economy as Arrow tables shaped like the canonical tables.

    Every person-level table has `person_idx`, the row number in `person`, in place of
    `person_id`; `person` also has the synthetic `nhs_number` (valid, from the 9xx test range).
    `truth_condition` (person x condition x onset x resolved, and whether the GP coded it) and
    `truth_assessor` (which assessors upcode) and `truth_service` (the planted effects of the
    services in `service_enrolment`) are ground truth for validation only.
    """

    person: pa.Table
    practice: pa.Table
    registration: pa.Table
    activity: pa.Table
    coded_event: pa.Table
    assessment: pa.Table
    survey_response: pa.Table
    truth_condition: pa.Table
    truth_assessor: pa.Table
    params: SynthParams
    #: Seconds spent in each phase of `generate` (for benchmarks; not part of the data).
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    #: Who the synthetic services enrolled (service_enrolment) and their planted effects.
    service_enrolment: pa.Table | None = None
    truth_service: pa.Table | None = None

    CANONICAL = (
        "person",
        "practice",
        "registration",
        "activity",
        "coded_event",
        "assessment",
        "survey_response",
    )

    def canonical(self) -> dict[str, pa.Table]:
        return {name: getattr(self, name) for name in self.CANONICAL}


def generate(
    params: SynthParams,
    rng: np.random.Generator | None = None,
    progress: Progress = SILENT,
    services_config: services.ServicesConfig | None = None,
) -> SynthPopulation:
    """Simulate `params.people` people over `params.years` financial years ending `end_fy`.

    Vectorised throughout (NumPy over people and events; loops only over years, conditions and
    streams). Same params and seed give identical tables. `rng`, when given, replaces the
    generator made from `params.seed`.
    """
    mp = load()
    rng = np.random.default_rng(params.seed) if rng is None else rng
    clock = _Clock()
    with progress.task(
        "Simulating the care economy", total=params.years + len(mp.streams) + 4
    ) as task:
        world = build_world(params, mp, rng)
        clock.lap("people, conditions, care and deaths")
        task.advance(1)
        coder = Coder(mp)
        builder = RowBuilder(world, coder)
        events = EventSet()
        person_year_events(world, events, task)
        end_of_life_events(world, events)
        clock.lap("activity events")
        ne_events, enrolment = services.enrol(world, events.take("ne"), services_config)
        ne = builder.add("ne", ne_events)
        reablement = builder.after_emergency(ne, events)
        for name, stream in mp.streams.items():
            if name != "ne" and stream.model != "packages":
                builder.add(name, events.take(name))
            task.advance(1)
        builder.package_weeks(reablement)
        clock.lap("activity rows, costs and codes")
        found, assessors = assessments.generate(world)
        responses = surveys.generate(world)
        clock.lap("assessments and surveys")
        task.advance(1)
        window = world.window
        last = np.minimum(world.life.out.astype(np.int64) - 1, window.t1)
        person, k, onset, resolved = conditions.truth_rows(world.cond, last)
        recorded, gp = coder.gp_records(world.rngs["coding"], world, person, k, onset, resolved)
        activity = tables.activity_table(builder)
        task.advance(1)
        coded = tables.coded_event_table(builder, gp)
        spells = registration(world.people, world.life, window)
        population = SynthPopulation(
            person=tables.person_table(world),
            practice=tables.practice_table(world),
            registration=tables.registration_table(world, spells),
            activity=activity,
            coded_event=coded,
            assessment=tables.assessment_table(found, assessors),
            survey_response=tables.survey_table(responses),
            truth_condition=tables.truth_table(world, person, k, onset, resolved, recorded),
            truth_assessor=tables.assessor_table(assessors),
            params=params,
            timings=clock.laps,
            service_enrolment=services.enrolment_table(
                world, enrolment, world.places.practice_code, services_config
            ),
            truth_service=services.truth_table(
                enrolment, world.places.practice_code, services_config
            ),
        )
        clock.lap("GP codes and tables")
        task.advance(1)
    return population


class _Clock:
    """Wall-clock seconds per phase, for benchmarks (`SynthPopulation.timings`)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._t, 3)
        self._t = now
