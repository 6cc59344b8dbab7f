"""A hospital spell is one admission whatever its episodes' NHS numbers say (issue 9 item 1).

Spells used to be formed per person before linkage: an episode whose NHS number was missing or
failed its check digit became its own person, its own spell, and was priced again; and a
supplied `SPELL_TARIFF` was summed over the spell's episodes. Runs on both engines (the spell
build is Ibis on the store's engine).
"""

from __future__ import annotations

from tests.ingest_support import make_key, run, table, write

VALID = "9434765919"  # passes modulus 11
INVALID = "9434765910"  # fails it
HEADER = (
    "NEWNHSNO,EPIKEY,PROVSPNOPS,ADMIDATE,DISDATE,EPISTART,EPIEND,EPIORDER,EPISTAT,ADMIMETH,"
    "CLASSPAT,DISMETH,PROCODE3,SEX,MYDOB,SPELL_TARIFF,DIAG_4_01,OPERTN_4_01\n"
)
EPISODES = HEADER + (
    # spell S1: three episodes; only the second has a valid NHS number; the extract repeats
    # the spell tariff on every episode
    f"{INVALID},e1,S1,2024-05-01,,2024-05-01,2024-05-03,1,3,21,1,,RXX,1,031950,3059.71,I10X,-\n"
    f"{VALID},e2,S1,2024-05-01,,2024-05-03,2024-05-06,2,3,21,1,,RXX,1,031950,3059.71,E119,-\n"
    f",e3,S1,2024-05-01,2024-05-10,2024-05-06,2024-05-10,3,3,21,1,1,RXX,1,031950,3059.71,R69X,-\n"
    # spell S2 at another provider: no episode has a usable NHS number; tariff on episode 2 only
    f",e4,S2,2024-07-01,,2024-07-01,2024-07-02,1,3,22,1,,RYY,2,111940,,J449,-\n"
    f"{INVALID},e5,S2,2024-07-01,2024-07-05,2024-07-02,2024-07-05,2,3,22,1,1,RYY,2,111940,"
    "1590,J440,-\n"
)


def test_a_multi_episode_spell_with_invalid_nhs_numbers_is_one_admission(store, tmp_path):
    path = write(tmp_path / "apc_2024-25.csv", EPISODES)
    f = run(store, "hes_apc", path, key=make_key(tmp_path)).files[0]
    a = table(store, "activity").sort_values("start_date").reset_index(drop=True)
    assert f.counts["rows_loaded"] == 5
    # two spells, not five admissions
    assert list(a.activity_id) == [f"{f.load_id}-e1", f"{f.load_id}-e4"]
    # the tariff is taken once: 3,059.71 (not 3 × 3,059.71), and 1,590 from episode 2 of S2
    assert list(a.cost) == [3059.71, 1590.0]
    assert list(a.cost_basis) == ["tariff", "tariff"]
    assert [d.day for d in a.end_date] == [10, 5]
    # S1 belongs to the person of its valid NHS number, with every episode's diagnoses
    people = table(store, "person")
    linked = people[people.linked]
    assert len(linked) == 1
    assert a.person_id[0] == linked.person_id.iloc[0]
    events = table(store, "coded_event")
    s1 = events[events.activity_id == a.activity_id[0]]
    assert sorted(s1.code) == ["E119", "I10", "R69"]
    assert set(s1.person_id) == {a.person_id[0]}
    # S2 has no usable identifier: one unlinked person for the whole spell, not two
    assert len(people) == 2
    assert f.counts["rows_person_shared"] == 3  # e1 and e3 join e2's person; e5 joins e4's
    loads = table(store, "ingest_load")
    assert int(loads.rows_unlinked.iloc[0]) == 2  # S2's two episodes
    assert int(loads.persons.iloc[0]) == 2


def test_non_elective_spells_keep_their_kind(store, tmp_path):
    """Maternity, births and transfers are non-elective but not emergency admissions (issue 9
    item 7: maternity spells were counted as emergency admissions)."""
    rows = [
        f"{VALID},m{i},S{i},2024-05-0{i},2024-05-0{i},2024-05-0{i},2024-05-0{i},1,3,{meth},1,1,"
        "RXX,2,031990,,O800,-"
        for i, meth in enumerate(("21", "31", "82", "81"), start=1)
    ]
    path = write(tmp_path / "apc_nel.csv", HEADER + "\n".join(rows) + "\n")
    run(store, "hes_apc", path, key=make_key(tmp_path))
    a = table(store, "activity").sort_values("start_date")
    assert set(a.setting) == {"acute_non_elective"}
    assert list(a.service_type) == ["emergency", "maternity", "birth", "transfer"]


def test_a_sus_spell_without_a_provider_spell_number_is_one_admission(store, tmp_path):
    """SUS extracts key spells by `SUSSPELLID` (no `PROVSPNOPS`, no `EPISTAT`): the same
    stable key holds the spell together when its episodes' NHS numbers are missing or fail
    their check digit, and the tariff repeated on each episode is taken once."""
    text = (
        "NEWNHSNO,EPIKEY,SUSSPELLID,ADMIDATE,DISDATE,EPISTART,EPIEND,EPIORDER,ADMIMETH,"
        "CLASSPAT,DISMETH,PROCODE3,SEX,MYDOB,SPELL_TARIFF,DIAG_4_01,OPERTN_4_01\n"
        ",k1,X9,2024-06-01,,2024-06-01,2024-06-02,1,21,1,,RZZ,1,031950,2100,I500,-\n"
        f"{INVALID},k2,X9,2024-06-01,2024-06-08,2024-06-02,2024-06-08,2,21,1,1,RZZ,1,031950,"
        "2100,I10X,-\n"
    )
    path = write(tmp_path / "sus_apc.csv", text)
    f = run(store, "hes_apc", path, key=make_key(tmp_path)).files[0]
    a = table(store, "activity")
    assert f.counts["rows_loaded"] == 2 and f.counts["rows_person_shared"] == 1
    assert list(a.activity_id) == [f"{f.load_id}-k1"]  # one admission, not two
    assert (a.cost.iloc[0], a.cost_basis.iloc[0]) == (2100.0, "tariff")  # not 2 × 2,100
    assert a.bed_days.iloc[0] == 7.0
    assert len(table(store, "person")) == 1
