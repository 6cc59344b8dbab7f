"""Tiny hand-made ingest bookkeeping for the quality spec tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

COUNTS = (
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_opted_out",
    "rows_duplicate",
    "rows_excluded",
    "rows_corrected",
    "rows_late",
    "nhs_number_present",
    "nhs_number_valid",
    "nhs_number_invalid",
    "nhs_number_missing",
    "pseudonym_supplied",
    "token_linked",
    "rows_person_shared",
    "rows_unlinked",
    "rows_linked_probabilistic",
    "persons",
)


def load_row(load_id: str, **kw: Any) -> dict[str, Any]:
    """An `ingest_load` row: every count 0 unless given; a current csds load of 2024-04."""
    row: dict[str, Any] = {
        "load_id": load_id,
        "run_id": "r1",
        "source": "csds",
        "extract_id": f"csds:{load_id}",
        "file_name": f"{load_id}.csv",
        "file_path": None,
        "content_hash": "h" + load_id,
        "file_bytes": 100,
        "delimiter": ",",
        "encoding": "utf-8",
        "mapping_file": None,
        "mapping_hash": None,
        "period_start": date(2024, 4, 1),
        "period_end": date(2024, 4, 30),
        "loaded_at": datetime(2024, 5, 10, 9, 0),
        "status": "current",
        "replaces": None,
        "superseded_by": None,
        "output_rows": None,
        "column_spellings": None,
    }
    row.update(dict.fromkeys(COUNTS, 0))
    row.update(kw)
    return row


def reject(load_id: str, row_number: int, column: str, reason: str, action: str, **kw) -> dict:
    r = {
        "load_id": load_id,
        "source": "csds",
        "file_name": f"{load_id}.csv",
        "row_number": row_number,
        "column": column,
        "reason": reason,
        "message": f"{column} is wrong",
        "value": None,
        "action": action,
    }
    r.update(kw)
    return r


def activity(
    load_id: str, n: int, *, person: str = "p1", start: date = date(2024, 4, 10), **kw: Any
) -> dict[str, Any]:
    """An activity row of load `load_id` (its id carries the load prefix)."""
    r = {
        "activity_id": f"{load_id}-{n}",
        "person_id": person,
        "source": "csds",
        "setting": "community",
        "provider_code": "RYX",
        "start_date": start,
        "end_date": start,
        "units": 1.0,
        "unit_type": "contact",
        "cost": None,
    }
    r.update(kw)
    return r
