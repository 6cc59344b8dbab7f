"""The synthetic economy in the real extract formats `yoc ingest` reads, one builder per format.

Each builder returns `RawTable`s: the rows as text columns named as the format names them, the
financial year each row belongs to (one file per year), and where defects can be planted (the
NHS number column, a required date, a coded column and the invalid value it can be given).
Field names and code values follow the adapters in `yearofcare.sources`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yearofcare import sources
from yearofcare.sources.canonical import table_for
from yearofcare.synth.raw_identity import RawPeople

#: Illustrative BNF presentation codes (chapter-section-paragraph, chemical, product, strength).
BNF_CODES = (
    "0212000B0AAABAB",
    "0206020A0AAAAAA",
    "0601022B0AAABAB",
    "0103050P0AAAAAA",
    "0301011R0AAAPAP",
    "0602010V0AAABAB",
    "0205051R0AAAJAJ",
    "0407010H0AAAMAM",
    "0403030Q0AAAAAA",
    "0204000H0AAAAAA",
)
ASC_COMPONENTS = {
    "home_care": "Home care",
    "residential_care": "Residential care",
    "nursing_care": "Nursing care",
    "supported_living": "Supported Living",
    "day_care": "Day Care",
    "reablement": "Reablement",
    "direct_payment": "Direct Payment",
    "respite": "Respite",
}
HES_SOURCES = ("hes_apc",)
MAX_DIAGS = 20


@dataclass(frozen=True)
class CodeDefect:
    """Where an unknown or invalid code can be planted, and how ingest will report it."""

    column: str
    value: str
    reason: str
    action: str


@dataclass
class RawTable:
    """Rows of one format across all years, before defects and the split into files."""

    source: str
    stem: str
    table: pa.Table
    fy: np.ndarray | None
    group: np.ndarray
    nhs: str | None
    date: str | None
    code: CodeDefect | None
    late: bool = True


def _s(a) -> pa.Array:
    """Any Arrow array as text (nulls stay null)."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if pa.types.is_dictionary(a.type):
        a = a.cast(pa.string())
    if pa.types.is_floating(a.type):
        a = pc.round(a, 2)
    return pc.cast(a, pa.string())


def fy_of(dates: pa.Array) -> np.ndarray:
    d = np.asarray(pc.cast(dates, pa.int32()).fill_null(0)).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where(month >= 4, year, year - 1)


def _blank(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def raw_table(
    source: str,
    cols: dict[str, pa.Array],
    *,
    fy: np.ndarray | None,
    group: np.ndarray,
    code: CodeDefect | None,
    table: str | None = None,
    stem: str | None = None,
    late: bool = True,
) -> RawTable:
    """The rows of one format, as text, in the order of its adapter's contract.

    The adapter (`sources.get(source, table)`) is the single source of the columns: every key
    of `cols` must be one of its columns, every required column must be given, and the NHS
    number column and the date column that defects are planted in are the adapter's (its
    NHS number identifier; its `date_column`, else its first required date).
    """
    adapter = sources.get(source, table)
    names = set(adapter.names)
    unknown = [c for c in cols if c not in names]
    missing = [c.name for c in adapter.columns if c.required and c.name not in cols]
    if unknown or missing:
        raise ValueError(
            f"synthetic {adapter.name} rows: not in its contract {unknown}, required but not "
            f"given {missing}"
        )
    if code is not None and code.column not in cols:
        raise ValueError(f"synthetic {adapter.name} rows: code defect column {code.column} absent")
    nhs = next((c.name for c in adapter.columns if c.kind == "nhs_number" and c.name in cols), None)
    dates = [c.name for c in adapter.columns if c.kind == "date" and c.required and c.name in cols]
    date = adapter.date_column if adapter.date_column in cols else (dates[0] if dates else None)
    text = pa.table({c.name: _s(cols[c.name]) for c in adapter.columns if c.name in cols})
    return RawTable(
        source=adapter.name,
        stem=stem or adapter.name,
        table=text,
        fy=fy,
        group=group,
        nhs=nhs,
        date=date,
        code=code,
        late=late,
    )


def _rows(activity: pa.Table, source: str) -> pa.Table:
    return activity.filter(pc.equal(activity["source"].cast(pa.string()), source))


def _codes_by_activity(coded: pa.Table, activity_ids: pa.Array, primary: pa.Array) -> np.ndarray:
    """An (n, MAX_DIAGS) array of codes per activity: primary first, then the others."""
    n = len(activity_ids)
    out = np.full((n, MAX_DIAGS), None, dtype=object)
    out[:, 0] = np.asarray(primary.to_pylist(), dtype=object)
    if coded.num_rows == 0:
        return out
    pos = pc.index_in(coded["activity_id"], value_set=activity_ids)
    keep = pc.is_valid(pos)
    coded = coded.filter(keep)
    pos = np.asarray(pos.filter(keep)).astype(np.int64)
    code = np.asarray(coded["code"].cast(pa.string()).to_pylist(), dtype=object)
    is_primary = code == out[pos, 0]
    pos, code = pos[~is_primary], code[~is_primary]
    order = np.argsort(pos, kind="stable")
    pos, code = pos[order], code[order]
    first = np.searchsorted(pos, pos, side="left")
    slot = np.arange(len(pos)) - first + 1
    ok = slot < MAX_DIAGS
    out[pos[ok], slot[ok]] = code[ok]
    return out


def _hes4(codes: np.ndarray) -> np.ndarray:
    """HES four-character ICD-10: three-character codes get the X filler (I10 → I10X)."""
    out = codes.copy()
    mask = np.array([c is not None and len(c) == 3 for c in out.ravel()]).reshape(out.shape)
    out[mask] = np.char.add(out[mask].astype(str), "X")
    return out


# ---- hospital -----------------------------------------------------------------------------
def hes_apc(activity: pa.Table, coded: pa.Table, people: RawPeople, rng) -> RawTable:
    """Spells split into consultant episodes (longer stays more often have several)."""
    a = _rows(activity, "hes_apc")
    n = a.num_rows
    start = np.asarray(pc.cast(a["start_date"], pa.int32()))
    end = np.asarray(pc.cast(a["end_date"], pa.int32()).fill_null(pa.scalar(0, pa.int32())))
    los = np.maximum(end - start, 0)
    n_eps = np.ones(n, dtype=np.int64)
    r = rng.random(n)
    n_eps[(los >= 2) & (r < 0.25)] = 2
    n_eps[(los >= 4) & (r < 0.07)] = 3
    spell = np.repeat(np.arange(n), n_eps)
    order = np.arange(len(spell)) - np.repeat(np.cumsum(n_eps) - n_eps, n_eps)  # 0-based
    k = n_eps[spell]
    cut = lambda j: start[spell] + (los[spell] * j) // k  # noqa: E731
    ep_start, ep_end = cut(order), cut(order + 1)
    last = order == k - 1
    service = np.asarray(a["service_type"].cast(pa.string()).to_pylist(), dtype=object)
    admimeth = np.select(
        [service == "emergency", service == "delivery", service == "elective"],
        [
            rng.choice(["21", "22", "23", "24", "28"], n, p=[0.7, 0.15, 0.03, 0.07, 0.05]),
            np.full(n, "31"),
            rng.choice(["11", "12", "13"], n, p=[0.6, 0.3, 0.1]),
        ],
        rng.choice(["11", "12", "13"], n, p=[0.5, 0.4, 0.1]),
    )
    classpat = np.where(service == "day_case", "2", "1")
    person = np.asarray(a["person_idx"]).astype(np.int64)
    died = people.take("date_of_death", person)
    place = people.take("place_of_death", person)
    end_s = _s(a["end_date"])
    in_hospital = pc.and_(pc.equal(died, end_s), pc.equal(place, "hospital")).fill_null(False)
    dismeth = np.where(np.asarray(in_hospital), "4", "1")
    diags = _hes4(
        _codes_by_activity(_coded(coded, "hes_apc"), a["activity_id"], _s(a["primary_code"]))
    )
    ep_diags = diags[spell].copy()
    ep_diags[order > 0, 1:] = None  # later episodes repeat only the main condition
    used = max(1, int((ep_diags != None).any(axis=0).nonzero()[0].max()) + 1)  # noqa: E711
    days = lambda x: pa.array(x.astype(np.int32), pa.int32()).cast(pa.date32())  # noqa: E731
    take = pa.array(spell, pa.int64())
    cols = {
        "NEWNHSNO": people.take("nhs_number", person[spell]),
        "DOB": people.take("dob", person[spell]),
        "HOMEADD": people.take("postcode", person[spell]),
        "MYDOB": people.take("mydob", person[spell]),
        "SEX": people.take("sex_code", person[spell]),
        "LSOA11": people.take("lsoa", person[spell]),
        "EPIKEY": pa.array(
            np.char.add(np.char.zfill((spell + 1).astype(str), 10), (order + 1).astype(str))
        ),
        "PROVSPNOPS": pa.array(np.char.add("S", np.char.zfill((spell + 1).astype(str), 9))),
        "ADMIDATE": days(start[spell]),
        "DISDATE": pc.if_else(pa.array(last), _s(a["end_date"]).take(take), _blank(len(spell))),
        "EPISTART": days(ep_start),
        "EPIEND": days(ep_end),
        "EPIORDER": pa.array((order + 1).astype(str)),
        "EPISTAT": pa.array(np.full(len(spell), "3")),
        "ADMIMETH": pa.array(admimeth[spell]),
        "CLASSPAT": pa.array(classpat[spell]),
        "DISMETH": pc.if_else(pa.array(last), pa.array(dismeth[spell]), _blank(len(spell))),
        "PROCODE3": _s(a["provider_code"]).take(take),
        "SUSHRG": _s(a["currency"]).take(take),
        # SUS PbR tariff of the spell, carried on its first episode only.
        "SPELL_TARIFF": pc.if_else(
            pa.array(order == 0),
            pc.round(pc.cast(a["cost"], pa.float64()), 2).take(take),
            pa.nulls(len(spell), pa.float64()),
        ),
        **{f"DIAG_4_{j + 1:02d}": pa.array(ep_diags[:, j], pa.string()) for j in range(used)},
        "OPERTN_4_01": pa.array(np.full(len(spell), "-")),
    }
    fy = fy_of(days(start))[spell]
    return raw_table(
        "hes_apc",
        cols,
        fy=fy,
        group=spell,
        code=CodeDefect("ADMIMETH", "XX", "unknown_code", "quarantined"),
    )


def _coded(coded: pa.Table, source: str) -> pa.Table:
    return coded.filter(pc.equal(coded["source"].cast(pa.string()), source))


def hes_op(activity: pa.Table, people: RawPeople, rng) -> RawTable:
    a = _rows(activity, "hes_op")
    n = a.num_rows
    person = np.asarray(a["person_idx"]).astype(np.int64)
    service = np.asarray(a["service_type"].cast(pa.string()).to_pylist(), dtype=object)
    cols = {
        "NEWNHSNO": people.take("nhs_number", person),
        "MYDOB": people.take("mydob", person),
        "SEX": people.take("sex_code", person),
        "LSOA11": people.take("lsoa", person),
        "ATTENDKEY": a["activity_id"],
        "APPTDATE": a["start_date"],
        "ATTENDED": pa.array(np.full(n, "5")),
        "FIRSTATT": pa.array(np.where(service == "first_attendance", "1", "2")),
        "PROCODE3": a["provider_code"],
        "SUSHRG": a["currency"],
        "DIAG_4_01": _blank(n),
        "OPERTN_01": pa.array(np.full(n, "&")),
    }
    return raw_table(
        "hes_op",
        cols,
        fy=fy_of(a["start_date"]),
        group=np.arange(n),
        code=CodeDefect("ATTENDED", "Q", "unknown_code", "quarantined"),
    )


def ecds(activity: pa.Table, people: RawPeople, rng) -> RawTable:
    a = _rows(activity, "ecds")
    n = a.num_rows
    person = np.asarray(a["person_idx"]).astype(np.int64)
    service = np.asarray(a["service_type"].cast(pa.string()).to_pylist(), dtype=object)
    cols = {
        "NHS_NUMBER": people.take("nhs_number", person),
        "STATED_GENDER": people.take("sex_code", person),
        "BIRTH_YEAR": people.take("birth_year", person),
        "BIRTH_MONTH": people.take("birth_month", person),
        "LSOA_2011": people.take("lsoa", person),
        "EPIKEY": a["activity_id"],
        "ARRIVAL_DATE": a["start_date"],
        "DEPARTURE_DATE": a["end_date"],
        "PROVIDER_CODE": a["provider_code"],
        "DEPARTMENT_TYPE": pa.array(np.where(service == "type_3", "03", "01")),
        "HEALTH_RESOURCE_GROUP": a["currency"],
        "FINAL_PRICE": a["cost"],
        "DIAGNOSIS_CODE_1": _blank(n),
    }
    return raw_table(
        "ecds",
        cols,
        fy=fy_of(a["start_date"]),
        group=np.arange(n),
        code=CodeDefect("DEPARTMENT_TYPE", "09", "unknown_code", "corrected"),
    )


def contacts(activity: pa.Table, coded: pa.Table, people: RawPeople, source: str) -> RawTable:
    """CSDS or MHSDS, flattened: care contacts and bed stays."""
    a = _rows(activity, source)
    n = a.num_rows
    person = np.asarray(a["person_idx"]).astype(np.int64)
    stay = np.asarray(pc.equal(a["unit_type"].cast(pa.string()), "bed_days").fill_null(False))
    prim = _codes_by_activity(_coded(coded, source), a["activity_id"], _s(a["primary_code"]))[:, 0]
    cols = {
        "NHSNumber": people.take("nhs_number", person),
        "LocalPatientId": people.take("local_id", person),
        "PersonBirthDate": people.take("dob", person),
        "Postcode": people.take("postcode", person),
        "Gender": people.take("sex_code", person),
        "LSOA2011": people.take("lsoa", person),
        "RecordId": a["activity_id"],
        "RecordType": pa.array(np.where(stay, "STAY", "CONTACT")),
        "CareContDate": a["start_date"],
        "EndDate": pc.if_else(pa.array(stay), _s(a["end_date"]), _blank(n)),
        "OrgIDProv": a["provider_code"],
        "ServiceType": a["service_type"],
        "AttendOrDNACode": pa.array(np.full(n, "5")),
        "Cost": a["cost"],
        "PrimDiag": pa.array(prim, pa.string()),
    }
    return raw_table(
        source,
        cols,
        fy=fy_of(a["start_date"]),
        group=np.arange(n),
        code=CodeDefect("AttendOrDNACode", "Q", "unknown_code", "corrected"),
    )


# ---- primary care -------------------------------------------------------------------------
def gp_registrations(population, people: RawPeople) -> RawTable:
    reg = population.registration
    n = reg.num_rows
    person = np.asarray(reg["person_idx"]).astype(np.int64)
    practice = population.practice
    code = reg["practice_code"].cast(pa.string())
    pos = pc.index_in(code, value_set=practice["practice_code"])
    reason = reg["end_reason"].cast(pa.string())
    reason_code = pc.replace_substring_regex(
        pc.replace_substring_regex(
            pc.replace_substring_regex(reason, "^died$", "D"), "^left$", "L"
        ),
        "^transferred$",
        "T",
    )
    # death on each person's last registration only
    last = np.ones(n, dtype=bool)
    if n:
        last[:-1] = person[:-1] != person[1:]
    died = people.take("date_of_death", person)
    place = people.take("place_of_death", person)
    cols = {
        "NHS_NUMBER": people.take("nhs_number", person),
        "DATE_OF_BIRTH": people.take("dob", person),
        "POSTCODE": people.take("postcode", person),
        "SEX": people.take("sex_letter", person),
        "LSOA": people.take("lsoa", person),
        "IMD_DECILE": people.take("imd_decile", person),
        "PRACTICE_CODE": code,
        "PRACTICE_NAME": practice["practice_name"].take(pos),
        "LOCALITY": _s(practice["locality"]).take(pos),
        "REGISTRATION_DATE": reg["start_date"],
        "DEREGISTRATION_DATE": reg["end_date"],
        "DEREGISTRATION_REASON": reason_code,
        "DATE_OF_DEATH": pc.if_else(pa.array(last), died, _blank(n)),
        "PLACE_OF_DEATH": pc.if_else(pa.array(last), pc.utf8_upper(place), _blank(n)),
    }
    return raw_table(
        "gp_registrations",
        cols,
        fy=None,
        group=np.arange(n),
        code=CodeDefect("SEX", "Q", "unknown_code", "corrected"),
        late=False,
    )


def main_practice(population) -> np.ndarray:
    """Practice code of each person's latest registration (first practice if never)."""
    reg = population.registration
    n = population.person.num_rows
    codes = np.asarray(population.practice["practice_code"].to_pylist(), dtype=object)
    out = np.full(n, codes[0] if len(codes) else "", dtype=object)
    person = np.asarray(reg["person_idx"]).astype(np.int64)
    out[person] = np.asarray(reg["practice_code"].cast(pa.string()).to_pylist(), dtype=object)
    return out


def gp_events(population, people: RawPeople, practice_of: np.ndarray) -> RawTable:
    a = _rows(population.activity, "gp_activity")
    c = _coded(population.coded_event, "gp_events")
    na, nc = a.num_rows, c.num_rows
    pa_person = np.asarray(a["person_idx"]).astype(np.int64)
    pc_person = np.asarray(c["person_idx"]).astype(np.int64)
    person = np.concatenate([pa_person, pc_person])
    n = na + nc
    cols = {
        "NHS_NUMBER": people.take("nhs_number", person),
        "EVENT_ID": pa.array(np.char.add("EV", np.char.zfill(np.arange(1, n + 1).astype(str), 10))),
        "PRACTICE_CODE": pa.array(
            np.concatenate(
                [
                    np.asarray(_s(a["provider_code"]).to_pylist(), dtype=object),
                    practice_of[pc_person],
                ]
            ),
            pa.string(),
        ),
        "EVENT_DATE": pa.concat_arrays([_s(a["start_date"]), _s(c["event_date"])]),
        "CODE_SYSTEM": pa.concat_arrays([_blank(na), _s(c["code_system"])]),
        "CODE": pa.concat_arrays([_blank(na), _s(c["code"])]),
        "VALUE": pa.concat_arrays([_blank(na), _s(c["value"])]),
        "CONSULTATION_ID": pa.concat_arrays([_s(a["activity_id"]), _blank(nc)]),
        "CONSULTATION_TYPE": pa.concat_arrays([_s(a["service_type"]), _blank(nc)]),
    }
    dates = pa.concat_arrays([_s(a["start_date"]), _s(c["event_date"])]).cast(pa.date32())
    return raw_table(
        "gp_events",
        cols,
        fy=fy_of(dates),
        group=np.arange(n),
        code=CodeDefect("CONSULTATION_TYPE", "walk_in_centre_visit", "unknown_code", "corrected"),
    )


def prescribing(activity: pa.Table, people: RawPeople) -> RawTable:
    a = _rows(activity, "gp_prescribing")
    n = a.num_rows
    person = np.asarray(a["person_idx"]).astype(np.int64)
    # the BNF code of what the items are for (synth/params/prescriptions.csv); rows of a
    # population generated without codes get an illustrative one
    fallback = pa.array(np.asarray(BNF_CODES)[(person * 7 + np.arange(n)) % len(BNF_CODES)])
    bnf = pc.coalesce(_s(a["primary_code"]), fallback)
    items = np.rint(np.asarray(a["units"].fill_null(1))).astype(np.int64)
    cols = {
        "NHS_NUMBER": people.take("nhs_number", person),
        "ITEM_ID": a["activity_id"],
        "DISPENSED_DATE": a["start_date"],
        "BNF_CODE": bnf,
        "ITEMS": pa.array(items.astype(str)),
        "ACTUAL_COST": a["cost"],
        "PRESCRIBER_CODE": a["provider_code"],
    }
    return raw_table(
        "prescribing",
        cols,
        fy=fy_of(a["start_date"]),
        group=np.arange(n),
        code=CodeDefect("BNF_CODE", "XXXX", "invalid_code", "quarantined"),
    )


# ---- social care, ambulance, the rest -------------------------------------------------------
def asc_cld(activity: pa.Table, people: RawPeople) -> RawTable:
    """Each package week as a service event; cost as a weekly, hourly or daily unit cost."""
    a = _rows(activity, "asc_cld")
    n = a.num_rows
    person = np.asarray(a["person_idx"]).astype(np.int64)
    start = np.asarray(pc.cast(a["start_date"], pa.int32()))
    end = np.asarray(pc.cast(a["end_date"], pa.int32()).fill_null(pa.scalar(0, pa.int32())))
    end = np.where(end < start, start, end)
    weeks = (end - start + 1) / 7.0
    cost = np.asarray(a["cost"].fill_null(0.0))
    units = np.asarray(a["units"].fill_null(1.0))
    unit_type = np.asarray(a["unit_type"].cast(pa.string()).to_pylist(), dtype=object)
    hourly = unit_type == "hours"
    daily = unit_type == "attendance"
    freq = np.select([hourly, daily], ["Hourly", "Daily"], "Weekly")
    per_week = np.where(hourly | daily, units / weeks, np.nan)
    unit_cost = np.where(hourly | daily, cost / np.where(units > 0, units, 1), cost / weeks)
    service = a["service_type"].cast(pa.string())
    component = pc.replace_substring_regex(service, "^$", "")
    for k, v in ASC_COMPONENTS.items():
        component = pc.replace_substring_regex(component, f"^{k}$", v)
    cols = {
        "LA_Code": a["provider_code"],
        "LA_Person_Unique_Identifier": people.take("local_id", person),
        "NHS_Number": people.take("nhs_number", person),
        "Date_of_Birth": people.take("dob", person),
        "Postcode": people.take("postcode", person),
        "Gender": people.take("sex_word", person),
        "Event_Reference": a["activity_id"],
        "Event_Type": pa.array(np.full(n, "Service")),
        "Event_Start_Date": a["start_date"],
        "Event_End_Date": pa.array(end.astype(np.int32), pa.int32()).cast(pa.date32()),
        "Service_Component": component,
        "Unit_Cost": pa.array(np.round(unit_cost, 4)),
        "Cost_Frequency_Unit_Type": pa.array(freq),
        "Planned_units_per_week": pa.array(np.round(per_week, 4), mask=np.isnan(per_week)),
    }
    return raw_table(
        "asc_cld",
        cols,
        fy=fy_of(a["start_date"]),
        group=np.arange(n),
        code=CodeDefect("Service_Component", "Mystery service", "unknown_code", "corrected"),
    )


def ambulance(activity: pa.Table, people: RawPeople, rng) -> RawTable:
    a = _rows(activity, "ambulance")
    n = a.num_rows
    person = np.asarray(a["person_idx"]).astype(np.int64)
    cols = {
        "NHS_NUMBER": people.take("nhs_number", person),
        "DATE_OF_BIRTH": people.take("dob", person),
        "POSTCODE": people.take("postcode", person),
        "SEX": people.take("sex_letter", person),
        "INCIDENT_ID": a["activity_id"],
        "INCIDENT_DATE": a["start_date"],
        "TRUST_CODE": a["provider_code"],
        "CATEGORY": pa.array(rng.choice(["C1", "C2", "C3", "C4"], n, p=[0.1, 0.55, 0.3, 0.05])),
        "OUTCOME": a["service_type"],
        "COST": a["cost"],
    }
    return raw_table(
        "ambulance",
        cols,
        fy=fy_of(a["start_date"]),
        group=np.arange(n),
        code=CodeDefect("OUTCOME", "walked_in", "unknown_code", "quarantined"),
    )


def canonical_activity(activity: pa.Table, people: RawPeople, source: str) -> RawTable:
    a = _rows(activity, source)
    person = np.asarray(a["person_idx"]).astype(np.int64)
    cols = {"nhs_number": people.take("nhs_number", person)}
    cols.update({c: a[c] for c in a.column_names if c != "person_idx"})
    return raw_table(
        "canonical",
        cols,
        table="activity",
        stem=f"activity_{source}",
        fy=fy_of(a["start_date"]),
        group=np.arange(a.num_rows),
        code=CodeDefect("unit_type", "fortnights", "unknown_code", "corrected"),
    )


def canonical_person_table(t: pa.Table, people: RawPeople, name: str, date: str, code) -> RawTable:
    person = np.asarray(t["person_idx"]).astype(np.int64)
    cols = {"nhs_number": people.take("nhs_number", person)}
    cols.update({c: t[c] for c in t.column_names if c != "person_idx"})
    return raw_table(
        "canonical",
        cols,
        table=table_for(name),
        stem=name,
        fy=fy_of(t[date]),
        group=np.arange(t.num_rows),
        code=code,
    )


def canonical_practice(practice: pa.Table) -> RawTable:
    return raw_table(
        "canonical",
        {c: practice[c] for c in practice.column_names},
        table="practice",
        stem="practice",
        fy=None,
        group=np.arange(practice.num_rows),
        code=None,
        late=False,
    )
