"""Spec tests of `yoc build` (person_year): one behaviour each, on every engine.

One tiny care economy (below) is built once per engine; each test reads the rows of the people
it is about and checks a hand-worked answer. Years built: 2021/22, 2022/23 and 2023/24.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from tests.conftest import ENGINES
from tests.spec import load, rows
from yearofcare import schemas
from yearofcare.engine import connect
from yearofcare.population.config import PopulationConfig
from yearofcare.population.person_year import build
from yearofcare.store import Store

D = date
YEARS = [2021, 2022, 2023]
ALWAYS = D(2000, 1, 1)  # registered since


def _person(pid, born=1960, month=6, sex="F", died=None):
    return {
        "person_id": pid,
        "sex": sex,
        "birth_year": born,
        "birth_month": month,
        "date_of_death": died,
    }


def _event(pid, when, system, code):
    return {
        "person_id": pid,
        "event_date": when,
        "code_system": system,
        "code": code,
        "source": "spec",
    }


def _act(aid, pid, setting, when, **kw):
    return dict(
        activity_id=aid, person_id=pid, source="spec", setting=setting, start_date=when, **kw
    )


STABLE = [
    "lb_old",
    "lb_new",
    "res",
    "young",
    "multi",
    "prefix",
    "charl",
    "cms",
    "cost",
    "block2",
    "rx",
    "pal",
    "dem",
    "chd24",
    "stenosis",
    "sequela",
    "rxact",
    "rxitems",
]

PEOPLE = [
    *[_person(p) for p in STABLE if p != "young"],
    _person("young", born=2005, month=6),
    _person("left"),
    _person("act_only"),
    _person("joiner", born=1990, month=1),
    _person("transfer"),
    _person("died_in", born=1930, died=D(2023, 12, 1)),
    _person("died_after", born=1930, died=D(2024, 8, 15)),
    _person("no_birth", born=None, month=None, sex="M"),  # no birth year in any source
    _person("baby", born=2023, month=12),  # born after 30 September 2023
]

REGISTRATIONS = [
    *[
        {
            "person_id": p,
            "practice_code": "P1",
            "start_date": D(2005, 7, 1) if p == "young" else ALWAYS,
        }
        for p in STABLE
    ],
    {
        "person_id": "left",
        "practice_code": "P1",
        "start_date": D(2010, 1, 1),
        "end_date": D(2022, 6, 30),
        "end_reason": "left",
    },
    {"person_id": "joiner", "practice_code": "P1", "start_date": D(2024, 1, 15)},
    {"person_id": "no_birth", "practice_code": "P1", "start_date": ALWAYS},
    {"person_id": "baby", "practice_code": "P1", "start_date": D(2023, 12, 20)},
    # registered, but under a pseudonym with no person row (e.g. a relinked person's old one)
    {"person_id": "orphan", "practice_code": "P1", "start_date": ALWAYS},
    {
        "person_id": "transfer",
        "practice_code": "A1",
        "start_date": D(2015, 1, 1),
        "end_date": D(2023, 5, 10),
        "end_reason": "transferred",
    },
    {"person_id": "transfer", "practice_code": "B2", "start_date": D(2023, 5, 11)},
    {
        "person_id": "died_in",
        "practice_code": "P1",
        "start_date": ALWAYS,
        "end_date": D(2023, 12, 1),
        "end_reason": "died",
    },
    {
        "person_id": "died_after",
        "practice_code": "P1",
        "start_date": ALWAYS,
        "end_date": D(2024, 8, 15),
        "end_reason": "died",
    },
]
#: registered on 30 September 2023: the eighteen stable people, transfer, died_in, died_after,
#: no_birth and orphan
REGISTERED_30_SEPT_2023 = 23

PRACTICES = [
    {"practice_code": "P1", "locality": "North"},
    {"practice_code": "A1", "locality": "West"},
    {"practice_code": "B2", "locality": "South"},
]

EVENTS = [
    # cancer first diagnosed 2017/18, coded again 2022/23; and one first diagnosed 2021/22
    _event("lb_old", D(2017, 6, 1), "ICD10", "C50"),
    _event("lb_old", D(2022, 6, 1), "ICD10", "C509"),
    _event("lb_new", D(2021, 5, 1), "ICD10", "C50"),
    # asthma diagnosed, resolved in 2021/22 (Read v2 212G.), diagnosed again in 2023/24
    _event("res", D(2018, 5, 1), "SNOMED", "195967001"),
    _event("res", D(2021, 10, 1), "READ2", "212G.00"),
    _event("res", D(2023, 6, 1), "SNOMED", "195967001"),
    # diabetes coded at 14; 16 at the end of 2021/22, 17 at the end of 2022/23
    _event("young", D(2020, 1, 1), "SNOMED", "44054006"),
    # hypertensive heart disease with heart failure: two conditions from one code
    _event("multi", D(2021, 5, 1), "ICD10", "I110"),
    # prefix semantics: I11 is hypertension (entry I11) but not heart failure (entry I110 only)
    _event("prefix", D(2021, 5, 1), "ICD10", "I11"),
    _event("prefix", D(2021, 5, 1), "ICD10", "J45X"),
    _event("prefix", D(2021, 5, 1), "ICD10", "e11.9"),
    # Charlson: each pair with its superior category
    *[
        _event("charl", D(2021, 5, 1), "ICD10", c)
        for c in ("E119", "E112", "C50", "C780", "K703", "K721")
    ],
    # prescriptions: 4 analgesics in 2023/24 (painful condition), only 3 laxatives (constipation)
    *[_event("rx", D(2023, m, 3), "BNF", "0407010H0AAAMAM") for m in (4, 6, 8, 10)],
    *[_event("rx", D(2023, m, 3), "BNF", "0106040M0AAAAAA") for m in (5, 7, 9)],
    # a coded diagnosis needs no prescriptions: constipation coded in 2021/22 only
    _event("rx", D(2021, 6, 1), "SNOMED", "14760008"),
    # CMS: hypertension, depression and anxiety (one CMS condition), dementia
    *[_event("cms", D(2021, 5, 1), "ICD10", c) for c in ("I10", "F32", "F41", "F00")],
    # palliative care register (Z51.5) in 2023/24 beside hypertension: a register, not an LTC
    _event("pal", D(2021, 5, 1), "ICD10", "I10"),
    _event("pal", D(2023, 11, 1), "ICD10", "Z515"),
    # code-list fixes of yoc-ltc-2026.2 (issue 9): dementia in Parkinson's disease (F02.3) and
    # Lewy body dementia (Read Eu025) are dementia; I24.9 is CHD; carotid stenosis without
    # infarction (I65.2) is not a stroke; sequelae of other cerebrovascular disease (I69.8) is
    _event("dem", D(2022, 5, 1), "ICD10", "F023"),
    _event("dem", D(2023, 5, 1), "READ2", "Eu02500"),
    _event("chd24", D(2021, 5, 1), "ICD10", "I249"),
    _event("stenosis", D(2021, 5, 1), "ICD10", "I652"),
    _event("sequela", D(2021, 5, 1), "ICD10", "I698"),
]

ACTIVITY = [
    _act("c1", "cost", "acute_non_elective", D(2023, 5, 1), bed_days=3.0),
    # a delivery and an emergency admission: both non-elective, one emergency admission
    _act("m1", "multi", "acute_non_elective", D(2023, 7, 1), service_type="maternity", cost=2000.0),
    _act("m2", "multi", "acute_non_elective", D(2023, 8, 1), service_type="emergency", cost=1500.0),
    _act("c2", "cost", "outpatient", D(2023, 6, 1)),
    _act("c3", "cost", "outpatient", D(2023, 7, 1)),
    _act("c4", "cost", "outpatient", D(2023, 8, 1), cost=200.0, cost_basis="actual"),
    _act("c5", "cost", "ae", D(2023, 9, 1), cost=150.0, cost_basis="tariff"),
    _act("b1", "cost", "community", D(2023, 5, 2), provider_code="RX1", funding_route="block"),
    _act("b2", "cost", "community", D(2023, 6, 2), provider_code="RX1", funding_route="block"),
    _act("b3", "block2", "community", D(2023, 6, 3), provider_code="RX1", funding_route="block"),
    _act("b4", "block2", "community", D(2023, 6, 4), provider_code="RX2"),
    _act("o1", "act_only", "outpatient", D(2023, 5, 5)),
    _act("d1", "died_in", "gp", D(2024, 1, 10)),
    _act("g1", "ghost", "gp", D(2023, 10, 1)),
    # prescribing extracts: the BNF code is on the activity row; 4 analgesics in 2022/23
    *[
        _act(
            f"rx{m}",
            "rxact",
            "prescribing",
            D(2022, m, 2),
            primary_code="0407010H0AAAMAM",
            primary_code_system="BNF",
            cost=5.0,
            cost_basis="actual",
        )
        for m in (4, 7, 9, 12)
    ],
    # a dispensing row counts its items: 4 analgesic items on one row in 2023/24 (painful
    # condition); 3 laxative items (not constipation)
    _act(
        "rxi1",
        "rxitems",
        "prescribing",
        D(2023, 5, 2),
        primary_code="0407010F0AAAAAA",
        primary_code_system="BNF",
        units=4.0,
        unit_type="items",
        cost=20.0,
        cost_basis="actual",
    ),
    _act(
        "rxi2",
        "rxitems",
        "prescribing",
        D(2023, 5, 2),
        primary_code="0106040M0AAAAAA",
        primary_code_system="BNF",
        units=3.0,
        unit_type="items",
        cost=9.0,
        cost_basis="actual",
    ),
]

CONTRACTS = pd.DataFrame(
    [
        {
            "contract_id": "C1",
            "fy": 2023,
            "setting": "community",
            "provider_code": "RX1",
            "service_type": None,
            "value": 900.0,
            "rule": "activity_share",
        },
        {
            "contract_id": "H1",
            "fy": 2023,
            "setting": "hospice",
            "provider_code": None,
            "service_type": None,
            "value": 1000.0,
            "rule": "registered_equal",
        },
    ]
)


@pytest.fixture(scope="module", params=ENGINES)
def built(request, tmp_path_factory) -> Store:
    kind = request.param
    store = Store(connect(kind, tmp_path_factory.mktemp(f"build-{kind}")))
    load(
        store,
        {
            "person": PEOPLE,
            "registration": REGISTRATIONS,
            "practice": PRACTICES,
            "coded_event": EVENTS,
            "activity": ACTIVITY,
        },
    )
    build(store, PopulationConfig(keep_activity_costed=True), YEARS, CONTRACTS)
    return store


def _py(store: Store, person_id: str) -> dict[int, dict]:
    t = store.table("person_year")
    return {r["fy"]: r for r in rows(store, t.filter(t.person_id == person_id), ["fy"])}


def _flag(store: Store, person_id: str, condition: str) -> list[bool]:
    by_year = _py(store, person_id)
    return [bool(by_year[y][f"ltc_{condition}"]) for y in YEARS]


# ---- conditions ----------------------------------------------------------------------------
def test_cancer_follows_the_qof_register_any_diagnosis_since_2003(built):
    assert _flag(built, "lb_old", "cancer") == [True, True, True]
    assert _flag(built, "lb_new", "cancer") == [True, True, True]


def test_cms_counts_cancer_first_diagnosed_within_five_years_only(built):
    # CMS cancer: the first diagnosis must fall in the 5 financial years ending with the year
    old = [_py(built, "lb_old")[y]["cms_score"] for y in YEARS]
    new = [_py(built, "lb_new")[y]["cms_score"] for y in YEARS]
    assert old == pytest.approx([1.53 if y - 5 < 2017 else 0.0 for y in YEARS])
    assert new == pytest.approx([1.53, 1.53, 1.53])


def test_resolved_code_ends_a_condition_until_diagnosed_again(built):
    assert _flag(built, "res", "asthma") == [False, False, True]
    t = built.table("person_condition")
    got = rows(built, t.filter((t.person_id == "res") & (t.fy == 2022)))
    assert [(r["status"], r["last_resolved_date"].date()) for r in got] == [
        ("resolved", D(2021, 10, 1))
    ]


def test_prescription_defined_conditions_need_four_in_the_year_or_a_code(built):
    assert _flag(built, "rx", "painful_condition") == [False, False, True]  # 4 analgesics
    # constipation: coded in 2021/22; 3 laxatives in 2023/24 are too few
    assert _flag(built, "rx", "constipation") == [True, False, False]
    t = built.table("person_condition")
    got = rows(
        built,
        t.filter((t.person_id == "rx") & (t.condition_id == "constipation")).select(
            "fy", "status", "diagnoses_in_window"
        ),
    )
    assert [(r["fy"], r["status"], r["diagnoses_in_window"]) for r in got] == [
        (2021, "active", 1),
        (2022, "outside_lookback", 0),
        (2023, "too_few_events", 3),
    ]


def test_prescriptions_on_prescribing_activity_count_like_coded_ones(built):
    assert _flag(built, "rxact", "painful_condition") == [False, True, False]
    assert _py(built, "rxact")[2022]["n_prescribing"] == 4


def test_a_prescribing_row_counts_its_items(built):
    assert _flag(built, "rxitems", "painful_condition") == [False, False, True]
    assert _flag(built, "rxitems", "constipation") == [False, False, False]


def test_minimum_age_is_applied_at_the_end_of_the_year(built):
    # born June 2005: 2022 - 2005 - 1 = 16 on 31 March 2022, 17 on 31 March 2023 (diabetes 17+)
    assert _flag(built, "young", "diabetes") == [False, True, True]


def test_a_code_in_two_lists_flags_both_conditions(built):
    assert _flag(built, "multi", "hypertension") == [True] * 3
    assert _flag(built, "multi", "heart_failure") == [True] * 3


def test_icd10_entries_are_prefixes_and_x_filler_is_ignored(built):
    assert _flag(built, "prefix", "hypertension") == [True] * 3  # I11 entry matches I11
    assert _flag(built, "prefix", "heart_failure") == [False] * 3  # entry I110 does not match I11
    assert _flag(built, "prefix", "asthma") == [True] * 3  # J45X -> J45
    assert _flag(built, "prefix", "diabetes") == [True] * 3  # e11.9 -> E119, under entry E11


def test_charlson_hierarchy_counts_only_the_superior_category(built):
    r = _py(built, "charl")[2023]
    # diabetes with complications, metastatic tumour, severe liver disease; not their inferiors
    assert r["charlson_charlson"] == 2 + 6 + 3
    assert r["charlson_quan"] == 1 + 6 + 4
    assert r["charlson_shmi"] == -1 + 14 + 18


def test_cms_counts_anxiety_or_depression_once(built):
    r = _py(built, "cms")[2023]
    assert r["cms_score"] == pytest.approx(0.08 + 0.50 + 2.50)


def test_ltc_count_splits_physical_and_mental(built):
    r = _py(built, "cms")[2023]
    assert (r["ltc_count"], r["physical_ltc_count"], r["mental_ltc_count"]) == (1 + 3, 1, 3)


def test_palliative_care_is_a_register_flag_not_a_long_term_condition(built):
    by_year = _py(built, "pal")
    assert [by_year[y]["ltc_palliative_care"] for y in YEARS] == [False, False, True]
    r = by_year[2023]
    assert (r["ltc_count"], r["physical_ltc_count"], r["mental_ltc_count"]) == (1, 1, 0)
    assert r["cms_score"] == pytest.approx(0.08)  # hypertension only


def test_dementia_in_other_diseases_and_lewy_body_dementia_are_dementia(built):
    assert _flag(built, "dem", "dementia") == [False, True, True]
    # dementia in Parkinson's disease also implies Parkinson's disease
    assert _flag(built, "dem", "parkinsons") == [False, True, True]
    assert _py(built, "dem")[2022]["ltc_count"] == 2


def test_other_acute_ischaemic_heart_disease_is_chd(built):
    assert _flag(built, "chd24", "chd") == [True, True, True]


def test_stenosis_without_infarction_is_not_a_stroke_but_sequelae_are(built):
    assert _flag(built, "stenosis", "stroke_tia") == [False, False, False]
    assert _flag(built, "sequela", "stroke_tia") == [True, True, True]


# ---- costing -------------------------------------------------------------------------------
#: unit costs are moved to 2023/24 by the NHS cost uplift index: from 2016/17 prices
#: (NHSCII 2017/18-2023/24: 1.24%, 1.60%, 2.14%, 2.49%, 2.58%, 7.32%, 4.31%) and from 2024/25
#: prices (back by the 2024/25 NHS Payment Scheme cost uplift of 5.0%)
FROM_2016 = 1.0124 * 1.0160 * 1.0214 * 1.0249 * 1.0258 * 1.0732 * 1.0431
FROM_2024 = 1 / 1.05
NE_LONG_STAY = 5395 * FROM_2024  # c1: 3 bed days, NCC 2024/25 non-elective long stay
OUTPATIENT = 120 * FROM_2016
COMMUNITY = 47 * FROM_2016


def test_supplied_costs_are_kept_and_missing_ones_come_from_unit_costs(built):
    r = _py(built, "cost")[2023]
    assert r["cost_non_elective"] == pytest.approx(NE_LONG_STAY)
    assert r["cost_outpatient"] == pytest.approx(2 * OUTPATIENT + 200)
    assert r["cost_ae"] == 150
    t = built.table("activity_costed")
    got = rows(
        built,
        t.filter(t.activity_id.isin(["c1", "c4", "c5"])).select(
            "activity_id", "cost_basis", "cost_source"
        ),
    )
    assert got == [
        {"activity_id": "c1", "cost_basis": "unit_cost", "cost_source": "ncc_2024_25"},
        {"activity_id": "c4", "cost_basis": "actual", "cost_source": "supplied"},
        {"activity_id": "c5", "cost_basis": "tariff", "cost_source": "supplied"},
    ]


def test_block_value_is_shared_in_proportion_to_contacts(built):
    assert _py(built, "cost")[2023]["cost_community"] == pytest.approx(900 * 2 / 3)
    # block2: one contact under the contract, one with another provider at the unit cost
    assert _py(built, "block2")[2023]["cost_community"] == pytest.approx(900 / 3 + COMMUNITY)
    t = built.table("activity_costed")
    got = rows(built, t.filter(t.activity_id == "b3").select("cost_basis", "cost_source"))
    assert got == [{"cost_basis": "block_share", "cost_source": "C1"}]


def test_block_value_shared_equally_over_the_registered_population(built):
    r = _py(built, "res")[2023]
    assert r["cost_other"] == pytest.approx(1000 / REGISTERED_30_SEPT_2023)
    assert r["n_other"] == 0  # a share is not a contact
    assert _py(built, "joiner")[2023]["cost_other"] == 0  # registered only from January 2024


def test_cost_total_adds_every_setting(built):
    r = _py(built, "cost")[2023]
    assert r["cost_total"] == pytest.approx(
        NE_LONG_STAY + 2 * OUTPATIENT + 200 + 150 + 900 * 2 / 3 + 1000 / REGISTERED_30_SEPT_2023
    )
    assert (r["n_non_elective"], r["n_outpatient"], r["n_community"]) == (1, 3, 2)
    assert r["bed_days_acute"] == 3


# ---- who, when, where ----------------------------------------------------------------------
def test_maternity_spells_are_non_elective_but_not_emergency_admissions(built):
    r = _py(built, "multi")[2023]
    assert (r["n_non_elective"], r["n_emergency"]) == (2, 1)
    assert r["cost_non_elective"] == 2000.0 + 1500.0
    assert _py(built, "cost")[2023]["n_emergency"] == 1  # no service type: an emergency


def test_membership_is_registered_or_active_in_the_year(built):
    t = built.table("person_year")
    got = rows(
        built,
        t.filter(t.person_id.isin(["left", "act_only", "joiner", "ghost"])).select(
            "person_id", "fy"
        ),
    )
    assert [(r["person_id"], r["fy"]) for r in got] == [
        ("act_only", 2023),
        ("ghost", 2023),
        ("joiner", 2023),
        ("left", 2021),
        ("left", 2022),
    ]


def test_months_registered_count_each_month_once(built):
    assert _py(built, "left")[2022]["months_registered"] == 3  # April, May, June 2022
    assert _py(built, "joiner")[2023]["months_registered"] == 3  # January-March 2024
    assert _py(built, "transfer")[2023]["months_registered"] == 12  # May counted once
    assert _py(built, "act_only")[2023]["months_registered"] == 0


def test_practice_is_the_one_registered_with_on_30_september(built):
    r = _py(built, "transfer")[2023]
    assert (r["practice_code"], r["locality"]) == ("B2", "South")
    assert _py(built, "transfer")[2022]["practice_code"] == "A1"
    assert _py(built, "act_only")[2023]["practice_code"] is None


def test_age_on_30_september_and_band(built):
    r = _py(built, "young")[2023]
    assert (r["age"], r["age_band"]) == (2023 - 2005, "18-64")  # born June: birthday passed
    assert _py(built, "died_in")[2023]["age_band"] == "85+"
    assert (_py(built, "baby")[2023]["age"], _py(built, "baby")[2023]["age_band"]) == (0, "0-17")


def test_unknown_birth_year_is_the_unknown_band_not_age_0(built):
    """`greatest(age, 0)` skips nulls on both engines: a missing birth year used to be age 0."""
    r = _py(built, "no_birth")[2023]
    assert (r["age"], r["age_band"], r["sex"]) == (None, "unknown", "M")


def test_registered_person_years_without_a_person_row_are_kept_and_reported(built):
    r = _py(built, "orphan")
    assert sorted(r) == YEARS
    assert (r[2023]["age"], r[2023]["age_band"], r[2023]["sex"]) == (None, "unknown", "U")
    t = built.table("build_dq_finding")
    got = rows(built, t.filter(t.finding == "registered_without_person").select("person_id", "fy"))
    assert got == [{"person_id": "orphan", "fy": y} for y in YEARS]


def test_person_years_of_unknown_age_are_reported(built):
    t = built.table("build_dq_finding")
    got = rows(
        built,
        t.filter(t.finding == "unknown_age").select("person_id", "fy", "detail"),
        ["person_id", "fy"],
    )
    assert [(r["person_id"], r["fy"], r["detail"]) for r in got] == [
        ("ghost", 2023, "no person row (not registered)"),
        *[("no_birth", y, "no birth year in any source (registered)") for y in YEARS],
        *[("orphan", y, "no person row (registered)") for y in YEARS],
    ]


def test_died_in_year_and_last_year_of_life(built):
    died_in = _py(built, "died_in")
    assert [died_in[y]["died_in_year"] for y in YEARS] == [False, False, True]
    assert [died_in[y]["last_year_of_life"] for y in YEARS] == [False, False, True]
    # died 15 August 2024: within six months after 2023/24 ends (30 September 2024)
    after = _py(built, "died_after")
    assert [after[y]["died_in_year"] for y in YEARS] == [False, False, False]
    assert [after[y]["last_year_of_life"] for y in YEARS] == [False, False, True]


def test_activity_after_death_is_reported_and_kept(built):
    assert _py(built, "died_in")[2023]["n_gp"] == 1
    t = built.table("build_dq_finding")
    got = rows(built, t.select("finding", "person_id", "activity_id"))
    assert {"finding": "activity_after_death", "person_id": "died_in", "activity_id": "d1"} in got
    meta = built.table("person_year_meta")
    got = rows(built, meta.filter(meta.item == "dq_activity_after_death").select("value"))
    assert got == [{"value": "1"}]


def test_activity_for_an_unknown_person_is_reported_and_kept(built):
    assert _py(built, "ghost")[2023]["n_gp"] == 1
    t = built.table("build_dq_finding")
    got = rows(built, t.filter(t.finding == "activity_for_unknown_person").select("person_id"))
    assert got == [{"person_id": "ghost"}]


# ---- contract and provenance ---------------------------------------------------------------
def test_person_year_has_exactly_the_declared_columns(built):
    assert built.table("person_year").columns == schemas.get("person_year").names


def test_outputs_record_the_versions_used(built):
    meta = {r["item"]: r["value"] for r in rows(built, built.table("person_year_meta"))}
    assert meta["codelist"] == "yoc-ltc-2026.2"
    assert meta["unit_costs"] == "nhsi_2017,pssru_2017,ncc_2024_25,pssru_2025"
    assert meta["price_uplift"] == "nhs_cost_uplift_2025_26"
    assert meta["years"] == "2021,2022,2023"
    log = built.runs()
    params = json.loads(log[log.stage == "build"].iloc[-1].parameters)
    assert params["codelist"] == "yoc-ltc-2026.2"
    assert params["codelist_sha256"] == meta["codelist_sha256"]
    assert params["dq_findings"] == {
        "activity_after_death": 1,
        "activity_for_unknown_person": 1,
        "registered_without_person": 3,
        "unknown_age": 7,
    }
