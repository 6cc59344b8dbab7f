"""Findings from the measure tables: gaps, timeliness, identity, triangulation (plain pandas)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from yearofcare.quality import QualityOptions
from yearofcare.quality.findings import (
    identifies_people,
    load_findings,
    month_findings,
    timeliness_findings,
    triangulation_findings,
)

OPTS = QualityOptions()


def _months(records: dict[str, int], start=date(2024, 4, 1), end=date(2025, 3, 31)):
    return pd.DataFrame(
        {
            "source": "csds",
            "month": pd.to_datetime(list(records)),
            "records": list(records.values()),
            "source_period_start": start,
            "source_period_end": end,
        }
    )


def test_missing_months_are_grouped_and_low_months_found():
    counts = {f"2024-{m:02d}-01": 100 for m in (4, 5, 6, 10, 11, 12)}
    counts |= {"2025-01-01": 30, "2025-02-01": 100, "2025-03-01": 100, "2023-01-01": 2}
    got = list(month_findings(_months(counts), OPTS))
    missing = [f for f in got if f["check"] == "month_missing"]
    assert [f["message"].split(",")[0] for f in missing] == [
        "no records dated July 2024 to September 2024 (3 months)"
    ]
    low = [f for f in got if f["check"] == "month_low"]
    assert [f["month"] for f in low] == [date(2025, 1, 1)]  # 30 < 50% of the median (100)
    assert low[0]["value"] == 0.3  # the stray record of January 2023 is outside the period


def test_sparse_sources_and_sources_without_periods_are_not_judged():
    sparse = {f"2024-{m:02d}-01": 3 for m in (4, 6, 9)}
    assert list(month_findings(_months(sparse), OPTS)) == []
    snapshot = _months({f"2024-{m:02d}-01": 100 for m in (4, 9)}, start=None, end=None)
    assert list(month_findings(snapshot, OPTS)) == []


def _load(file_name: str, **kw) -> dict:
    row = {
        "load_id": file_name,
        "source": "csds",
        "file_name": file_name,
        "status": "current",
        "rows_read": 100,
        "rows_loaded": 100,
        "rows_quarantined": 0,
        "rows_unlinked": 0,
        "rows_late": 0,
        "nhs_number_present": 100,
        "nhs_number_valid": 100,
        "nhs_number_invalid": 0,
        "nhs_number_missing": 0,
        "pseudonym_supplied": 0,
        "token_linked": 0,
        "duplicates_across_loads": 0,
        "nhs_coverage": 1.0,
        "nhs_validity": 1.0,
        "nhs_valid_coverage": 1.0,
        "linkage_rate": 1.0,
        "quarantine_rate": 0.0,
        "lag_days": 10,
    }
    row.update(kw)
    return row


def test_timeliness_is_one_finding_per_source():
    loads = pd.DataFrame(
        [_load("a.csv", lag_days=400), _load("b.csv", lag_days=90), _load("c.csv", lag_days=5)]
    )
    (f,) = timeliness_findings(loads, OPTS)
    assert f["count"] == 2 and "90–400 days" in f["message"] and "c.csv" not in f["message"]


def test_a_practice_list_is_not_asked_for_nhs_numbers():
    assert not identifies_people("canonical", "practice.csv")
    assert identifies_people("canonical", "activity_ooh_2024-25.csv")
    assert identifies_people("csds", "csds_2024-25.csv")
    no_numbers = {"nhs_number_present": 0, "nhs_number_valid": 0, "nhs_number_missing": 1}
    practice = _load("practice.csv", source="canonical", rows_read=1, **no_numbers)
    community = _load("activity_ooh.csv", source="canonical", rows_read=1, **no_numbers)
    checks = {f["file_name"]: f["check"] for f in load_findings(pd.DataFrame([practice]), OPTS)}
    assert checks == {}
    checks = {f["check"] for f in load_findings(pd.DataFrame([community]), OPTS)}
    assert checks == {"nhs_number_absent"}


def test_a_small_base_cost_is_not_quoted():
    line = {
        "name": "Hospice",
        "kind": "contract",
        "source": "canonical",
        "fy": 2024,
        "contract_value": 50_000.0,
        "loaded_cost": 1234.0,
        "records": 3,
        "records_uncosted": 0,
        "difference_pct": -0.97,
        "tolerance_pct": 0.05,
        "within_tolerance": False,
    }
    (f,) = triangulation_findings(pd.DataFrame([line]))
    assert "1,234" not in f["message"] and "fewer than 10 records" in f["message"]
    assert f["value"] is None
    (f,) = triangulation_findings(pd.DataFrame([line | {"records": 300}]))
    assert "£1,234" in f["message"] and "-97.0%" in f["message"]
