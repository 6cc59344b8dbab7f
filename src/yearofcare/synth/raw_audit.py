"""A synthetic delayed-discharge audit (the RRR clinical audits of NHS England 2016 §6.3): the
extract `yoc ingest --source delayed_discharge` reads, one row per audited stay.

Which stays: emergency non-elective spells for a long-term condition (the primary diagnosis in
`AUDITED`: the chronic conditions the audits covered and the groups of the shipped RRR settings)
that went on beyond their acute phase — the patients who needed RRR care — half of them (an
audit samples). The acute phase lasts 1–5 days (000 annex 5 para 3: "usually … just a few (1-5)
days"). About half of the audited stays are delayed — medically fit at the end of the acute phase
but still in hospital ("about half of the patients who required RRR services were delayed",
004 §6.3); the others are medically fit on the day they leave (their RRR phase was care they
needed in hospital). The reasons of the delayed split as `REASON_SHARES`: an
ASSUMPTION (Figure 10's bars are not in the text of the seed), with "no suitable community
service" the largest as the seed says. Reasons are written half in the seed's words and half as
NHS delayed transfers of care codes, and the RRR need as words, initials or numbers, so ingest
meets the published spellings. Wards are named by the condition's specialty.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yearofcare.synth.raw_formats import CodeDefect, RawTable, _rows, fy_of, raw_table
from yearofcare.synth.raw_identity import RawPeople

#: ICD-10 prefix of the primary diagnosis → ward of an audited stay.
AUDITED: dict[str, str] = {
    **dict.fromkeys(("J44", "J45", "J47"), "Respiratory (Ward 12)"),
    **dict.fromkeys(("I50", "I48", "I25", "I20", "I21"), "Cardiology (Ward 8)"),
    **dict.fromkeys(("I61", "I63", "I64", "G45"), "Stroke unit (Ward 5)"),
    **dict.fromkeys(("E10", "E11", "E12", "E13", "E14", "N18"), "Acute medicine (Ward 3)"),
    **dict.fromkeys(("F00", "F01", "F02", "F03", "G30"), "Elderly care (Ward 4)"),
    **dict.fromkeys(("S72",), "Trauma and orthopaedics (Ward 10)"),
}
AUDIT_SHARE = 0.5
DELAYED_SHARE = 0.5
#: reason → (share of delayed stays, the seed's words, a DToC code)
REASON_SHARES: dict[str, tuple[float, str, tuple[str, ...]]] = {
    "no_community_service": (0.34, "Suitable services did not exist in the community", ("C",)),
    "awaiting_assessment": (0.24, "Awaiting assessment", ("A",)),
    "awaiting_placement": (0.20, "Awaiting residential placement", ("Di", "Dii")),
    "awaiting_home_or_care_package": (0.17, "Home not ready / care package", ("E", "F", "I")),
    "other": (0.05, "Other", ("B", "G", "H")),
}
NEED_SPELLINGS = {
    "Low": ("Low", "L", "1"),
    "Medium": ("Medium", "M", "2"),
    "High": ("High", "H", "3"),
}
NEED_SHARES = (0.3, 0.45, 0.25)


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


def delayed_discharge(activity: pa.Table, people: RawPeople, rng: np.random.Generator) -> RawTable:
    """The audit rows (text columns as the delayed_discharge adapter reads them)."""
    a = _rows(activity, "hes_apc")
    a = a.filter(
        pc.and_(
            pc.equal(a["setting"].cast(pa.string()), "acute_non_elective"),
            pc.equal(a["service_type"].cast(pa.string()), "emergency"),
        )
    )
    start = np.asarray(pc.cast(a["start_date"], pa.int32()))
    end = np.asarray(pc.cast(a["end_date"], pa.int32()).fill_null(pa.scalar(-1, pa.int32())))
    code = np.asarray(a["primary_code"].cast(pa.string()).fill_null("").to_pylist(), dtype=object)
    prefix = np.array([c[:3] for c in code], dtype=object)
    ward = np.array([AUDITED.get(p) for p in prefix], dtype=object)
    acute = rng.integers(1, 6, len(start))
    # audited: stays that went on beyond the acute phase (the patients who needed RRR care)
    keep = (ward != None) & (end - start > acute) & (rng.random(len(start)) < AUDIT_SHARE)  # noqa: E711
    idx = np.nonzero(keep)[0]
    a = a.take(pa.array(idx, pa.int64()))
    start, end, ward, acute = start[idx], end[idx], ward[idx], acute[idx]
    n = len(idx)
    delayed = rng.random(n) < DELAYED_SHARE
    ready = np.where(delayed, start + acute, end)
    names = list(REASON_SHARES)
    pick = rng.choice(len(names), n, p=[REASON_SHARES[r][0] for r in names])
    as_code = rng.random(n) < 0.5
    reason = np.array(
        [
            (rng.choice(REASON_SHARES[names[k]][2]) if c else REASON_SHARES[names[k]][1])
            if d
            else None
            for k, c, d in zip(pick, as_code, delayed, strict=True)
        ],
        dtype=object,
    )
    tiers = list(NEED_SPELLINGS)
    need_k = rng.choice(3, n, p=NEED_SHARES)
    need = np.array([rng.choice(NEED_SPELLINGS[tiers[k]]) for k in need_k], dtype=object)
    person = np.asarray(a["person_idx"]).astype(np.int64)
    cols = {
        "NHS_NUMBER": people.take("nhs_number", person),
        "DATE_OF_BIRTH": people.take("dob", person),
        "POSTCODE": people.take("postcode", person),
        "RECORD_ID": pa.array([f"RRR{i + 1:07d}" for i in range(n)]),
        "PROVIDER_CODE": a["provider_code"].cast(pa.string()),
        "WARD": pa.array(ward.tolist(), pa.string()),
        "ADMISSION_DATE": _dates(start),
        "READY_DATE": _dates(ready),
        "DISCHARGE_DATE": _dates(end),
        "DELAY_REASON": pa.array(reason.tolist(), pa.string()),
        "RRR_NEED": pa.array(need.tolist(), pa.string()),
    }
    return raw_table(
        "delayed_discharge",
        cols,
        fy=fy_of(cols["DISCHARGE_DATE"]),
        group=np.arange(n),
        code=CodeDefect("DELAY_REASON", "Lost paperwork", "unknown_code", "corrected"),
    )
