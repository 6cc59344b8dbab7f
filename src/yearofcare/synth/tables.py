"""The simulated economy as Arrow tables shaped like the canonical tables.

Person-level tables carry `person_idx` (the row of `person`) instead of `person_id`; `person`
carries the synthetic NHS number. Low-cardinality strings are dictionary-encoded (they read as
plain strings in DuckDB, pandas categoricals, or `.cast(pa.string())`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from yearofcare import schemas, vocab
from yearofcare.linkage import nhs_number
from yearofcare.synth.assessments import Assessments, Assessors
from yearofcare.synth.rows import Block, RowBuilder, Vocabularies
from yearofcare.synth.surveys import Responses
from yearofcare.synth.timeline import NEVER
from yearofcare.synth.world import World


def declared(name: str, cols: dict[str, pa.Array], *, extra: tuple[str, ...] = ()) -> dict:
    """`cols` in the declared column order of table `name` (`schemas`), checked against the
    declaration: `person_idx` stands for `person_id`; `extra` names columns the declaration
    does not have (the synthetic NHS number, dropped before anything is stored)."""
    schema = schemas.get(name)
    names = ["person_idx" if c.name == "person_id" else c.name for c in schema.columns]
    unknown = [k for k in cols if k not in names and k not in extra]
    missing = [
        n for n, c in zip(names, schema.columns, strict=True) if not c.nullable and n not in cols
    ]
    if unknown or missing:
        raise ValueError(
            f"synthetic {name}: columns not declared {unknown}, required but missing {missing}"
        )
    out = {n: cols[n] for n in names if n in cols}
    out.update({n: cols[n] for n in extra if n in cols})
    return out


def dictionary(indices: np.ndarray, values: tuple[str, ...] | np.ndarray) -> pa.DictionaryArray:
    """Dictionary-encoded strings; negative indices are null."""
    size = len(values)
    kind = np.int8 if size < 2**7 else np.int16 if size < 2**15 else np.int32
    idx = np.asarray(indices)
    mask = idx < 0
    safe = idx.astype(kind)
    if mask.any():
        safe[mask] = 0
        arr = pa.array(safe, mask=mask)
    else:
        arr = pa.array(safe)
    return pa.DictionaryArray.from_arrays(arr, _values(tuple(values)))


_VALUES: dict[tuple[str, ...], pa.Array] = {}


def _values(values: tuple[str, ...]) -> pa.Array:
    """One shared Arrow array per vocabulary, so record batches share their dictionaries."""
    if values not in _VALUES:
        if len(_VALUES) > 64:
            _VALUES.clear()
        _VALUES[values] = pa.array(list(values), type=pa.string())
    return _VALUES[values]


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    days = np.asarray(days)
    if missing is None:
        missing = days >= NEVER
    safe = np.where(missing, 0, days).astype(np.int32)
    mask = missing if missing.any() else None
    return pa.array(safe, type=pa.int32(), mask=mask).cast(pa.date32())


def floats(values: np.ndarray, dtype: type = np.float64) -> pa.Array:
    values = np.asarray(values, dtype=dtype)
    missing = np.isnan(values)
    return pa.array(values, type=pa.float64(), mask=missing if missing.any() else None)


_TRIPLES = np.array([list(f"{i:03d}".encode()) for i in range(1000)], dtype=np.uint8)


def ids(prefix: str, start: int, count: int) -> pa.Array:
    """Identifiers `prefix` + a 9-digit number, from `start` (fast for tens of millions)."""
    return ids_of(np.zeros(count, np.int8), (prefix,), np.arange(start, start + count))


def ids_of(which: np.ndarray, prefixes: tuple[str, ...], numbers: np.ndarray) -> pa.Array:
    """Identifiers prefixes[which] + zero-padded 9-digit numbers, built as fixed-width bytes.

    All prefixes must have the same length.
    """
    width = len(prefixes[0])
    if any(len(p) != width for p in prefixes):
        raise ValueError("identifier prefixes must have the same length")
    count = len(numbers)
    size = width + 9
    q = np.asarray(numbers, dtype=np.uint32)
    out = np.empty((count, size), dtype=np.uint8)
    table = np.array([list(p.encode("ascii")) for p in prefixes], dtype=np.uint8)
    out[:, :width] = table[which]
    out[:, size - 3 :] = _TRIPLES[q % 1000]
    out[:, size - 6 : size - 3] = _TRIPLES[(q // 1000) % 1000]
    out[:, size - 9 : size - 6] = _TRIPLES[q // 1000000]
    offsets = np.arange(0, (count + 1) * size, size, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(out)]
    )


def person_table(world: World) -> pa.Table:
    people, places, life = world.people, world.places, world.life
    n = people.n
    birth = people.birth.astype("datetime64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    died = life.died
    numbers = nhs_number.generate(world.rngs["identifiers"], n)
    return pa.table(
        declared(
            "person",
            {
                "person_idx": pa.array(np.arange(n, dtype=np.int32)),
                "nhs_number": pa.array(numbers, type=pa.string()),
                "sex": dictionary(np.where(people.female, 0, 1), ("F", "M")),
                "birth_year": pa.array(year.astype(np.int16)),
                "birth_month": pa.array(month.astype(np.int8)),
                "lsoa": dictionary(people.lsoa, places.lsoa_code),
                "imd_decile": pa.array(world.decile.astype(np.int8)),
                "date_of_death": dates(life.death, ~died),
                "place_of_death": dictionary(np.where(died, life.place, -1), vocab.PLACES_OF_DEATH),
                "linked": pa.array(np.ones(n, dtype=bool)),
            },
            extra=("nhs_number",),
        )
    )


def practice_table(world: World) -> pa.Table:
    places = world.places
    return pa.table(
        declared(
            "practice",
            {
                "practice_code": pa.array(places.practice_code, type=pa.string()),
                "practice_name": pa.array(places.practice_name, type=pa.string()),
                "locality": dictionary(places.practice_locality, places.locality_name),
            },
        )
    )


def registration_table(world: World, spells) -> pa.Table:
    from yearofcare.synth.lifecourse import END_REASONS

    order = np.lexsort((spells.start, spells.person))
    return pa.table(
        declared(
            "registration",
            {
                "person_idx": pa.array(spells.person[order]),
                "practice_code": dictionary(spells.practice[order], world.places.practice_code),
                "start_date": dates(spells.start[order]),
                "end_date": dates(spells.end[order]),
                "end_reason": dictionary(spells.reason[order], END_REASONS),
            },
        )
    )


def activity_batch(block: Block, voc: Vocabularies) -> pa.RecordBatch:
    """One block of activity rows as an Arrow record batch (dictionary-encoded strings)."""
    n = len(block)
    code = block.code
    system = np.where(code >= 0, vocab.CODE_SYSTEMS.index(block.code_system), -1)
    return pa.RecordBatch.from_pydict(
        declared(
            "activity",
            {
                "activity_id": ids(block.prefix, block.row0, n),
                "person_idx": pa.array(block.person.astype(np.int32)),
                "source": dictionary(np.full(n, block.source), voc.source),
                "setting": dictionary(np.full(n, block.setting), voc.setting),
                "service_type": dictionary(block.service, voc.service),
                "provider_code": dictionary(block.provider, voc.provider),
                "start_date": dates(block.start),
                "end_date": dates(block.end),
                "units": floats(block.units),
                "unit_type": dictionary(block.unit_type, voc.unit_type),
                "bed_days": floats(block.bed_days),
                "currency": dictionary(block.currency, voc.currency),
                "cost": floats(np.round(block.cost, 2)),
                "cost_basis": dictionary(np.full(n, block.cost_basis), voc.cost_basis),
                "funding_route": dictionary(block.funding, voc.funding),
                "primary_code": dictionary(code, voc.code),
                "primary_code_system": dictionary(system, vocab.CODE_SYSTEMS),
            },
        )
    )


def activity_table(builder: RowBuilder) -> pa.Table:
    return pa.Table.from_batches(builder.batches)


def coded_event_table(
    builder: RowBuilder,
    gp: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> pa.Table:
    """Hospital ICD-10 codes (with their activity ids) followed by GP SNOMED CT codes."""
    voc = builder.voc
    coded = builder.coded
    if coded:
        row = np.concatenate([c.row for c in coded])
        person = np.concatenate([c.person for c in coded])
        day = np.concatenate([c.day for c in coded])
        code = np.concatenate([c.code for c in coded])
        source = np.concatenate([c.source for c in coded]).astype(np.int32)
    else:
        row = person = day = code = source = np.zeros(0, np.int64)
    gp_person, gp_day, gp_code, gp_system = gp
    sources = (*voc.source, "gp_events")
    n_h, n_g = len(person), len(gp_person)
    starts = np.array([b[0] for b in builder.block_prefixes], dtype=np.int64)
    names = tuple(dict.fromkeys(b[1] for b in builder.block_prefixes))
    block_prefix = np.array([names.index(b[1]) for b in builder.block_prefixes], dtype=np.int8)
    which = block_prefix[np.searchsorted(starts, row, side="right") - 1] if len(row) else row
    hospital_ids = (
        pa.chunked_array([ids_of(which, names, row)])
        if names
        else pa.chunked_array([pa.array([], pa.string())])
    )
    return pa.table(
        declared(
            "coded_event",
            {
                "person_idx": pa.array(np.concatenate([person, gp_person]).astype(np.int32)),
                "event_date": dates(np.concatenate([day, gp_day])),
                "code_system": dictionary(
                    np.concatenate([np.full(n_h, vocab.CODE_SYSTEMS.index("ICD10")), gp_system]),
                    vocab.CODE_SYSTEMS,
                ),
                "code": dictionary(np.concatenate([code, gp_code]), voc.code),
                "source": dictionary(
                    np.concatenate([source, np.full(n_g, len(sources) - 1)]), sources
                ),
                "activity_id": pa.chunked_array(
                    [*hospital_ids.chunks, pa.nulls(n_g, pa.string())], pa.string()
                ),
                "value": pa.nulls(n_h + n_g, pa.float64()),
            },
        )
    )


def assessment_table(a: Assessments, assessors: Assessors) -> pa.Table:
    n = len(a.person)
    cols: dict[str, pa.Array] = {
        "assessment_id": ids("DST", 1, n),
        "person_idx": pa.array(a.person.astype(np.int32)),
        "assessment_date": dates(a.day),
        "assessor_id": dictionary(a.assessor, assessors.assessor_id),
        "provider_code": dictionary(
            np.unique(assessors.provider, return_inverse=True)[1][a.assessor],
            tuple(np.unique(assessors.provider)),
        ),
    }
    for j, d in enumerate(vocab.DST_DOMAINS):
        cols[f"dst_{d}"] = pa.array(a.domains[:, j].astype(np.int8))
    cols["functional_need"] = pa.array(a.functional.astype(np.int8))
    cols["health_complexity"] = pa.array(a.complexity.astype(np.int8))
    cols["assessed_level"] = dictionary(a.level, vocab.NEED_LEVELS)
    return pa.table(declared("assessment", cols))


def assessor_table(assessors: Assessors) -> pa.Table:
    return pa.table(
        declared(
            "synth_assessor",
            {
                "assessor_id": pa.array(assessors.assessor_id, type=pa.string()),
                "provider_code": pa.array(assessors.provider, type=pa.string()),
                "upcoder": pa.array(assessors.upcoder),
            },
        )
    )


def survey_table(r: Responses) -> pa.Table:
    n = len(r.person)
    cols: dict[str, pa.Array] = {
        "response_id": ids("LTC6", 1, n),
        "person_idx": pa.array(r.person.astype(np.int32)),
        "survey": dictionary(np.zeros(n, np.int32), ("LTC6",)),
        "response_date": dates(r.day),
    }
    for q in range(6):
        a = r.answers[:, q]
        cols[f"q{q + 1}"] = pa.array(
            np.where(a < 0, 0, a).astype(np.int8), mask=(a < 0) if (a < 0).any() else None
        )
    return pa.table(declared("survey_response", cols))


def truth_table(
    world: World, person: np.ndarray, k: np.ndarray, onset: np.ndarray, resolved, gp_recorded
) -> pa.Table:
    return pa.table(
        declared(
            "synth_condition",
            {
                "person_idx": pa.array(person.astype(np.int32)),
                "condition_id": dictionary(k, world.mp.conditions),
                "onset_date": dates(onset),
                "resolved_date": dates(resolved),
                "gp_recorded": pa.array(gp_recorded),
            },
        )
    )
