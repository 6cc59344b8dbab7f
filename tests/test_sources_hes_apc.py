"""HES APC: the Artificial HES sample ingests with every row accounted for; spells are built."""

from __future__ import annotations

from datetime import date

import pytest

from tests.ingest_support import EXCERPT, SHARED_APC, make_key, run, table, write

HEADER = (
    "PSEUDO_HESID,EPIKEY,ADMIDATE,DISDATE,EPISTART,EPIEND,EPIORDER,EPISTAT,ADMIMETH,"
    "CLASSPAT,DISMETH,PROCODE3,SEX,MYDOB,DIAG_4_01,DIAG_4_02,OPERTN_4_01\n"
)
SPELLS = HEADER + (
    # person A, emergency spell of three episodes (I10X twice, E119 once, one procedure)
    "TOKA,e1,2024-05-01,,2024-05-01,2024-05-03,1,3,21,1,,RXX,1,031950,I10X,-,-\n"
    "TOKA,e2,2024-05-01,2024-05-10,2024-05-03,2024-05-10,3,3,21,1,1,RXX,1,031950,I10X,,\n"
    "TOKA,e3,2024-05-01,,2024-05-03,2024-05-06,2,3,21,1,,RXX,1,031950,E119,R69X,K401\n"
    # person A, elective day case
    "TOKA,e4,2024-06-01,2024-06-01,2024-06-01,2024-06-01,1,3,11,2,1,RXX,1,031950,N40X,,M653\n"
    # person B, episodes out of order in the file; died in hospital
    "TOKB,e6,2024-07-01,2024-07-05,2024-07-02,2024-07-05,2,3,22,1,4,RYY,2,111940,J440,,\n"
    "TOKB,e5,2024-07-01,,2024-07-01,2024-07-02,1,3,22,1,,RYY,2,111940,J449,I10X,\n"
)


def _spells(store, tmp_path):
    path = write(tmp_path / "apc_spells.csv", SPELLS)
    result = run(store, "hes_apc", path, key=make_key(tmp_path))
    return result.files[0], table(store, "activity").sort_values("start_date")


def test_episodes_are_built_into_spells(store, tmp_path):
    f, a = _spells(store, tmp_path)
    assert f.counts["rows_read"] == 6
    assert f.counts["rows_loaded"] == 6
    assert len(a) == 3
    first, day_case, died = (a.iloc[i] for i in range(3))
    assert first.activity_id == f"{f.load_id}-e1"
    assert (first.setting, first.unit_type, first.units) == ("acute_non_elective", "spell", 1.0)
    assert first.end_date.date() == date(2024, 5, 10)
    assert first.bed_days == 9.0
    assert (first.primary_code, first.primary_code_system) == ("I10", "ICD10")
    assert day_case.setting == "acute_day_case"
    assert day_case.bed_days == 0.0
    assert died.activity_id == f"{f.load_id}-e5"  # EPIORDER 1, though second in the file
    assert died.primary_code == "J449"
    events = table(store, "coded_event")
    spell1 = events[events.activity_id == first.activity_id]
    assert sorted(zip(spell1.code_system, spell1.code, strict=True)) == [
        ("ICD10", "E119"),
        ("ICD10", "I10"),
        ("ICD10", "R69"),
        ("OPCS4", "K401"),
    ]
    assert set(spell1.event_date.dt.date) == {date(2024, 5, 1)}


def test_death_in_hospital_reaches_the_person(duck_store, tmp_path):
    _spells(duck_store, tmp_path)
    people = table(duck_store, "person").sort_values("birth_year")
    assert len(people) == 2
    b = people.iloc[0]
    assert (b.sex, b.birth_year, b.birth_month) == ("F", 1940, 11)
    assert b.date_of_death.date() == date(2024, 7, 5)
    assert b.place_of_death == "hospital"
    assert not people.linked.any()  # tokens link HES to itself, not to the NHS-number spine


def test_excerpt_counts_are_pinned(duck_store, tmp_path):
    f = run(duck_store, "hes_apc", EXCERPT, key=make_key(tmp_path)).files[0]
    c = f.counts
    assert (c["rows_read"], c["rows_loaded"], c["rows_quarantined"]) == (200, 192, 8)
    assert c["rows_read"] == c["rows_loaded"] + c["rows_quarantined"] + c["rows_opted_out"]
    assert f.reasons == {
        "quarantined:excluded": 5,  # unfinished episodes (EPISTAT 1)
        "quarantined:unknown_code": 2,  # ADMIMETH 99
        "quarantined:invalid_date": 4,  # one row with 1801-01-01 in four date columns
        "corrected:impossible_date": 3,  # MYDOB 011801
        "corrected:invalid_code": 4,  # 7999, 0000 diagnoses; OPCS "8"
    }
    assert f.output_rows["activity"] == 192  # one episode per spell in artificial data
    assert f.output_rows["coded_event"] == 659
    assert c["token_linked"] == 200
    events = table(duck_store, "coded_event")
    assert (events.code == "I10").sum() == 6
    assert not events.code.str.contains("X$|-|^7999$|^0000$", regex=True).any()


@pytest.mark.skipif(not SHARED_APC.exists(), reason="../shared/data not present")
def test_full_artificial_hes_sample_counts_are_pinned(duck_store, tmp_path):
    f = run(duck_store, "hes_apc", SHARED_APC, key=make_key(tmp_path)).files[0]
    c = f.counts
    assert (c["rows_read"], c["rows_loaded"], c["rows_quarantined"]) == (2075, 2056, 19)
    assert f.reasons == {
        "quarantined:excluded": 16,
        "quarantined:unknown_code": 2,
        "quarantined:invalid_date": 4,
        "corrected:impossible_date": 8,
        "corrected:invalid_code": 4,
    }
    assert f.output_rows == {
        "activity": 2056,
        "coded_event": 6934,
        "person": 987,
        "record": 2056,  # one record key per loaded episode (ingest_record)
        "reject": 34,
    }
    rejects = table(duck_store, "ingest_reject")
    quarantined_rows = rejects[rejects.action == "quarantined"].row_number.nunique()
    assert quarantined_rows == 19
    assert set(rejects.columns) >= {"file_name", "row_number", "column", "reason", "message"}
    events = table(duck_store, "coded_event")
    assert (events.code == "I10").sum() == 124  # the 124 episodes coded I10X
    loads = table(duck_store, "ingest_load")
    assert loads.rows_read.item() == loads.rows_loaded.item() + loads.rows_quarantined.item()
