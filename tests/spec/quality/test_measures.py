"""Quality measures on tiny hand-made tables, with hand-worked answers (both engines)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from tests.quality_spec import activity, load_row, reject
from tests.spec import load, rows
from yearofcare.quality import measures as m

A, B = "lA0000000001", "lB0000000002"

#: Load A (csds, April 2024): 10 rows read = 6 loaded + 3 quarantined (rows 3, 5, 9) + 1 opted
#: out; 2 corrected (rows 7, 8). NHS numbers: 8 present (6 valid, 2 invalid) + 1 missing.
LOAD_A = load_row(
    A,
    rows_read=10,
    rows_loaded=6,
    rows_quarantined=3,
    rows_opted_out=1,
    rows_corrected=2,
    rows_duplicate=1,
    rows_late=1,
    nhs_number_present=8,
    nhs_number_valid=6,
    nhs_number_invalid=2,
    nhs_number_missing=1,
    rows_unlinked=1,
    persons=3,
)
LOAD_B = load_row(
    B,
    extract_id="csds:may",
    period_start=date(2024, 5, 1),
    period_end=date(2024, 5, 31),
    loaded_at=datetime(2024, 6, 1, 12, 0),
    rows_read=4,
    rows_loaded=4,
    nhs_number_present=4,
    nhs_number_valid=4,
    persons=3,
)
REJECTS = [
    reject(A, 3, "RecordId", "duplicate", "quarantined"),
    reject(A, 5, "CareContDate", "invalid_date", "quarantined"),
    reject(A, 5, "Cost", "invalid_number", "quarantined"),
    reject(A, 7, "PrimDiag", "invalid_code", "corrected"),
    reject(A, 8, "Postcode", "invalid_code", "corrected"),
    reject(A, 9, "OrgIDProv", "missing_required", "quarantined"),
]
ACTIVITY = [
    activity(A, 1, person="p1", start=date(2024, 4, 10), primary_code="I10"),
    activity(A, 2, person="p1", start=date(2024, 4, 11)),
    activity(A, 3, person="p2", start=date(2024, 4, 12)),
    activity(A, 4, person="p2", start=date(2024, 3, 20)),  # before A's period: late
    activity(A, 5, person="p3", start=date(2024, 4, 15), unit_type="bogus"),
    activity(A, 6, person="p3", start=date(2024, 4, 16), cost=50.0),
    # B's first row repeats A's first row (same person, setting, provider, dates, code, units)
    activity(B, 1, person="p1", start=date(2024, 4, 10), primary_code="I10"),
    activity(B, 2, person="p4", start=date(2024, 5, 2)),
    activity(B, 3, person="p4", start=date(2024, 5, 3)),
    activity(B, 4, person="p5", start=date(2024, 5, 4), cost=20.0),
]
CODED = [
    {
        "person_id": "p1",
        "event_date": date(2024, 4, 10),
        "code_system": "ICD10",
        "code": c,
        "source": "csds",
        "activity_id": f"{A}-1",
    }
    for c in ("I10", "E11", "J44")
]
PEOPLE = [
    {"load_id": lid, "person_id": p, "source": "csds", "rank": 3, "linked": linked}
    for lid, p, linked in (
        (A, "p1", True),
        (A, "p2", True),
        (A, "p3", False),
        (B, "p1", True),
        (B, "p4", True),
        (B, "p5", True),
    )
]


@pytest.fixture
def spec_store(store):
    load(
        store,
        {
            "ingest_load": [LOAD_A, LOAD_B],
            "ingest_reject": REJECTS,
            "activity": ACTIVITY,
            "coded_event": CODED,
            "ingest_person": PEOPLE,
        },
    )
    return store


def _inputs(store) -> m.Inputs:
    return m.Inputs(
        ingest_load=store.table("ingest_load"),
        ingest_reject=store.table("ingest_reject"),
        activity=store.table("activity"),
        coded_event=store.table("coded_event"),
        ingest_person=store.table("ingest_person"),
    )


def test_load_measures(spec_store):
    got = {r["load_id"]: r for r in rows(spec_store, m.load_measures(_inputs(spec_store)))}
    a = got[A]
    assert a["nhs_coverage"] == pytest.approx(8 / (8 + 1))  # present / (present + missing)
    assert a["nhs_validity"] == pytest.approx(6 / 8)  # valid / present
    assert a["nhs_valid_coverage"] == pytest.approx(6 / (8 + 1))
    assert a["rows_linked"] == 6 - 1  # loaded − unlinked + probabilistic
    assert a["linkage_rate"] == pytest.approx(5 / 6)
    assert a["quarantine_rate"] == pytest.approx(3 / 10)
    assert a["correction_rate"] == pytest.approx(2 / 10)
    assert a["duplicate_rate"] == pytest.approx(1 / 10)
    assert a["problems"] == 6
    assert a["code_values_loaded"] == 3
    assert a["rows_code_invalid"] == 1  # PrimDiag; the Postcode (an identifier) is not a code
    assert a["code_validity"] == pytest.approx(1 - 1 / 10)
    assert a["records_stored"] == 6 + 3  # activity + coded events
    assert a["duplicates_across_loads"] == 1
    assert a["lag_days"] == (date(2024, 5, 10) - date(2024, 4, 30)).days
    assert pd.Timestamp(a["period_month"]).date() == date(2024, 4, 1)
    b = got[B]
    assert b["nhs_validity"] == 1.0 and b["linkage_rate"] == 1.0
    assert b["duplicates_across_loads"] == 1
    assert b["lag_days"] == 1
    assert b["problems"] == 0 and b["code_validity"] == 1.0


def test_source_month(spec_store):
    got = {
        pd.Timestamp(r["month"]).date(): r
        for r in rows(spec_store, m.source_month(_inputs(spec_store)), order_by=["month"])
    }
    march, april, may = (got[date(2024, mo, 1)] for mo in (3, 4, 5))
    assert (march["records"], march["persons"], march["records_late"]) == (1, 1, 1)
    # April: A's rows 1, 2, 3, 5, 6 and B's row 1; p3 (rows 5, 6) is unlinked in A
    assert april["records"] == 6 and april["persons"] == 3 and april["loads"] == 2
    assert april["records_linked"] == 4
    assert april["linkage_rate"] == pytest.approx(4 / 6)
    assert april["records_costed"] == 1 and april["records_coded"] == 2
    assert april["records_late"] == 1  # B's row 1 is dated before May, B's period
    assert (may["records"], may["persons"], may["records_costed"]) == (3, 2, 1)
    assert may["costed_rate"] == pytest.approx(1 / 3)


def test_file_columns_cover_the_whole_contract(store):
    load(store, {"ingest_load": [LOAD_A], "ingest_reject": REJECTS})
    inp = m.Inputs(store.table("ingest_load"), store.table("ingest_reject"))
    got = {r["column"]: r for r in rows(store, m.file_columns(inp), order_by=["column"])}
    from yearofcare import sources

    assert set(got) == set(sources.get("csds").names)
    assert got["CareContDate"]["invalid"] == 1 and got["CareContDate"]["quarantined"] == 1
    assert got["CareContDate"]["completeness"] == 1.0
    assert got["CareContDate"]["validity"] == pytest.approx(1 - 1 / 10)
    assert got["OrgIDProv"]["missing"] == 1
    assert got["OrgIDProv"]["completeness"] == pytest.approx(1 - 1 / 10)
    assert got["Cost"]["missing"] is None and got["Cost"]["completeness"] is None
    assert got["Cost"]["validity"] == pytest.approx(0.9)
    assert got["RecordId"]["invalid"] == 0  # a duplicate is not a bad value
    assert got["Postcode"]["corrected"] == 1
    assert got["NHSNumber"]["kind"] == "nhs_number"


def test_table_columns_profile_fill_and_declared_constraints(store):
    load(store, {"ingest_load": [LOAD_A], "activity": ACTIVITY[:6]})
    inp = m.Inputs(store.table("ingest_load"), activity=store.table("activity"))
    got = {r["column"]: r for r in rows(store, m.table_columns(inp)[0], order_by=["column"])}
    assert got["unit_type"]["filled"] == 6 and got["unit_type"]["invalid"] == 1  # "bogus"
    assert got["unit_type"]["validity"] == pytest.approx(5 / 6)
    assert got["cost"]["filled"] == 1 and got["cost"]["completeness"] == pytest.approx(1 / 6)
    assert got["cost"]["validity"] == 1.0
    assert got["currency"]["filled"] == 0 and got["currency"]["validity"] is None


def test_reject_summary_counts_rows_and_lists_the_first_five(store):
    rej = [reject(B, n, "CareContDate", "invalid_date", "corrected") for n in (9, 2, 7, 4, 11, 6)]
    rej.append(reject(B, 4, "CareContDate", "invalid_date", "corrected"))  # same row twice
    rej.append(reject(B, 12, "", "malformed_row", "quarantined"))
    load(store, {"ingest_reject": rej})
    got = rows(store, m.reject_summary(store.table("ingest_reject")), ["column"])
    whole, dates = got
    assert whole["reason"] == "malformed_row" and whole["column"] == ""
    assert dates["rows"] == 6 and dates["problems"] == 7
    assert dates["first_row"] == 2
    assert dates["example_rows"] == "2, 4, 6, 7, 9"
