"""Events become activity rows: service type, stay, units, cost, provider and diagnosis codes.

Rows are collected as blocks of NumPy arrays whose string columns are indices into fixed
vocabularies (`Vocabularies`), so tens of millions of rows stay compact; `tables.activity_table`
turns them into one Arrow table with dictionary-encoded strings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yearofcare import vocab
from yearofcare.synth.activity import Events, EventSet
from yearofcare.synth.coding import MAX_AGE, Coder
from yearofcare.synth.params import ModelParams, Stream
from yearofcare.synth.socialcare import SERVICES
from yearofcare.synth.tariffs import PRICED_STREAMS, spell_prices
from yearofcare.synth.timeline import age_at, age_band, weighted_choice
from yearofcare.synth.world import World


class Vocabularies:
    """The values each dictionary-encoded activity column can take."""

    def __init__(self, mp: ModelParams, practice_codes: np.ndarray, coder: Coder) -> None:
        self.source = tuple(dict.fromkeys(s.source for s in mp.streams.values()))
        self.setting = vocab.SETTINGS
        self.service = tuple(dict.fromkeys(n for st in mp.services.values() for n in st.names))
        self.providers = tuple(dict.fromkeys(c for lst in mp.providers.values() for c, _ in lst))
        self.provider = self.providers + tuple(practice_codes)
        self.unit_type = vocab.UNIT_TYPES
        self.currency = tuple(dict.fromkeys(c for st in mp.services.values() for c in st.currency))
        self.cost_basis = vocab.COST_BASES
        self.funding = vocab.FUNDING_ROUTES
        self.code = coder.vocabulary


@dataclass
class Block:
    """Activity rows of one stream; `row0` is the number of its first row in the whole table."""

    prefix: str
    row0: int
    person: np.ndarray
    source: int
    setting: int
    service: np.ndarray
    provider: np.ndarray
    start: np.ndarray
    end: np.ndarray
    units: np.ndarray
    unit_type: np.ndarray
    bed_days: np.ndarray  # NaN where not a stay
    currency: np.ndarray
    cost: np.ndarray
    cost_basis: int
    funding: np.ndarray
    code: np.ndarray  # -1 where no primary code
    code_system: str = "ICD10"  # of `code`: ICD-10 diagnoses, or BNF for prescribing

    def __len__(self) -> int:
        return len(self.person)


#: Events turned into rows at a time (bounds the temporary arrays).
CHUNK = 2_000_000


@dataclass(frozen=True)
class Added:
    """Who, from when and until when, for rows just built (used to chain linked events)."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class CodedRows:
    """ICD-10 codes of hospital spells: activity row number, person, day, code index, source."""

    row: np.ndarray
    person: np.ndarray
    day: np.ndarray
    code: np.ndarray
    source: np.ndarray


class RowBuilder:
    def __init__(self, world: World, coder: Coder) -> None:
        self.world = world
        self.mp = world.mp
        self.coder = coder
        self.voc = Vocabularies(world.mp, world.places.practice_code, coder)
        self.rng = world.rngs["rows"]
        self.code_rng = world.rngs["coding"]
        self.batches: list = []
        self.block_prefixes: list[tuple[int, str]] = []
        self.coded: list[CodedRows] = []
        self.rows = 0
        self._service_cum = {s: self._service_matrix(s) for s in self.mp.streams}
        acute = self.mp.providers["acute"]
        self._acute = np.array([self.voc.provider.index(c) for c, _ in acute])
        self._acute_w = np.cumsum([w for _, w in acute])[None, :]

    def _keep(self, block: Block) -> None:
        """Turn the block into an Arrow batch straight away (the NumPy arrays are then freed)."""
        from yearofcare.synth.tables import activity_batch

        self.batches.append(activity_batch(block, self.voc))
        self.block_prefixes.append((block.row0, block.prefix))
        self.rows += len(block)

    # ---- helpers ---------------------------------------------------------------------------
    def _service_matrix(self, stream: str) -> tuple[np.ndarray, np.ndarray]:
        st = self.mp.services[stream]
        ages = np.arange(MAX_AGE + 1)
        w = np.zeros(((MAX_AGE + 1) * 2, len(st.names)))
        for female in (0, 1):
            sex_ok = np.array([s in ("", "F" if female else "M") for s in st.sex])
            ok = sex_ok & (st.min_age <= ages[:, None]) & (st.max_age >= ages[:, None])
            ww = np.where(ok, st.share, 0.0)
            empty = ww.sum(axis=1) == 0
            ww[empty] = st.share
            w[ages * 2 + female] = ww
        glob = np.array([self.voc.service.index(n) for n in st.names], np.int16)
        return np.cumsum(w, axis=1), glob

    def _lognormal(self, sigma: np.ndarray) -> np.ndarray:
        sigma = np.asarray(sigma, dtype=np.float32)
        z = self.rng.standard_normal(len(sigma), dtype=np.float32)
        return np.exp(sigma * z - sigma * sigma / 2)

    def _provider(self, s: Stream, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        world, voc = self.world, self.voc
        if s.provider_type == "practice":
            practice = world.people.practice_on(person, day)
            return (len(voc.providers) + practice).astype(np.int32)
        if s.provider_type == "acute":
            loc = world.places.lsoa_locality[world.people.lsoa[person]]
            home = self._acute[loc % len(self._acute)]
            other = self._acute[
                weighted_choice(self.rng, self._acute_w, np.zeros(len(person), int))
            ]
            at_home = self.rng.random(len(person)) < self.mp.acute.home_trust_share
            return np.where(at_home, home, other).astype(np.int32)
        options = self.mp.providers[s.provider_type]
        codes = np.array([voc.provider.index(c) for c, _ in options], np.int32)
        cum = np.cumsum([w for _, w in options])[None, :]
        return codes[weighted_choice(self.rng, cum, np.zeros(len(person), int))]

    def _los(self, stream: str, band: np.ndarray, conditions: np.ndarray) -> np.ndarray:
        """Bed days: same-day share and mean overnight stay by age band, longer with each
        long-term condition for acute spells (acute.yaml `los_per_condition`)."""
        spec = self.mp.los[stream]
        zero = self.rng.random(len(band)) < spec["zero_day_share"][band]
        mean = spec["mean_overnight"][band]
        if stream in PRICED_STREAMS:
            acute = self.mp.acute
            mean = mean * (1 + acute.los_per_condition * np.minimum(conditions, acute.cc_cap))
        return np.where(zero, 0, self.rng.geometric(1.0 / mean)).astype(np.int32)

    # ---- events to rows --------------------------------------------------------------------
    def add(self, stream: str, ev: Events) -> Added | None:
        """Build the rows of a stream's events, in chunks; returns who, when and until when."""
        if not len(ev):
            return None
        parts = [self._add(stream, chunk) for chunk in ev.chunks(CHUNK)]
        return Added(
            person=np.concatenate([p.person for p in parts]),
            start=np.concatenate([p.start for p in parts]),
            end=np.concatenate([p.end for p in parts]),
        )

    def _add(self, stream: str, ev: Events) -> Added:
        mp, world, voc, rng = self.mp, self.world, self.voc, self.rng
        s = mp.streams[stream]
        st = mp.services[stream]
        people = world.people
        person, start = ev.person, ev.start
        female = people.female[person]
        age = age_at(people.birth[person], start)
        band = age_band(age)
        cum, glob = self._service_cum[stream]
        if ev.service is not None and (ev.service >= 0).all():
            local = ev.service.astype(np.int64)
        else:
            rows = np.clip(age.astype(np.int64), 0, MAX_AGE) * 2 + female
            local = weighted_choice(rng, cum, rows)
            if ev.service is not None:
                local = np.where(ev.service >= 0, ev.service, local)
        out_day = world.life.out[person].astype(np.int64)
        unit_type = np.array([voc.unit_type.index(st.unit_type[i]) for i in range(len(st.names))])
        ut = unit_type[local]
        stays = s.stay & np.isin(
            ut, [voc.unit_type.index("spell"), voc.unit_type.index("bed_days")]
        )
        los = ev.los if ev.los is not None else np.full(len(person), -1, np.int32)
        n_conditions = np.zeros(len(person), np.int64)
        if stream in PRICED_STREAMS:
            n_conditions = world.cond.active(person, start).sum(axis=1)
        if stays.any():
            los = np.where(los >= 0, los, self._los(stream, band, n_conditions))
        end = np.where(stays, np.minimum(start.astype(np.int64) + los, out_day - 1), start)
        end = np.maximum(end, start)
        bed = np.where(stays, (end - start).astype(np.float64), np.nan)
        units = np.ones(len(person))
        per_bed_day = ut == voc.unit_type.index("bed_days")
        units[per_bed_day] = np.maximum(bed[per_bed_day], 1.0)
        if ev.units is not None:
            units = np.where(np.isnan(ev.units), units, ev.units)
        unit_cost = st.unit_cost[local]
        code = np.full(len(person), -1, np.int32)
        if s.prescribed:
            # the items are for the base rate or one active condition, priced and coded as such
            cause, _ = self.coder.causes(self.code_rng, world, stream, person, start)
            code = self.coder.prescription(self.code_rng, world, cause, person, start)
            unit_cost = np.where(cause >= 0, mp.item_cost[np.maximum(cause, 0)], unit_cost)
        noise = self._lognormal(st.cost_sigma[local])
        if stream in PRICED_STREAMS:
            cost = spell_prices(stream, unit_cost, bed, n_conditions, noise, mp.acute)
        else:
            cost = unit_cost * units * noise
        funding = np.full(len(person), voc.funding.index(s.funding_route), np.int8)
        if stream in ("el", "dc"):
            special = rng.random(len(person)) < mp.acute.specialised_share
            funding[special] = voc.funding.index("nhs_england")
        currency = np.array([voc.currency.index(c) for c in st.currency], np.int16)[local]
        block = Block(
            prefix=s.id_prefix,
            row0=self.rows,
            person=person,
            source=voc.source.index(s.source),
            setting=voc.setting.index(s.setting),
            service=glob[local],
            provider=self._provider(s, person, start),
            start=start.astype(np.int32),
            end=end.astype(np.int32),
            units=units,
            unit_type=ut.astype(np.int8),
            bed_days=bed,
            currency=currency,
            cost=cost,
            cost_basis=voc.cost_basis.index(s.cost_basis),
            funding=funding,
            code=code,
            code_system="BNF" if s.prescribed else "ICD10",
        )
        if s.coded:
            self._code(stream, block)
        self._keep(block)
        return Added(block.person, block.start, block.end)

    def _code(self, stream: str, block: Block) -> None:
        rng, world = self.code_rng, self.world
        cause, active = self.coder.causes(rng, world, stream, block.person, block.start)
        block.code = self.coder.primary(rng, world, stream, cause, block.person, block.start)
        pos, code = self.coder.secondaries(rng, world, active, cause, block.person)
        source = self.mp.streams[stream].source
        src = np.full(len(block) + len(pos), self.voc.source.index(source), np.int8)
        self.coded.append(
            CodedRows(
                row=np.concatenate([block.row0 + np.arange(len(block)), block.row0 + pos]),
                person=np.concatenate([block.person, block.person[pos]]),
                day=np.concatenate([block.start, block.start[pos]]),
                code=np.concatenate([block.code, code]).astype(np.int32),
                source=src,
            )
        )

    # ---- hospital events that follow a non-elective stay -------------------------------------
    def after_emergency(self, ne: Added | None, events: EventSet) -> list[tuple[np.ndarray, ...]]:
        """A&E and ambulance on the admission day, step-down beds and reablement after it."""
        if ne is None:
            return []
        rng, mp = self.rng, self.mp
        same_day = [("ae", "type_1", mp.acute.ne_via_ae)]
        same_day.append(("ambulance", "see_treat_convey", mp.acute.ne_via_ambulance))
        for stream, service, p in same_day:
            sel = rng.random(len(ne)) < p
            idx = mp.services[stream].names.index(service)
            events.add(
                stream,
                Events(
                    person=ne.person[sel],
                    start=ne.start[sel],
                    service=np.full(int(sel.sum()), idx, np.int16),
                ),
            )
        age = age_at(self.world.people.birth[ne.person], ne.end)
        older = np.searchsorted([65, 75, 85], age, side="right") - 1
        ok = older >= 0
        p_bed = np.where(ok, np.array(mp.acute.step_down_community_bed)[older.clip(0)], 0.0)
        out_day = self.world.life.out[ne.person]
        alive = ne.end.astype(np.int64) + 1 < out_day
        bed = alive & (rng.random(len(ne)) < p_bed)
        events.add("community_bed", Events(person=ne.person[bed], start=ne.end[bed] + 1))
        p_re = np.where(ok, np.array(mp.social_care.reablement_after_discharge)[older.clip(0)], 0)
        re = alive & (rng.random(len(ne)) < p_re)
        return [(ne.person[re], ne.end[re].astype(np.int64) + 1)]

    # ---- social care package weeks -----------------------------------------------------------
    def package_weeks(self, reablement: list[tuple[np.ndarray, ...]]) -> None:
        world, mp, voc = self.world, self.mp, self.voc
        cfg = mp.social_care
        window = world.window
        pk = world.packages
        st = mp.services["social_care"]
        names = [SERVICES[i] for i in pk.service]
        person = [pk.person]
        start = [pk.start]
        stop = [pk.stop]
        service = [np.array([st.names.index(n) for n in names], np.int16)]
        for who, first in reablement:
            person.append(who)
            start.append(first)
            stop.append(
                np.minimum(first + 7 * cfg.reablement_weeks, world.life.out[who].astype(np.int64))
            )
            service.append(np.full(len(who), st.names.index("reablement"), np.int16))
        p = np.concatenate(person).astype(np.int32)
        a = np.maximum(np.concatenate(start), window.t0)
        b = np.minimum(np.concatenate(stop), window.t1 + 1)
        svc = np.concatenate(service)
        keep = b > a
        p, a, b, svc = p[keep], a[keep], b[keep], svc[keep]
        if not len(p):
            return
        hours = cfg.home_care_hours_per_week * self._lognormal(
            np.full(len(p), cfg.home_care_hours_sigma)
        )
        hours[svc == st.names.index("reablement")] = cfg.reablement_hours_per_week
        level = self._lognormal(st.cost_sigma[svc])  # a package keeps its price level
        weeks = -(-(b - a) // 7)
        pkg = np.repeat(np.arange(len(p)), weeks)
        k = np.arange(len(pkg)) - np.repeat(np.cumsum(weeks) - weeks, weeks)
        ws = a[pkg] + 7 * k
        we = np.minimum(ws + 7, b[pkg])
        days = (we - ws).astype(np.float64)
        s = svc[pkg]
        ut_name = np.array(st.unit_type)[s]
        units = days / 7.0
        units = np.where(ut_name == "hours", hours[pkg] * days / 7.0, units)
        units = np.where(
            ut_name == "attendance", cfg.day_care_sessions_per_week * days / 7.0, units
        )
        care_home = np.isin(np.array(st.names)[s], ["residential_care", "nursing_care"])
        stream = mp.streams["social_care"]
        block = Block(
            prefix=stream.id_prefix,
            row0=self.rows,
            person=p[pkg],
            source=voc.source.index(stream.source),
            setting=voc.setting.index(stream.setting),
            service=np.array([voc.service.index(n) for n in st.names], np.int16)[s],
            provider=np.full(len(pkg), voc.provider.index(mp.providers["local_authority"][0][0])),
            start=ws.astype(np.int32),
            end=(we - 1).astype(np.int32),
            units=units,
            unit_type=np.array([voc.unit_type.index(u) for u in st.unit_type], np.int8)[s],
            bed_days=np.where(care_home, days, np.nan),
            currency=np.array([voc.currency.index(c) for c in st.currency], np.int16)[s],
            cost=st.unit_cost[s] * units * level[pkg],
            cost_basis=voc.cost_basis.index(stream.cost_basis),
            funding=np.full(len(pkg), voc.funding.index(stream.funding_route), np.int8),
            code=np.full(len(pkg), -1, np.int32),
        )
        self._keep(block)
