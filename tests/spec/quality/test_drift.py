"""Drift: each load against the earlier loads of its source (volume, rates, format)."""

from __future__ import annotations

import json
from datetime import date, datetime

import ibis
import pytest

from tests.quality_spec import activity, load_row
from tests.spec import load, rows
from yearofcare import schemas
from yearofcare.quality import QualityOptions, run_quality
from yearofcare.quality import drift as d
from yearofcare.quality import measures as m

OPTIONS = QualityOptions()


def _month_load(i: int, rows_read: int, **kw) -> dict:
    """The i-th monthly csds load (April 2024 = 0), loaded ten days after its month."""
    start = date(2024, 4 + i, 1)
    end = date(2024, 4 + i + 1, 1) if i < 8 else date(2025, 1, 1)
    return load_row(
        f"l{i:011d}",
        extract_id=f"csds:2024-{4 + i:02d}",
        period_start=start,
        period_end=date.fromordinal(end.toordinal() - 1),
        loaded_at=datetime(end.year, end.month, 10),
        rows_read=rows_read,
        rows_loaded=rows_read,
        nhs_number_present=rows_read,
        nhs_number_valid=kw.pop("valid", rows_read),
        **kw,
    )


def _drift(store, loads: list[dict]) -> list[dict]:
    load(store, {"ingest_load": loads})
    dq = m.load_measures(m.Inputs(store.table("ingest_load")))
    return rows(store, d.load_drift(dq, OPTIONS), order_by=["load_id", "check"])


def test_volume_jump_is_flagged_against_the_mean_of_earlier_loads(store):
    got = _drift(store, [_month_load(0, 100), _month_load(1, 120), _month_load(2, 330)])
    volume = {r["load_id"]: r for r in got if r["check"] == "volume"}
    assert "l00000000000" not in volume  # the first load has nothing to compare with
    second, third = volume["l00000000001"], volume["l00000000002"]
    assert second["baseline"] == 100 and second["change"] == pytest.approx(0.2)
    assert not second["flagged"]  # +20% is within the 30% threshold
    assert third["previous_loads"] == 2
    assert third["baseline"] == pytest.approx((100 + 120) / 2)
    assert third["change"] == pytest.approx((330 - 110) / 110)  # +200%
    assert third["flagged"]


def test_falling_nhs_coverage_is_flagged_but_a_rise_is_not(store):
    got = _drift(
        store,
        [_month_load(0, 100, valid=98), _month_load(1, 100, valid=80), _month_load(2, 100)],
    )
    nhs = {r["load_id"]: r for r in got if r["check"] == "nhs_valid_coverage"}
    assert nhs["l00000000001"]["change"] == pytest.approx(0.80 - 0.98)
    assert nhs["l00000000001"]["flagged"]
    assert nhs["l00000000002"]["change"] == pytest.approx(1.0 - (0.98 + 0.80) / 2)
    assert not nhs["l00000000002"]["flagged"]  # better than before


def test_a_resubmission_is_not_its_own_baseline(store):
    first = _month_load(0, 100, status="superseded")
    again = _month_load(0, 400) | {"load_id": "l00000000099"}
    got = _drift(store, [first, again])
    assert got == []  # same extract: nothing earlier to compare with


def test_format_changes_against_the_previous_load(store):
    got = _drift(
        store,
        [_month_load(0, 100), _month_load(1, 100, delimiter="|", mapping_hash="abc")],
    )
    checks = {r["check"] for r in got if r["flagged"]}
    assert checks == {"delimiter_changed", "mapping_changed"}


def test_header_drift_finds_renamed_added_and_removed_columns():
    loads = {
        "l1": {"source": "csds", "file_name": "may.csv", "loaded_at": None},
        "l0": {"source": "csds", "file_name": "april.csv", "loaded_at": None},
    }
    headers = {
        "l0": ("RecordId", "CareContDate", "OrgIDProv", "Cost", "TeamType"),
        "l1": ("RecordId", "CareContactDate", "OrgIDProv", "Cost", "Site"),
    }
    got = d.header_drift([{"load_id": "l1", "p_load_id": "l0"}], headers, loads)
    found = {(r["check"], r["column"]) for r in got}
    assert found == {
        ("column_renamed", "CareContactDate"),
        ("column_added", "Site"),
        ("column_removed", "TeamType"),
    }
    assert any("CareContDate" in r["message"] for r in got if r["check"] == "column_renamed")


def test_headers_are_parsed_from_the_record_or_read_from_the_file(tmp_path):
    assert d.parse_header(json.dumps(["A", "B"])) == ("A", "B")
    assert d.parse_header("A|B|C") == ("A", "B", "C")
    assert d.parse_header(None) is None
    f = tmp_path / "x.csv"
    f.write_text("\ufeffNHSNumber,RecordId\n9434765919,R1\n", encoding="utf-8")
    size = f.stat().st_size
    assert d.header_from_file(str(f), size, ",", "utf-8") == ("NHSNumber", "RecordId")
    assert d.header_from_file(str(f), size + 1, ",", "utf-8") is None  # not the file loaded
    assert d.header_from_file(str(tmp_path / "gone.csv"), None, ",", "utf-8") is None


def test_run_finds_a_renamed_column_and_an_emptied_column(store):
    """End to end through run_quality: ingest_load carries each load's header (as ingest may
    record it), and the second load's provider column arrives empty."""
    loads = [
        _month_load(0, 3) | {"header": json.dumps(["RecordId", "CareContDate", "OrgIDProv"])},
        _month_load(1, 3) | {"header": json.dumps(["RecordId", "CareContactDate", "OrgIDProv"])},
    ]
    ids = [r["load_id"] for r in loads]
    acts = [activity(ids[0], n, start=date(2024, 4, 10 + n)) for n in range(3)]
    acts += [activity(ids[1], n, start=date(2024, 5, 10 + n), provider_code=None) for n in range(3)]
    with store.stage("spec-setup") as run:
        frame = ibis.memtable(loads)
        declared = schemas.get("ingest_load")
        cols = [frame[c].cast(declared.column(c).dtype).name(c) for c in declared.names]
        run.write("ingest_load", frame.select(*cols, frame.header), conform=False)
    load(store, {"activity": acts})
    run_quality(store, OPTIONS)
    drift = rows(store, store.table("dq_drift"), ["check", "column"])
    flagged = {(r["check"], r["column"]) for r in drift if r["flagged"]}
    assert ("column_renamed", "CareContactDate") in flagged
    assert ("column_emptied", "provider_code") in flagged
    findings = rows(store, store.table("dq_finding"), ["check"])
    assert {"column_renamed", "column_emptied"} <= {f["check"] for f in findings}
    assert all(f["priority"] == 3 for f in findings if f["check"].startswith("column_"))
