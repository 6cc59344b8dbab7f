"""Bad input: one clear message naming file, row and column; nothing stored is lost or changed."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ingest_support import make_key, run, snapshot, table, write
from yearofcare.errors import InputError
from yearofcare.linkage import nhs_number

NHS = nhs_number.generate(np.random.default_rng(7), 5)
HEADER = "NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,OUTCOME,COST\n"
GOOD = HEADER + f"{NHS[0]},i1,2024-05-01,RX9,S&C,250.5\n{NHS[1]},i2,2024-05-02,RX9,H&T,40\n"
#: Other records than the stored extract's (a file repeating its records would be set aside as
#: duplicates of the stored extract before any other check counted)
OTHER = GOOD.replace(",i1,", ",k1,").replace(",i2,", ",k2,")


@pytest.fixture
def loaded(duck_store, tmp_path):
    """A store that already holds a good ambulance extract."""
    key = make_key(tmp_path)
    run(duck_store, "ambulance", write(tmp_path / "amb_good.csv", GOOD), key=key)
    return duck_store, key, snapshot(duck_store)


def _fails(loaded, tmp_path, name, content, *expect, encoding="utf-8", strict=False):
    store, key, before = loaded
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write(path, content, encoding)
    with pytest.raises(InputError) as err:
        run(store, "ambulance", path, key=key, strict=strict)
    message = err.value.message
    assert name in message
    for piece in expect:
        assert piece in message, message
    assert snapshot(store) == before
    assert store.runs().status.iloc[-1] == "failed"
    return err.value


def test_wrong_delimiter(loaded, tmp_path):
    e = _fails(loaded, tmp_path, "amb.csv", GOOD.replace(",", ";"), "row 1", "wrong delimiter")
    assert "delimiter: ';'" in e.hint


def test_missing_column(loaded, tmp_path):
    text = GOOD.replace(",OUTCOME,COST", ",COST").replace(",S&C,", ",").replace(",H&T,", ",")
    _fails(loaded, tmp_path, "amb.csv", text, "row 1", "column OUTCOME", "missing column")


def test_renamed_column_gets_a_mapping_hint(loaded, tmp_path):
    e = _fails(
        loaded, tmp_path, "amb.csv", GOOD.replace("INCIDENT_DATE", "INCIDENT_DT"), "INCIDENT_DATE"
    )
    assert "INCIDENT_DATE: INCIDENT_DT" in e.hint


def test_empty_file(loaded, tmp_path):
    _fails(loaded, tmp_path, "amb.csv", "", "empty")


def test_binary_file(loaded, tmp_path):
    _fails(loaded, tmp_path, "amb.csv", b"\x00\x01\x02binary\x00" * 50, "binary", "row 1")


def test_parquet_given_as_an_extract(loaded, tmp_path):
    _fails(loaded, tmp_path, "amb.csv", b"PAR1" + b"\x00" * 40, "Parquet")


def test_bad_encoding(loaded, tmp_path):
    text = GOOD.replace("RX9,H&T", "Ré9,H&T")
    e = _fails(loaded, tmp_path, "amb.csv", text, "row 3", "column TRUST_CODE", encoding="latin-1")
    assert "latin-1" in e.hint


def test_latin1_is_read_when_declared(loaded, tmp_path):
    store, key, _ = loaded
    mapping = write(tmp_path / "m.yaml", "encoding: latin-1\n")
    path = write(tmp_path / "amb2.csv", OTHER.replace("RX9,H&T", "Ré9,H&T"), "latin-1")
    run(store, "ambulance", path, key=key, mapping_file=mapping)
    assert "Ré9" in set(table(store, "activity").provider_code)


def test_duplicate_header(loaded, tmp_path):
    text = (
        GOOD.replace("OUTCOME,COST", "OUTCOME,TRUST_CODE")
        .replace(",250.5", ",X")
        .replace(",40\n", ",Y\n")
    )
    _fails(loaded, tmp_path, "amb.csv", text, "row 1", "column TRUST_CODE", "duplicate header")


def test_truncated_last_line(loaded, tmp_path):
    text = GOOD + f"{NHS[2]},i3,2024-05"
    _fails(loaded, tmp_path, "amb.csv", text, "row 4", "column INCIDENT_DATE", "truncated")


def test_impossible_date_is_quarantined_with_file_row_column(loaded, tmp_path):
    store, key, before = loaded
    text = OTHER.replace("k2,2024-05-02", "k2,2024-02-30")
    f = run(store, "ambulance", write(tmp_path / "amb_feb.csv", text), key=key).files[0]
    assert f.counts["rows_quarantined"] == 1
    assert f.first_problem.startswith("file amb_feb.csv, row 3, column INCIDENT_DATE:")
    assert "'2024-02-30' is not a valid date (expected YYYY-MM-DD" in f.first_problem
    kept = {k: v for k, v in snapshot(store).items() if k in before}
    assert set(before["activity"]) <= set(kept["activity"])  # nothing stored was lost


def test_impossible_date_in_strict_mode_changes_nothing(loaded, tmp_path):
    text = OTHER.replace("k2,2024-05-02", "k2,1066-10-14")
    _fails(loaded, tmp_path, "amb_1066.csv", text, "row 3", "column INCIDENT_DATE", strict=True)


def test_negative_cost_is_blanked_and_reported(loaded, tmp_path):
    store, key, _ = loaded
    text = OTHER.replace(",40\n", ",-40\n")
    f = run(store, "ambulance", write(tmp_path / "amb_neg.csv", text), key=key).files[0]
    assert f.counts["rows_loaded"] == 2
    assert f.reasons == {"corrected:out_of_range": 1}
    assert f.first_problem == (
        "file amb_neg.csv, row 3, column COST: COST '-40' is out of range (expected at least 0 "
        "and at most 1e+08, the largest plausible value; --max-value sets another)"
    )
    loaded_rows = table(store, "activity")
    assert loaded_rows[loaded_rows.activity_id == f"{f.load_id}-k2"].cost.isna().all()


def test_ragged_row_is_quarantined_as_malformed(loaded, tmp_path):
    store, key, _ = loaded
    text = HEADER + f"{NHS[0]},k1,2024-05-01,RX9,S&C,1,EXTRA\n{NHS[1]},k2,2024-05-02,RX9,H&T,4\n"
    f = run(store, "ambulance", write(tmp_path / "amb_rag.csv", text), key=key).files[0]
    assert (f.counts["rows_read"], f.counts["rows_loaded"], f.counts["rows_quarantined"]) == (
        2,
        1,
        1,
    )
    assert f.first_problem.startswith("file amb_rag.csv, row 2")
    rej = table(store, "ingest_reject")
    assert rej.value.isna().all()  # the raw row (with its NHS number) is never stored


def test_strict_mode_names_the_row(loaded, tmp_path):
    store, key, before = loaded
    path = write(tmp_path / "amb_s.csv", OTHER.replace(",40\n", ",-40\n"))
    with pytest.raises(InputError, match=r"amb_s.csv, row 3, column COST"):
        run(store, "ambulance", path, key=key, strict=True)
    assert snapshot(store) == before
