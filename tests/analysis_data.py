"""A fabricated but realistic person_year and activity, for analysis tests and benchmarks.

Until `yoc build` fills person_year from the synthetic population, this stands in: vectorised
NumPy, seeded, any size. LTCs accumulate with age; cost rises with LTC count mostly through
emergency (non-elective) admissions, which come and go (so top-cost cohorts regress to the
mean); deaths and leavers drop out, newcomers join. Columns the analyses do not read (the
individual ltc_<condition> flags, Charlson scores, lsoa) are left empty.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from yearofcare import schemas
from yearofcare.schemas.population import AGE_BANDS, COST_GROUPS

PRACTICES = tuple(f"P{i:05d}" for i in range(1, 21))


def _age_band(age: np.ndarray) -> np.ndarray:
    out = np.empty(age.shape, dtype=object)
    for name, lo, hi in AGE_BANDS:
        out[(age >= lo) & (age <= hi)] = name
    return out


def person_year(
    n: int = 5_000, fys: tuple[int, ...] = (2022, 2023, 2024), seed: int = 1
) -> pa.Table:
    """A person_year table with every declared column (unmodelled ones null)."""
    rng = np.random.default_rng(seed)
    cap = n + n // 10 * len(fys)
    age0 = np.clip(rng.gamma(2.2, 18, cap), 0, 104).astype(int)
    sex = rng.choice(np.array(["F", "M"]), cap)
    imd = rng.integers(1, 11, cap)
    practice = rng.integers(0, len(PRACTICES), cap)
    frailty = rng.gamma(1.0, 1.0, cap)
    ltc = rng.poisson(np.exp(-2.6 + 0.045 * age0) * frailty)
    mental = rng.binomial(np.maximum(ltc, 0), 0.18) + rng.binomial(1, 0.06, cap)
    alive = np.zeros(cap, bool)
    alive[:n] = True
    born = n
    parts = []
    for k, fy in enumerate(fys):
        if k:
            joiners = n // 12
            alive[born : born + joiners] = True
            born += joiners
            age0 = age0 + 1
            new = rng.binomial(1, np.clip(0.015 + 0.004 * ltc + 0.0008 * age0, 0, 1))
            ltc = ltc + new
        idx = np.flatnonzero(alive)
        a, lt = age0[idx], ltc[idx]
        mh = np.minimum(mental[idx], lt + (mental[idx] > lt))
        phys = np.maximum(lt - np.minimum(mh, lt), 0)
        total_ltc = phys + mh
        p_die = np.clip(0.0004 * np.exp(0.07 * (a - 40)) * (1 + 0.35 * total_ltc), 0, 0.6)
        died = rng.random(idx.size) < p_die
        crisis = rng.random(idx.size) < np.clip(0.02 + 0.05 * total_ltc + 0.4 * died, 0, 0.95)
        n_ne = crisis * (1 + rng.poisson(0.25 * total_ltc))
        cost = {g: np.zeros(idx.size) for g in COST_GROUPS}
        cost["non_elective"] = n_ne * rng.lognormal(8.0, 0.6, idx.size)
        cost["elective"] = (rng.random(idx.size) < 0.03 + 0.002 * a) * rng.lognormal(
            8.0, 0.4, idx.size
        )
        cost["day_case"] = (rng.random(idx.size) < 0.05) * rng.lognormal(6.6, 0.3, idx.size)
        n_op = rng.poisson(0.6 + 0.7 * total_ltc)
        cost["outpatient"] = n_op * 150.0
        n_ae = rng.poisson(0.2 + 0.1 * total_ltc) + n_ne
        cost["ae"] = n_ae * 180.0
        cost["community"] = rng.poisson(0.2 * total_ltc + 0.01 * np.maximum(a - 60, 0)) * 90.0
        cost["mental_health"] = (rng.random(idx.size) < 0.02 + 0.15 * mh) * rng.lognormal(
            7.0, 1.0, idx.size
        )
        n_gp = rng.poisson(2.5 + 1.6 * total_ltc)
        cost["gp"] = n_gp * 42.0
        cost["prescribing"] = rng.gamma(1.0 + total_ltc, 90.0)
        cost["social_care"] = (
            rng.random(idx.size) < np.clip(0.002 * np.maximum(a - 60, 0), 0, 1)
        ) * rng.lognormal(8.8, 0.7, idx.size)
        cost["ambulance"] = crisis * 260.0
        cost["other"] = died * (rng.random(idx.size) < 0.3) * 2500.0
        total = sum(cost.values())
        los = n_ne * rng.poisson(4 + total_ltc)
        dod = np.datetime64(f"{fy}-04-01") + rng.integers(0, 365, idx.size)
        cols = {
            "person_id": pa.array(np.char.add("p", np.char.zfill(idx.astype(str), 7))),
            "fy": pa.array(np.full(idx.size, fy), pa.int16()),
            "age": pa.array(a, pa.int16()),
            "age_band": pa.array(_age_band(a)),
            "sex": pa.array(sex[idx]),
            "imd_decile": pa.array(imd[idx], pa.int8()),
            "practice_code": pa.array(np.array(PRACTICES)[practice[idx]]),
            "locality": pa.array(np.where(practice[idx] < 10, "North", "South")),
            "months_registered": pa.array(np.full(idx.size, 12), pa.int8()),
            "died_in_year": pa.array(died),
            "date_of_death": pa.array(dod, pa.date32(), mask=~died),
            "ltc_count": pa.array(total_ltc, pa.int16()),
            "physical_ltc_count": pa.array(phys, pa.int16()),
            "mental_ltc_count": pa.array(mh, pa.int16()),
            "cms_score": pa.array(total_ltc * 0.3 + rng.random(idx.size) * 0.1),
            "n_non_elective": pa.array(n_ne, pa.int32()),
            "n_emergency": pa.array(n_ne, pa.int32()),
            "n_outpatient": pa.array(n_op, pa.int32()),
            "n_ae": pa.array(n_ae, pa.int32()),
            "n_gp": pa.array(n_gp, pa.int32()),
            **{f"cost_{g}": pa.array(v) for g, v in cost.items()},
            "cost_total": pa.array(total),
            "bed_days_acute": pa.array(los.astype(float)),
        }
        parts.append(cols)
        leaving = rng.random(idx.size) < 0.03
        alive[idx[died | leaving]] = False
    schema = schemas.get("person_year").ibis_schema().to_pyarrow()
    tables = []
    for cols in parts:
        size = len(cols["person_id"])
        arrays = [cols.get(f.name, pa.nulls(size, f.type)).cast(f.type) for f in schema]
        tables.append(pa.Table.from_arrays(arrays, schema=schema))
    return pa.concat_tables(tables)


def activity(py: pa.Table, seed: int = 2) -> pa.Table:
    """Bed stays matching person_year's acute bed days, plus some community, mental health and
    care home stays; only the columns bed demand reads are filled."""
    rng = np.random.default_rng(seed)
    pid = np.asarray(py.column("person_id").to_pylist(), dtype=object)
    fy = py.column("fy").to_numpy()
    los = np.nan_to_num(py.column("bed_days_acute").to_numpy(zero_copy_only=False))
    age = np.nan_to_num(py.column("age").to_numpy(zero_copy_only=False).astype(float))
    rows = []
    acute = np.flatnonzero(los > 0)
    rows.append((acute, "acute_non_elective", None, None, los[acute]))
    comm = np.flatnonzero(rng.random(pid.size) < 0.004 * (age > 70))
    rows.append((comm, "community", "community_bed", None, rng.poisson(18, comm.size) + 1.0))
    mh = np.flatnonzero(rng.random(pid.size) < 0.002)
    rows.append((mh, "mental_health", "inpatient", "bed_days", rng.poisson(30, mh.size) + 1.0))
    ch = np.flatnonzero(rng.random(pid.size) < 0.01 * (age > 75))
    rows.append((ch, "social_care", "nursing_care", "weeks", rng.integers(30, 365, ch.size) * 1.0))
    years = np.unique(fy)
    april = np.array([f"{y}-04-01" for y in years], dtype="datetime64[D]")
    parts: dict[str, list] = {k: [] for k in ("id", "pid", "set", "svc", "unit", "s", "e", "bd")}
    for idx, setting, service, unit, days in rows:
        start = april[np.searchsorted(years, fy[idx])] + rng.integers(0, 365, idx.size)
        parts["id"].append(np.char.add(f"{setting}-", np.arange(idx.size).astype(str)))
        parts["pid"].append(pid[idx])
        parts["set"].append(np.full(idx.size, setting, dtype=object))
        parts["svc"].append(np.full(idx.size, service, dtype=object))
        parts["unit"].append(np.full(idx.size, unit, dtype=object))
        parts["s"].append(start)
        parts["e"].append(start + days.astype(int))
        parts["bd"].append(days.astype(float))
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    ids, people, settings, services, units = (cat[k] for k in ("id", "pid", "set", "svc", "unit"))
    starts, ends, beds = cat["s"], cat["e"], cat["bd"]
    schema = schemas.get("activity").ibis_schema().to_pyarrow()
    cols = {
        "activity_id": ids,
        "person_id": people,
        "source": np.full(len(ids), "fabricated", dtype=object),
        "setting": settings,
        "service_type": services,
        "start_date": starts,
        "end_date": ends,
        "unit_type": units,
        "bed_days": beds,
    }
    arrays = [
        pa.array(cols[f.name], f.type) if f.name in cols else pa.nulls(len(ids), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def fabricated_store(path, n: int, seed: int = 1):
    """A DuckDB store at `path` whose `build` run wrote `person_year(n)` and its activity."""
    from yearofcare.engine import connect
    from yearofcare.store import Store

    store = Store(connect("duckdb", path))
    py = person_year(n, seed=seed)
    with store.stage("build", {"unit_costs": "nhse_ncc_2023_24"}) as run:
        run.write("person_year", py)
        run.write("activity", activity(py))
    return store
