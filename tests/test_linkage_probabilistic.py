"""Probabilistic linkage (Splink) of records with no usable NHS number: match rates reported."""

from __future__ import annotations

import json

import numpy as np

from tests.ingest_support import make_key, run, table, write
from yearofcare.checksum import checksums, differences
from yearofcare.linkage import nhs_number
from yearofcare.linkage.probabilistic import LinkOptions, run_link

N = 40
NHS = nhs_number.generate(np.random.default_rng(9), N)


def _spine() -> str:
    rows = ["NHS_NUMBER,DATE_OF_BIRTH,POSTCODE,SEX,PRACTICE_CODE,REGISTRATION_DATE"]
    for i, n in enumerate(NHS):
        dob = f"{1930 + i}-{1 + i % 12:02d}-{1 + i % 27:02d}"
        rows.append(
            f"{n},{dob},LS{1 + i % 9} {i % 10}A{'BDEFGHJLNP'[i % 10]},{'MF'[i % 2]},Y1,2010-01-01"
        )
    # twins: same date of birth, postcode and sex as person 0 (index 38, 39 overwritten)
    rows[39] = f"{NHS[38]},1930-01-01,LS1 0AB,M,Y1,2010-01-01"
    rows[40] = f"{NHS[39]},1930-01-01,LS1 0AB,M,Y1,2010-01-01"
    return "\n".join(rows) + "\n"


def _social_care() -> str:
    rows = [
        "LA_Person_Unique_Identifier,NHS_Number,Date_of_Birth,Postcode,Gender,Event_Reference,"
        "Event_Type,Event_Start_Date"
    ]

    def add(ref, dob, pc, sex):
        rows.append(f"LA{ref},,{dob},{pc},{sex},e{ref},Assessment,2024-05-01")

    for i in range(1, 7):  # exact copies of spine people 1..6
        add(
            i,
            f"{1930 + i}-{1 + i % 12:02d}-{1 + i % 27:02d}",
            f"LS{1 + i % 9} {i % 10}A{'BDEFGHJLNP'[i % 10]}",
            "MF"[i % 2],
        )
    add(7, "1937-08-09", "LS8 7AL", "Male")  # day typo for person 7 (born 1937-08-08)
    add(8, "1938-09-10", "LS9 8AN", "F")  # day typo for person 8 (born 1938-09-09)
    add(9, "2001-02-03", "ZE2 9XX", "F")  # nobody on the spine
    add(10, "1930-01-01", "LS1 0AB", "M")  # matches the twins equally
    return "\n".join(rows) + "\n"


def test_match_rates_on_a_crafted_set(duck_store, tmp_path):
    key = make_key(tmp_path)
    run(duck_store, "gp_registrations", write(tmp_path / "gp.csv", _spine()), key=key)
    f = run(duck_store, "asc_cld", write(tmp_path / "asc.csv", _social_care()), key=key).files[0]
    assert f.counts["nhs_number_missing"] == 10
    before = table(duck_store, "activity")
    summary = run_link(duck_store, LinkOptions(threshold=0.95, apply=False))
    assert summary["unlinked_people"] == 10
    assert summary["people_accepted"] == 8
    assert summary["people_ambiguous"] == 1
    assert summary["match_rate"] == 0.8
    cands = table(duck_store, "link_candidate")
    assert cands[cands.accepted].unlinked_person_id.nunique() == 8
    assert (table(duck_store, "activity").person_id == before.person_id).all()  # report only

    applied = run_link(duck_store, LinkOptions(threshold=0.95, apply=True))
    assert applied["rows_relinked"] == 8
    loads = table(duck_store, "ingest_load").set_index("source")
    assert loads.loc["asc_cld", "rows_linked_probabilistic"] == 8
    people = table(duck_store, "person")
    assert people.linked.sum() == N
    assert (~people.linked).sum() == 2  # the stranger and the twin-matcher stay unlinked
    assert table(duck_store, "link_summary").applied.tolist() == [False, True]
    again = run_link(duck_store, LinkOptions(threshold=0.95, apply=False))
    assert again["unlinked_people"] == 2
    # issue 10, finding 11: with nothing new, linking again changes nothing
    same = checksums(duck_store)
    repeat = run_link(duck_store, LinkOptions(threshold=0.95, apply=False))
    assert repeat.get("up_to_date") and repeat["link_run_id"] == again["link_run_id"]
    assert not differences(same, checksums(duck_store))
    runs = duck_store.runs()
    assert json.loads(runs[runs.stage == "link"].iloc[-1].parameters)["up_to_date"]


def test_registrations_follow_a_relinked_person(duck_store, tmp_path):
    """A registration loaded without a usable NHS number moves to the spine person with the
    person's other rows; it used to stay under a pseudonym with no `person` row (issue 9)."""
    key = make_key(tmp_path)
    run(duck_store, "gp_registrations", write(tmp_path / "gp.csv", _spine()), key=key)
    moved = ["NHS_NUMBER,DATE_OF_BIRTH,POSTCODE,SEX,PRACTICE_CODE,REGISTRATION_DATE"]
    for i in range(1, 7):  # spine people 1..6 registered at a second practice, no NHS number
        dob = f"{1930 + i}-{1 + i % 12:02d}-{1 + i % 27:02d}"
        pc = f"LS{1 + i % 9} {i % 10}A{'BDEFGHJLNP'[i % 10]}"
        moved.append(f",{dob},{pc},{'MF'[i % 2]},Y2,2020-01-01")
    # person 1 again at Y1 from 2010-01-01: the spine holds that spell already
    moved.append(",1931-02-02,LS2 1AD,F,Y1,2010-01-01")
    run(
        duck_store,
        "gp_registrations",
        write(tmp_path / "gp_moves.csv", "\n".join(moved) + "\n"),
        key=key,
    )
    summary = run_link(duck_store, LinkOptions(threshold=0.95, apply=True))
    assert summary["people_accepted"] == 7  # each row without an NHS number is a person
    reg = table(duck_store, "registration")
    people = set(table(duck_store, "person").person_id)
    assert set(reg.person_id) <= people  # no registration under a pseudonym without a person
    assert (reg.practice_code == "Y2").sum() == 6
    assert not reg.duplicated(["person_id", "practice_code", "start_date"]).any()
    assert len(reg) == N + 6  # the repeated Y1 spell is kept once
