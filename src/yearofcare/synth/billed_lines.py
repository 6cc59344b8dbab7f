"""A billed-lines extract for the synthetic care economy, with double payment planted.

Providers bill their PbR activity (acute admissions, outpatients, A&E) and their block
services' contract-monitoring lines (community, mental health) for one financial year. Under a
capitated budget they should leave out care already paid from it — activity of a person on the
cohort register that day, in a service the map puts inside. The synthetic providers do, except
for a known share of such activity (`double_rate`) which they bill anyway: planted double
payment. The truth (every line, and whether it bills care inside the budget) goes to
`synth_billed_line`, so `yoc reconcile` can be checked: every planted line found, no correctly
billed line flagged.

Inside is decided here from the synthetic economy's own activity (before any extract defect),
the register's spells and the service map as read on each activity date (`ServiceMap.decide`
run on a private DuckDB connection). Works on NumPy/Arrow, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from yearofcare.finance.service_map import ServiceMap
from yearofcare.fy import fy_end, fy_start
from yearofcare.linkage.pseudonym import pseudonymise

#: Settings providers bill line by line, with the billing route and the POD code they use.
BILLED = {
    "acute_non_elective": ("PBR", "NEL"),
    "acute_elective": ("PBR", "EL"),
    "acute_day_case": ("PBR", "DC"),
    "outpatient": ("PBR", "OPFA"),
    "ae": ("PBR", "AE"),
    "community": ("CM", "COMM"),
    "mental_health": ("CM", "MH"),
}
DOUBLE_RATE = 0.03


@dataclass(frozen=True)
class BilledLines:
    """The extract (text columns as the billed_lines adapter reads them) and its truth."""

    extract: pa.Table
    truth: pa.Table


def _text(a) -> np.ndarray:
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if pa.types.is_dictionary(a.type):
        a = a.cast(pa.string())
    return np.asarray(a.to_pylist(), dtype=object)


def billed_lines(
    population,
    register: pd.DataFrame,
    smap: ServiceMap,
    key: bytes,
    fy: int,
    rng: np.random.Generator,
    double_rate: float = DOUBLE_RATE,
) -> BilledLines:
    """Lines billed for `fy` (see the module docstring).

    `register`: cohort register spells with person_id (keyed pseudonym), join_date and
    leave_date (last day of membership; empty = open)."""
    act = population.activity
    start = np.asarray(pc.cast(act["start_date"], pa.int32()))
    setting = _text(act["setting"])
    in_year = (start >= (fy_start(fy) - date(1970, 1, 1)).days) & (
        start <= (fy_end(fy) - date(1970, 1, 1)).days
    )
    rows = np.nonzero(in_year & np.isin(setting, list(BILLED)))[0]
    a = act.take(pa.array(rows))
    person_idx = np.asarray(a["person_idx"]).astype(np.int64)
    nhs = np.asarray(population.person["nhs_number"].to_pylist(), dtype=object)
    person_id = np.asarray(
        pseudonymise(population.person["nhs_number"], key).to_pylist(), dtype=object
    )
    frame = pd.DataFrame(
        {
            "row": np.arange(len(rows)),
            "activity_ref": _text(a["activity_id"]),
            "person_id": person_id[person_idx],
            "nhs_number": nhs[person_idx],
            "setting": _text(a["setting"]),
            "service_type": _text(a["service_type"]),
            "provider_code": _text(a["provider_code"]),
            "currency": _text(a["currency"]),
            "funding_route": _text(a["funding_route"]),
            "cost_basis": _text(a["cost_basis"]),
            "start_date": pd.to_datetime(
                np.asarray(pc.cast(a["start_date"], pa.int32())), unit="D"
            ).date,
            "cost": np.asarray(a["cost"], dtype=float),
        }
    )
    inside = _on_register(frame, register) & _service_inside(frame, smap)
    planted = inside & (rng.random(len(frame)) < double_rate)
    lines = frame[~inside | planted].copy()
    lines["double_billed"] = inside[~inside | planted]
    lines["line_ref"] = [f"{p}-{i:08d}" for i, p in enumerate(lines.provider_code, start=1)]
    lines["amount"] = [f"{c:.2f}" for c in lines.cost]
    return BilledLines(_extract(lines), _truth(lines))


def _on_register(frame: pd.DataFrame, register: pd.DataFrame) -> np.ndarray:
    r = register[["person_id"]].copy()
    r["join_date"] = pd.to_datetime(register.join_date).astype("datetime64[ns]")
    open_end = pd.Timestamp("2200-01-01")
    r["leave_date"] = pd.to_datetime(register.leave_date).astype("datetime64[ns]").fillna(open_end)
    start = pd.to_datetime(frame.start_date).astype("datetime64[ns]")
    m = frame[["row", "person_id"]].assign(start_date=start)
    m = m.merge(r, on="person_id")
    hit = m[(m.start_date >= m.join_date) & (m.start_date <= m.leave_date)].row.unique()
    out = np.zeros(len(frame), bool)
    out[hit] = True
    return out


def _service_inside(frame: pd.DataFrame, smap: ServiceMap) -> np.ndarray:
    con = ibis.duckdb.connect()
    try:
        t = ibis.memtable(
            frame[
                [
                    "row",
                    "setting",
                    "service_type",
                    "provider_code",
                    "currency",
                    "funding_route",
                    "cost_basis",
                    "start_date",
                ]
            ]
        )
        t = t.mutate(start_date=t.start_date.cast("date"))
        decided = con.to_pyarrow(t.select("row", **smap.decide(t)).order_by("row"))
    finally:
        con.disconnect()
    return np.asarray(decided["inside"].fill_null(False))


def _extract(lines: pd.DataFrame) -> pa.Table:
    route = lines.setting.map({k: v[0] for k, v in BILLED.items()})
    pod = lines.setting.map({k: v[1] for k, v in BILLED.items()})
    pbr = route == "PBR"
    return pa.table(
        {
            "NHS_NUMBER": pa.array(lines.nhs_number.tolist(), pa.string()),
            "LINE_REF": pa.array(lines.line_ref.tolist(), pa.string()),
            "BILLING_ROUTE": pa.array(route.tolist(), pa.string()),
            "PROVIDER_CODE": pa.array(lines.provider_code.tolist(), pa.string()),
            "FUNDING_ROUTE": pa.array(lines.funding_route.str.upper().tolist(), pa.string()),
            "POD": pa.array(pod.tolist(), pa.string()),
            "HRG": pa.array(
                [c if b else None for c, b in zip(lines.currency, pbr, strict=True)], pa.string()
            ),
            "SERVICE": pa.array(
                [c if not b else None for c, b in zip(lines.service_type, pbr, strict=True)],
                pa.string(),
            ),
            "ACTIVITY_DATE": pa.array([d.isoformat() for d in lines.start_date], pa.string()),
            "AMOUNT": pa.array(lines.amount.tolist(), pa.string()),
        }
    )


def _truth(lines: pd.DataFrame) -> pa.Table:
    return pa.table(
        {
            "line_ref": pa.array(lines.line_ref.tolist(), pa.string()),
            "provider_code": pa.array(lines.provider_code.tolist(), pa.string()),
            "activity_ref": pa.array(lines.activity_ref.tolist(), pa.string()),
            "double_billed": pa.array(lines.double_billed.tolist(), pa.bool_()),
            "billed_pence": pa.array([int(a.replace(".", "")) for a in lines.amount], pa.int64()),
        }
    )


def write_billed_lines(lines: BilledLines, path) -> None:
    """The extract as CSV (it holds NHS numbers: write it outside the store)."""
    import pyarrow.csv as pacsv

    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(lines.extract, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
