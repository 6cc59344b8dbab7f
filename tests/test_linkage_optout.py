"""National data opt-outs: removed before anything is stored, counted; honoured later too."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from tests.ingest_support import make_key, run, snapshot, table, write
from yearofcare.linkage import nhs_number, pseudonym
from yearofcare.linkage.optout import apply_to_store

NHS = nhs_number.generate(np.random.default_rng(5), 4)
HEADER = "NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,OUTCOME\n"
TEXT = HEADER + "".join(f"{n},i{i},2024-05-0{i + 1},R1,S&C\n" for i, n in enumerate(NHS))


def test_opted_out_rows_are_removed_and_counted(duck_store, tmp_path):
    key = make_key(tmp_path)
    optouts = write(
        tmp_path / "optouts.txt", f"nhs_number\n{NHS[1][:3]} {NHS[1][3:]}\n\n{NHS[3]}\n"
    )
    f = run(
        duck_store, "ambulance", write(tmp_path / "a.csv", TEXT), key=key, optouts_file=optouts
    ).files[0]
    c = f.counts
    assert (c["rows_read"], c["rows_loaded"], c["rows_opted_out"], c["rows_quarantined"]) == (
        4,
        2,
        2,
        0,
    )
    secret = pseudonym.pseudonymise(pa.array([NHS[1], NHS[3]]), pseudonym.load_key(key))
    stored = snapshot(duck_store)
    flat = json.dumps(stored)
    assert not any(s in flat for s in secret.to_pylist())
    assert "ingest_reject" not in stored  # opted-out rows are not quarantined, only counted
    loads = table(duck_store, "ingest_load")
    assert loads.rows_opted_out.item() == 2
    params = json.loads(duck_store.runs().parameters.iloc[-1])
    assert params["optouts_listed"] == 2
    assert params["results"][0]["counts"]["rows_opted_out"] == 2


def test_opt_out_applied_after_loading(duck_store, tmp_path):
    key = make_key(tmp_path)
    run(duck_store, "ambulance", write(tmp_path / "a.csv", TEXT), key=key)
    assert len(table(duck_store, "activity")) == 4
    removed = apply_to_store(duck_store, write(tmp_path / "o.txt", f"{NHS[0]}\n"), key)
    assert removed["activity"] == 1
    assert removed["person"] == 1
    assert len(table(duck_store, "activity")) == 3
    assert duck_store.runs().stage.iloc[-1] == "optout"
