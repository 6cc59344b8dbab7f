"""Identifiers the raw extracts carry for each synthetic person (never written to the store).

The synthetic population holds year and month of birth and an LSOA; real extracts carry a full
date of birth and a postcode. Both are made up deterministically from the person's index: the
day of birth from a hash, the postcode from the LSOA (outward code) and a hash (inward code).
Postcodes use the area letters `ZZ`, which no real postcode has, and NHS numbers come from the
9xx test range, so nothing here can be a real person's identifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))  # letters used in inward codes


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """A cheap deterministic integer hash (splitmix64 finaliser)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _strings(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(str), pa.string())


@dataclass(frozen=True)
class RawPeople:
    """Per-person raw identifier strings, indexed by `person_idx`."""

    nhs_number: pa.Array
    dob: pa.Array  # YYYY-MM-DD
    mydob: pa.Array  # MMYYYY (HES)
    birth_year: pa.Array
    birth_month: pa.Array
    sex_code: pa.Array  # 1 male, 2 female (NHS data dictionary)
    sex_letter: pa.Array  # M / F
    sex_word: pa.Array  # Male / Female (ASC-CLD)
    postcode: pa.Array
    lsoa: pa.Array
    imd_decile: pa.Array
    local_id: pa.Array  # council / trust person id
    date_of_death: pa.Array
    place_of_death: pa.Array

    def take(self, name: str, person_idx: pa.Array | np.ndarray) -> pa.Array:
        return getattr(self, name).take(pa.array(np.asarray(person_idx), pa.int64()))


def raw_people(person: pa.Table) -> RawPeople:
    n = person.num_rows
    idx = np.arange(n, dtype=np.int64)
    year = np.asarray(person["birth_year"]).astype(np.int64)
    month = np.asarray(person["birth_month"]).astype(np.int64)
    day = (_mix(idx, 1) % np.uint64(28)).astype(np.int64) + 1
    dob = np.char.add(
        np.char.add(np.char.zfill(year.astype(str), 4), "-"),
        np.char.add(
            np.char.add(np.char.zfill(month.astype(str), 2), "-"), np.char.zfill(day.astype(str), 2)
        ),
    )
    mydob = np.char.add(np.char.zfill(month.astype(str), 2), np.char.zfill(year.astype(str), 4))
    female = np.asarray(pc.equal(person["sex"].cast(pa.string()), "F").fill_null(False))
    lsoa = person["lsoa"].cast(pa.string()).combine_chunks()
    lsoa_num = np.asarray(
        pc.cast(pc.utf8_slice_codeunits(lsoa.fill_null("E0100000000"), 3), pa.int64())
    )
    district = (lsoa_num % 99) + 1
    sector = (lsoa_num // 99) % 10
    h = _mix(idx, 2)
    l1 = _LETTERS[(h % np.uint64(len(_LETTERS))).astype(np.int64)]
    l2 = _LETTERS[((h // np.uint64(97)) % np.uint64(len(_LETTERS))).astype(np.int64)]
    postcode = np.char.add(
        np.char.add(np.char.add("ZZ", district.astype(str)), " "),
        np.char.add(np.char.add(sector.astype(str), l1), l2),
    )
    local = np.char.add("LA", np.char.zfill((_mix(idx, 3) % np.uint64(10**9)).astype(str), 9))
    return RawPeople(
        nhs_number=person["nhs_number"].combine_chunks(),
        dob=_strings(dob),
        mydob=_strings(mydob),
        birth_year=_strings(year),
        birth_month=_strings(month),
        sex_code=_strings(np.where(female, "2", "1")),
        sex_letter=_strings(np.where(female, "F", "M")),
        sex_word=_strings(np.where(female, "Female", "Male")),
        postcode=_strings(postcode),
        lsoa=lsoa,
        imd_decile=pc.cast(person["imd_decile"], pa.string()).combine_chunks(),
        local_id=_strings(local),
        date_of_death=pc.cast(person["date_of_death"], pa.string()).combine_chunks(),
        place_of_death=person["place_of_death"].cast(pa.string()).combine_chunks(),
    )
