"""The delayed-discharge audit adapter (issue 14 item 3): the seed's reasons and the DToC codes
load; dates out of order are quarantined and unknown reasons blanked, each recorded with its
file, row and column."""

from __future__ import annotations

import numpy as np

from tests.ingest_support import make_key, run, snapshot, table, write
from yearofcare.linkage import nhs_number

NHS = nhs_number.generate(np.random.default_rng(14), 6)
HEAD = "NHS_NUMBER,RECORD_ID,PROVIDER_CODE,WARD,ADMISSION_DATE,READY_DATE,DISCHARGE_DATE,DELAY_REASON,RRR_NEED\n"


def _row(i: int, rid: str, adm: str, ready: str, dis: str, reason: str, need: str = "M") -> str:
    return f"{NHS[i]},{rid},RXX,Ward 7,{adm},{ready},{dis},{reason},{need}\n"


def test_published_spellings_of_the_reasons_load(duck_store, tmp_path):
    text = HEAD + "".join(
        [
            _row(0, "A1", "2024-05-01", "2024-05-05", "2024-05-12", "Suitable services did not exist in the community"),
            _row(1, "A2", "01/05/2024", "03/05/2024", "07/05/2024", "A", "high"),
            _row(2, "A3", "2024-05-01", "2024-05-04", "2024-05-06", "dii", "1"),
            _row(3, "A4", "2024-05-01", "2024-05-04", "2024-05-09", "Home not ready / care package"),
            _row(4, "A5", "2024-05-01", "2024-05-04", "2024-05-04", "G"),  # not delayed
            _row(5, "A6", "2024-05-01", "2024-05-04", "2024-05-05", "", "Low"),  # no reason given
        ]
    )  # fmt: skip
    f = run(
        duck_store,
        "delayed_discharge",
        write(tmp_path / "dd_audit_2024-25.csv", text),
        key=make_key(tmp_path),
    ).files[0]
    assert f.counts["rows_loaded"] == 6 and not f.reasons
    d = table(duck_store, "delayed_discharge").sort_values("delayed_days")
    # delayed days = discharge − medically fit: 12−5 = 7, 7−3 = 4, 6−4 = 2, 9−4 = 5, 0, 1
    assert sorted(d.delayed_days.tolist()) == [0, 1, 2, 4, 5, 7]
    by = dict(zip(d.delayed_days, d.reason.fillna("none"), strict=True))
    assert by[7] == "no_community_service" and by[4] == "awaiting_assessment"
    assert by[2] == "awaiting_placement" and by[5] == "awaiting_home_or_care_package"
    assert by[0] == "none"  # a reason on a stay that was not delayed explains nothing
    assert by[1] == "none"  # delayed, reason not recorded
    assert dict(zip(d.delayed_days, d.rrr_need, strict=True))[4] == "High"
    assert d.record_id.str.len().min() > 12 and d.person_id.notna().all()


def test_dates_out_of_order_and_unknown_reasons_are_quarantined(duck_store, tmp_path):
    text = HEAD + "".join(
        [
            _row(0, "B1", "2024-05-01", "2024-05-05", "2024-05-12", "C"),
            _row(1, "B2", "2024-05-01", "2024-05-09", "2024-05-06", "E"),  # discharged before fit
            _row(2, "B3", "2024-05-08", "2024-05-04", "2024-05-09", "E"),  # fit before admission
            _row(3, "B4", "2024-05-01", "2024-05-04", "2024-05-09", "Lost paperwork"),
            _row(4, "B5", "2024-05-01", "", "2024-05-09", "A"),  # no medically fit date
        ]
    )  # fmt: skip
    path = write(tmp_path / "dd_audit_2024-25.csv", text)
    f = run(duck_store, "delayed_discharge", path, key=make_key(tmp_path)).files[0]
    r = table(duck_store, "ingest_reject").sort_values("row_number")
    # an unknown reason is blanked and recorded (the stay and its delayed days still count, as
    # "reason not recorded"); a date out of order or missing quarantines the row
    assert (f.counts["rows_loaded"], f.counts["rows_quarantined"]) == (2, 3)
    assert r.row_number.tolist() == [3, 4, 5, 6]  # lines of the file (the header is line 1)
    assert r.column.tolist() == ["DISCHARGE_DATE", "READY_DATE", "DELAY_REASON", "READY_DATE"]
    assert r.reason.tolist() == [
        "end_before_start",
        "end_before_start",
        "unknown_code",
        "missing_required",
    ]
    assert r.action.tolist() == ["quarantined", "quarantined", "corrected", "quarantined"]
    assert set(r.file_name) == {path.name} and r.value.tolist()[2] == "Lost paperwork"
    d = table(duck_store, "delayed_discharge").sort_values("record_id")
    assert d.delayed_days.tolist() == [7, 5] and d.reason.isna().tolist() == [False, True]


def test_strict_refuses_and_leaves_the_store_as_it_was(duck_store, tmp_path):
    import pytest

    from yearofcare.errors import YocError

    key = make_key(tmp_path)
    good = HEAD + _row(0, "C1", "2024-05-01", "2024-05-05", "2024-05-12", "C")
    run(duck_store, "delayed_discharge", write(tmp_path / "dd_a.csv", good), key=key)
    before = snapshot(duck_store)
    bad = HEAD + _row(1, "C2", "2024-05-01", "2024-05-09", "2024-05-06", "E")
    with pytest.raises(YocError, match="DISCHARGE_DATE"):
        run(
            duck_store, "delayed_discharge", write(tmp_path / "dd_b.csv", bad), key=key, strict=True
        )
    assert snapshot(duck_store) == before
