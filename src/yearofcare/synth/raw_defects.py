"""Realistic defects planted in the synthetic raw extracts, counted exactly for the manifest.

Each defect goes to its own rows (the sets never overlap), so what ingest and `yoc quality`
report can be checked against the manifest one for one:

| defect | what is done | what ingest records |
|---|---|---|
| missing_nhs_number | NHS number blanked (whole spell for HES APC) | `ingest_load.nhs_number_missing` |
| invalid_nhs_number | check digit changed | `ingest_load.nhs_number_invalid` |
| duplicate | a clean row written twice | `ingest_load.rows_duplicate`, reject `duplicate` |
| late | a row of year n written into year n+1's file | `ingest_load.rows_late` |
| blank_date | the required date blanked | reject `missing_required` on that column |
| unknown_code | a code the format does not know | reject `unknown_code` / `invalid_code` |

Social care records miss or garble NHS numbers far more often than health records (ASC-CLD
NHS number completeness is lower), so their rates are separate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from yearofcare.config import ConfigModel
from yearofcare.synth.raw_formats import RawTable

DEFECTS = (
    "missing_nhs_number",
    "invalid_nhs_number",
    "duplicate",
    "late",
    "blank_date",
    "unknown_code",
)


class DefectRates(ConfigModel):
    """Share of rows (or HES spells) given each defect."""

    config_name: ClassVar[str] = "planted defect rates"

    missing_nhs_number: float = Field(0.004, ge=0, le=0.5)
    invalid_nhs_number: float = Field(0.002, ge=0, le=0.5)
    duplicate: float = Field(0.003, ge=0, le=0.5)
    late: float = Field(0.01, ge=0, le=0.5)
    blank_date: float = Field(0.001, ge=0, le=0.5)
    unknown_code: float = Field(0.002, ge=0, le=0.5)
    social_care_missing_nhs_number: float = Field(0.08, ge=0, le=0.5)
    social_care_invalid_nhs_number: float = Field(0.02, ge=0, le=0.5)

    def nhs_rates(self, source: str) -> tuple[float, float]:
        if source == "asc_cld":
            return self.social_care_missing_nhs_number, self.social_care_invalid_nhs_number
        return self.missing_nhs_number, self.invalid_nhs_number


NO_DEFECTS = DefectRates(
    missing_nhs_number=0,
    invalid_nhs_number=0,
    duplicate=0,
    late=0,
    blank_date=0,
    unknown_code=0,
    social_care_missing_nhs_number=0,
    social_care_invalid_nhs_number=0,
)


@dataclass
class Planted:
    """A raw table after defects: the file year of each row and the defect of each row."""

    table: pa.Table
    file_fy: np.ndarray | None
    defect: np.ndarray  # index into DEFECTS, -1 none
    detail: dict[str, dict] = field(default_factory=dict)


def _pick(rng, eligible: np.ndarray, rate: float) -> np.ndarray:
    """A random subset of the eligible positions, of size round(rate × len)."""
    k = round(rate * len(eligible))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    return rng.choice(eligible, size=k, replace=False)


def _invalidate(numbers: pa.Array) -> pa.Array:
    """Change the check digit: a valid NHS number with another last digit is never valid."""
    body = pc.utf8_slice_codeunits(numbers, 0, 9)
    bumped = pc.add(pc.cast(pc.utf8_slice_codeunits(numbers, 9, 10), pa.int64()), 1)
    bumped = pc.if_else(pc.equal(bumped, 10), 0, bumped)
    return pc.binary_join_element_wise(body, pc.cast(bumped, pa.string()), "")


def _set(t: pa.Table, column: str, rows: np.ndarray, values: pa.Array | str | None) -> pa.Table:
    if len(rows) == 0:
        return t
    mask = np.zeros(t.num_rows, dtype=bool)
    mask[rows] = True
    col = t[column].combine_chunks()
    if isinstance(values, str) or values is None:
        new = pc.if_else(pa.array(mask), pa.scalar(values, pa.string()), col)
    else:
        new = pc.if_else(pa.array(mask), values, col)
    return t.set_column(t.column_names.index(column), column, new)


def plant(
    raw: RawTable,
    rates: DefectRates,
    rng: np.random.Generator,
    last_fy: int,
    window_start: int | None = None,
) -> Planted:
    """Give `raw` its defects (see the module docstring); rows of a group share NHS defects.

    Only rows dated inside the window (`window_start`..`last_fy`) can arrive late: older rows go
    to the history extract, which has no period to be late against.
    """
    t = raw.table
    n = t.num_rows
    defect = np.full(n, -1, dtype=np.int64)
    group = raw.group
    n_groups = int(group.max()) + 1 if n else 0
    file_fy = raw.fy.copy() if raw.fy is not None else None
    group_free = np.ones(n_groups, dtype=bool)

    def mark_groups(chosen: np.ndarray, kind: str) -> np.ndarray:
        group_free[chosen] = False
        rows = np.nonzero(np.isin(group, chosen))[0]
        defect[rows] = DEFECTS.index(kind)
        return rows

    if raw.late and file_fy is not None and rates.late:
        first_fy = raw.fy[np.unique(group, return_index=True)[1]]
        in_window = first_fy >= (first_fy.min() if window_start is None else window_start)
        eligible = np.nonzero((first_fy < last_fy) & in_window)[0]
        rows = mark_groups(_pick(rng, eligible, rates.late), "late")
        file_fy[rows] += 1
    if raw.nhs:
        missing, invalid = rates.nhs_rates(raw.source)
        valid = np.asarray(pc.is_valid(t[raw.nhs]))
        ok_groups = np.unique(group[valid])
        rows = mark_groups(
            _pick(rng, np.intersect1d(ok_groups, np.nonzero(group_free)[0]), missing),
            "missing_nhs_number",
        )
        t = _set(t, raw.nhs, rows, None)
        chosen = _pick(rng, np.nonzero(group_free)[0], invalid)
        rows = mark_groups(chosen, "invalid_nhs_number")
        t = _set(t, raw.nhs, rows, _invalidate(t[raw.nhs].combine_chunks()))
    free_rows = lambda: np.nonzero(defect < 0)[0]  # noqa: E731
    if raw.date and rates.blank_date:
        rows = _pick(rng, free_rows(), rates.blank_date)
        defect[rows] = DEFECTS.index("blank_date")
        t = _set(t, raw.date, rows, None)
    if raw.code and rates.unknown_code:
        has_code = np.asarray(pc.is_valid(t[raw.code.column]))
        rows = _pick(rng, np.intersect1d(free_rows(), np.nonzero(has_code)[0]), rates.unknown_code)
        defect[rows] = DEFECTS.index("unknown_code")
        t = _set(t, raw.code.column, rows, raw.code.value)
    if rates.duplicate:
        rows = np.sort(_pick(rng, free_rows(), rates.duplicate))
        t = pa.concat_tables([t, t.take(pa.array(rows, pa.int64()))])
        defect = np.concatenate([defect, np.full(len(rows), DEFECTS.index("duplicate"))])
        if file_fy is not None:
            file_fy = np.concatenate([file_fy, file_fy[rows]])
    detail = {
        "blank_date": {"column": raw.date, "reason": "missing_required", "action": "quarantined"},
        "duplicate": {"reason": "duplicate", "action": "quarantined"},
    }
    if raw.code:
        detail["unknown_code"] = {
            "column": raw.code.column,
            "value": raw.code.value,
            "reason": raw.code.reason,
            "action": raw.code.action,
        }
    return Planted(t, file_fy, defect, detail)
