"""Re-loading: the same file is a no-op; a corrected file replaces its extract; failures roll back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.ingest_support import make_key, run, snapshot, table, write
from yearofcare.ingest import tables as tablewrite
from yearofcare.linkage import nhs_number

NHS = nhs_number.generate(np.random.default_rng(11), 6)
HEADER = "NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,OUTCOME,COST\n"
V1 = HEADER + f"{NHS[0]},i1,2024-05-01,RX9,S&C,250\n{NHS[1]},i2,2024-05-02,RX9,H&T,40\n"
V2 = HEADER + f"{NHS[0]},i1,2024-05-01,RX9,S&C,260\n{NHS[2]},i3,2024-05-03,RX9,S&T,90\n"
OTHER = HEADER + f"{NHS[3]},k1,2024-06-01,RX9,S&C,250\n"


def test_same_file_twice_is_a_no_op(duck_store, tmp_path):
    key = make_key(tmp_path)
    path = write(tmp_path / "amb_2024-25.csv", V1)
    first = run(duck_store, "ambulance", path, key=key).files[0]
    before = snapshot(duck_store)
    again = run(duck_store, "ambulance", path, key=key).files[0]
    assert (again.status, again.load_id) == ("unchanged", first.load_id)
    assert snapshot(duck_store) == before
    runs = duck_store.runs()
    assert json.loads(runs.parameters.iloc[-1])["results"][0]["status"] == "unchanged"


def test_same_content_under_another_name_is_recognised(duck_store, tmp_path):
    key = make_key(tmp_path)
    first = run(duck_store, "ambulance", write(tmp_path / "a.csv", V1), key=key).files[0]
    copy = run(duck_store, "ambulance", write(tmp_path / "copy.csv", V1), key=key).files[0]
    assert (copy.status, copy.load_id) == ("unchanged", first.load_id)


def test_corrected_file_replaces_the_earlier_load(duck_store, tmp_path):
    key = make_key(tmp_path)
    other = run(duck_store, "ambulance", write(tmp_path / "amb_other.csv", OTHER), key=key)
    path = tmp_path / "amb_2024-25.csv"
    old = run(duck_store, "ambulance", write(path, V1), key=key).files[0]
    new = run(duck_store, "ambulance", write(path, V2), key=key).files[0]
    assert new.status == "replaced"
    a = table(duck_store, "activity").set_index("activity_id")
    assert sorted(a.index) == sorted(
        [f"{other.files[0].load_id}-k1", f"{new.load_id}-i1", f"{new.load_id}-i3"]
    )
    assert a.loc[f"{new.load_id}-i1", "cost"] == 260
    loads = table(duck_store, "ingest_load").set_index("load_id")
    assert loads.loc[old.load_id, "status"] == "superseded"
    assert loads.loc[old.load_id, "superseded_by"] == new.load_id
    assert loads.loc[new.load_id, "replaces"] == old.load_id
    assert loads.loc[new.load_id, "extract_id"] == "ambulance:amb_2024-25"
    people = table(duck_store, "ingest_person")
    assert old.load_id not in set(people.load_id)
    assert len(table(duck_store, "person")) == 3  # NHS[1] was only in the superseded load


def test_explicit_extract_id_replaces_across_file_names(duck_store, tmp_path):
    key = make_key(tmp_path)
    run(duck_store, "ambulance", write(tmp_path / "a.csv", V1), key=key, extract_id="amb-q1")
    new = run(duck_store, "ambulance", write(tmp_path / "b.csv", V2), key=key, extract_id="amb-q1")
    assert new.files[0].status == "replaced"
    assert len(table(duck_store, "activity")) == 2


def test_failure_part_way_leaves_the_store_as_it_was(duck_store, tmp_path, monkeypatch):
    key = make_key(tmp_path)
    path = tmp_path / "amb_2024-25.csv"
    run(duck_store, "ambulance", write(path, V1), key=key)
    before = snapshot(duck_store)
    real = tablewrite.spine.build_person

    def boom(*args, **kw):  # after activity and the person observations were staged
        real(*args, **kw)
        raise RuntimeError("disk full")

    monkeypatch.setattr(tablewrite.spine, "build_person", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        run(duck_store, "ambulance", write(path, V2), key=key)
    assert snapshot(duck_store) == before
    assert duck_store.runs().status.iloc[-1] == "failed"
    assert not [n for n in duck_store.tables() if n.startswith("__yoc_tmp")]


def test_row_counts_reconcile_in_the_run_log(duck_store, tmp_path):
    key = make_key(tmp_path)
    text = V1 + f"{NHS[4]},i9,2024-13-01,RX9,S&C,1\n"
    run(duck_store, "ambulance", write(tmp_path / "amb.csv", text), key=key)
    entry = json.loads(duck_store.runs().parameters.iloc[-1])["results"][0]["counts"]
    assert entry["rows_read"] == 3
    assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_quarantined"]
    assert json.loads(duck_store.runs().input_rows.iloc[-1]) == {"amb.csv": 3}
