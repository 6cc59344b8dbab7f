"""Canonical files (CSV or Parquet in our schema): NHS numbers or our pseudonyms, traced ids."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.ingest_support import make_key, run, table, write
from yearofcare.errors import ConfigError
from yearofcare.linkage import nhs_number, pseudonym

NHS = nhs_number.generate(np.random.default_rng(21), 3)
ACTIVITY = (
    "nhs_number,activity_id,source,setting,service_type,start_date,end_date,units,unit_type,"
    "cost,cost_basis,funding_route\n"
    f"{NHS[0]},H1,hospice,hospice,hospice_at_home,2024-05-01,2024-05-01,1,contact,90,block_share,charitable\n"
    f"{NHS[1]},H2,hospice,hospice,hospice_inpatient,2024-06-01,2024-06-08,7,bed_days,3150,block_share,charitable\n"
    f"{NHS[2]},H3,hospice,hospice,hospice_at_home,2024-07-01,2024-07-01,1,fortnights,,,charitable\n"
)


def test_canonical_activity_loads_on_every_engine(store, tmp_path):
    f = run(
        store,
        "canonical",
        write(tmp_path / "activity_hospice_2024-25.csv", ACTIVITY),
        key=make_key(tmp_path),
    ).files[0]
    assert f.counts["rows_loaded"] == 3
    assert f.reasons == {"corrected:unknown_code": 1}  # unit_type "fortnights"
    a = table(store, "activity").sort_values("activity_id")
    assert a.activity_id.tolist() == [f"{f.load_id}-H1", f"{f.load_id}-H2", f"{f.load_id}-H3"]
    assert a.cost.tolist()[:2] == [90.0, 3150.0]
    assert a.unit_type.isna().tolist() == [False, False, True]
    assert a.start_date.dt.date.tolist()[1] == date(2024, 6, 1)
    assert len(table(store, "person")) == 3


def test_canonical_parquet_with_our_pseudonyms(duck_store, tmp_path):
    key_file = make_key(tmp_path)
    p = pseudonym.pseudonymise(pa.array(list(NHS[:2])), pseudonym.load_key(key_file))
    t = pa.table(
        {
            "response_id": ["r1", "r2"],
            "person_id": p,
            "survey": ["LTC6", "LTC6"],
            "response_date": pa.array([date(2024, 5, 1), date(2024, 5, 2)]),
            "q1": pa.array([3, 2], pa.int8()),
            "q2": pa.array([1, None], pa.int8()),
        }
    )
    path = tmp_path / "survey_response_2024-25.parquet"
    pq.write_table(t, path)
    f = run(duck_store, "canonical", path, key=key_file).files[0]
    assert (f.counts["rows_loaded"], f.counts["pseudonym_supplied"]) == (2, 2)
    s = table(duck_store, "survey_response").sort_values("response_id")
    assert s.person_id.tolist() == p.to_pylist()
    assert s.response_id.tolist() == [f"{f.load_id}-r1", f"{f.load_id}-r2"]
    assert table(duck_store, "person").linked.all()


def test_canonical_table_must_be_named(duck_store, tmp_path):
    with pytest.raises(ConfigError, match="which canonical table"):
        run(
            duck_store, "canonical", write(tmp_path / "stuff.csv", ACTIVITY), key=make_key(tmp_path)
        )


def test_mapping_file_renames_and_maps_without_code_changes(duck_store, tmp_path):
    text = (
        "NHS_NO;INCIDENT;CALL_DATE;TRUST;RESULT\n"
        f"{NHS[0]};i1;01/05/2024;RX9;Conveyed to ED\n"
        f"{NHS[1]};i2;02/05/2024;RX9;Advice only\n"
    )
    mapping = write(
        tmp_path / "amb.yaml",
        "source: ambulance\n"
        "delimiter: ';'\n"
        "columns: {NHS_NUMBER: NHS_NO, INCIDENT_ID: INCIDENT, INCIDENT_DATE: CALL_DATE,"
        " TRUST_CODE: TRUST, OUTCOME: RESULT}\n"
        "date_formats: {INCIDENT_DATE: ['%d/%m/%Y']}\n"
        "code_maps: {OUTCOME: {'Conveyed to ED': see_treat_convey, 'Advice only': hear_and_treat}}\n"
        "defaults: {funding_route: nhs_england}\n",
    )
    f = run(
        duck_store,
        "ambulance",
        write(tmp_path / "local_amb.csv", text),
        key=make_key(tmp_path),
        mapping_file=mapping,
    ).files[0]
    assert f.counts["rows_loaded"] == 2 and not f.reasons
    a = table(duck_store, "activity").sort_values("start_date")
    assert a.service_type.tolist() == ["see_treat_convey", "hear_and_treat"]
    assert a.funding_route.unique().tolist() == ["nhs_england"]
    assert a.start_date.dt.date.tolist() == [date(2024, 5, 1), date(2024, 5, 2)]


def test_mapping_file_typos_fail_loudly(duck_store, tmp_path):
    mapping = write(tmp_path / "bad.yaml", "columns: {INCIDENT_DT: X}\n")
    with pytest.raises(ConfigError, match=r"INCIDENT_DT.*is not a column of the ambulance format"):
        run(
            duck_store,
            "ambulance",
            write(tmp_path / "a.csv", "x\n1\n"),
            key=make_key(tmp_path),
            mapping_file=mapping,
        )
    mapping = write(tmp_path / "bad2.yaml", "delimeter: ';'\n")
    with pytest.raises(ConfigError, match="setting delimeter"):
        run(
            duck_store,
            "ambulance",
            write(tmp_path / "a.csv", "x\n1\n"),
            key=make_key(tmp_path),
            mapping_file=mapping,
        )
