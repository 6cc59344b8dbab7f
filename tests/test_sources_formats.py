"""Each format's own conventions, on tiny files: what becomes activity, codes and people."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tests.ingest_support import make_key, run, table, write
from yearofcare.linkage import nhs_number

NHS = nhs_number.generate(np.random.default_rng(31), 6)


@pytest.fixture
def load(duck_store, tmp_path):
    key = make_key(tmp_path)

    def _load(source: str, name: str, text: str, **kw):
        return run(duck_store, source, write(tmp_path / name, text), key=key, **kw).files[0]

    return _load


def test_hes_op_quirks_and_non_attendance(load, duck_store):
    text = (
        "TOKEN_PERSON_ID|ATTENDKEY|APPTDATE|ATTENDED|FIRSTATT|PROCODE3|SEX|DIAG_4_01|OPERTN_01\n"
        "T1|a1|2024-05-01|5|1|RXX|2|-|&\n"
        "T1|a2|2024-06-01|6|2|RXX|2|I10X|\t\n"
        "T2|a3|2024-06-02|3|2|RXX|1||X\n"  # did not attend
    )
    f = load("hes_op", "op.txt", text)
    assert (f.counts["rows_loaded"], f.counts["rows_excluded"]) == (2, 1)
    assert f.reasons == {"quarantined:excluded": 1, "quarantined:invalid_code": 1}
    a = table(duck_store, "activity").sort_values("start_date")
    assert a.service_type.tolist() == ["first_attendance", "follow_up"]
    assert set(a.unit_type) == {"attendance"}
    ev = table(duck_store, "coded_event")
    assert ev[["code_system", "code"]].values.tolist() == [["ICD10", "I10"]]


def test_hes_ae_diagnoses_are_not_icd10(load, duck_store):
    text = (
        "TOKEN_PERSON_ID,AEKEY,ARRIVALDATE,PROCODE3,AEDEPTTYPE,SEX,MYDOB,DIAG_01\n"
        "T1,e1,2019-01-05,RXX,01,1,061950,031\n"
        "T2,e2,2019-01-06,RXX,3,2,,\n"
    )
    load("hes_ae", "ae.csv", text)
    a = table(duck_store, "activity").sort_values("start_date")
    assert a.service_type.tolist() == ["type_1", "type_3"]
    assert a.primary_code.tolist()[0] == "031"
    assert a.primary_code_system.isna().all()
    assert not duck_store.exists("coded_event")


def test_ecds_snomed_diagnoses_and_price(load, duck_store):
    text = (
        "NHS_NUMBER,EPIKEY,ARRIVAL_DATE,DEPARTURE_DATE,PROVIDER_CODE,DEPARTMENT_TYPE,"
        "STATED_GENDER,BIRTH_YEAR,BIRTH_MONTH,FINAL_PRICE,DIAGNOSIS_CODE_1,DIAGNOSIS_CODE_2\n"
        f"{NHS[0]},e1,20240501,20240502,RXX,01,2,1950,6,172.5,22298006,44054006\n"
    )
    load("ecds", "ecds.csv", text)
    a = table(duck_store, "activity").iloc[0]
    assert (a.cost, a.cost_basis, a.primary_code_system) == (172.5, "tariff", "SNOMED")
    assert a.end_date.date() == date(2024, 5, 2)
    ev = table(duck_store, "coded_event")
    assert sorted(ev.code) == ["22298006", "44054006"]
    p = table(duck_store, "person").iloc[0]
    assert (p.sex, p.birth_year, p.birth_month, p.linked) == ("F", 1950, 6, True)


def test_gp_events_read_codes_and_consultations(load, duck_store):
    text = (
        "NHS_NUMBER,PRACTICE_CODE,EVENT_DATE,CODE_SYSTEM,CODE,VALUE,CONSULTATION_ID,CONSULTATION_TYPE\n"
        f"{NHS[0]},Y1,2024-05-01,Read,G30..00,,c1,surgery\n"
        f"{NHS[0]},Y1,2024-05-01,SNOMED,44054006,48.5,c1,surgery\n"
        f"{NHS[0]},Y1,2024-05-02,,,,c2,telephone\n"
        f"{NHS[0]},Y1,2024-05-03,SNOMED,38341003,,c3,administrative\n"
        f"{NHS[1]},Y1,2024-05-04,SNOMED,12,,,\n"  # not a SNOMED concept id
    )
    f = load("gp_events", "gp.csv", text)
    assert f.reasons == {"quarantined:invalid_code": 1}
    a = table(duck_store, "activity").sort_values("start_date")
    assert a.service_type.tolist() == ["surgery_consultation", "telephone_consultation"]
    # the type is the currency too, so each is priced at its own unit cost (issue 9 item 5)
    assert a.currency.tolist() == a.service_type.tolist()
    assert a.activity_id.tolist() == [f"{f.load_id}-cc1", f"{f.load_id}-cc2"]
    ev = table(duck_store, "coded_event").sort_values("code")
    assert ev[["code_system", "code"]].values.tolist() == [
        ["SNOMED", "38341003"],
        ["SNOMED", "44054006"],
        ["READ2", "G30.."],
    ]
    assert ev.value.tolist()[1] == 48.5


def test_gp_registrations_give_the_spine(load, duck_store):
    text = (
        "NHS_NUMBER,DATE_OF_BIRTH,POSTCODE,SEX,LSOA,IMD_DECILE,PRACTICE_CODE,PRACTICE_NAME,"
        "REGISTRATION_DATE,DEREGISTRATION_DATE,DEREGISTRATION_REASON,DATE_OF_DEATH,PLACE_OF_DEATH\n"
        f"{NHS[0]},1940-03-15,LS1 4AB,F,E01000001,3,Y1,One,2010-01-01,2024-02-01,D,,\n"
        f"{NHS[1]},1960-07-01,LS2 4AB,M,E01000002,7,Y2,Two,2015-06-01,,,,\n"
        f"{NHS[1]},1960-07-01,LS2 4AB,M,E01000002,7,Y1,One,2005-01-01,2015-05-31,T,,\n"
    )
    load("gp_registrations", "reg.csv", text)
    reg = table(duck_store, "registration").sort_values("start_date")
    assert reg.end_reason.fillna("-").tolist() == ["transferred", "died", "-"]
    people = table(duck_store, "person").sort_values("birth_year")
    died = people.iloc[0]
    assert (died.birth_year, died.birth_month, died.imd_decile) == (1940, 3, 3)
    assert died.date_of_death.date() == date(2024, 2, 1)
    assert sorted(table(duck_store, "practice").practice_code) == ["Y1", "Y2"]
    assert len(table(duck_store, "link_key")) == 2


def test_asc_cld_costs_and_bed_days(load, duck_store):
    text = (
        "LA_Person_Unique_Identifier,NHS_Number,Event_Reference,Event_Type,Event_Start_Date,"
        "Event_End_Date,Service_Component,Unit_Cost,Cost_Frequency_Unit_Type,Planned_units_per_week\n"
        f"C1,{NHS[0]},s1,Service,2024-04-01,2024-04-14,Home care,26,Hourly,10\n"
        f"C1,{NHS[0]},s2,Service,2024-05-01,2024-05-07,Residential care,750,Weekly,\n"
        "C2,,r1,Request,2024-05-01,,,,,\n"
        "C2,,a1,Assessment,2024-05-08,,,,,\n"
    )
    f = load("asc_cld", "asc_2024-25.csv", text)
    assert (f.counts["rows_loaded"], f.counts["rows_excluded"]) == (3, 1)
    a = table(duck_store, "activity").set_index("activity_id")
    home, res = a.loc[f"{f.load_id}-s1"], a.loc[f"{f.load_id}-s2"]
    assert (home.units, home.unit_type, home.cost) == (2.0, "weeks", 520.0)
    assert (res.service_type, res.bed_days, res.cost) == ("residential_care", 7.0, 750.0)
    assessment = a.loc[f"{f.load_id}-a1"]
    assert (assessment.service_type, assessment.unit_type) == ("assessment", "contact")
    assert f.counts["nhs_number_missing"] == 2


def test_mhsds_stays_count_bed_days(load, duck_store):
    text = (
        "NHSNumber,RecordId,RecordType,CareContDate,EndDate,OrgIDProv,ServiceType,Cost,PrimDiag\n"
        f"{NHS[2]},m1,STAY,2024-05-01,2024-05-11,RMH,Acute Adult Inpatient,4500,F20.0\n"
        f"{NHS[2]},m2,CONTACT,2024-06-01,,RMH,Community Mental Health Team,150,\n"
    )
    load("mhsds", "mh.csv", text)
    a = table(duck_store, "activity").sort_values("start_date")
    assert a.unit_type.tolist() == ["bed_days", "contact"]
    assert a.bed_days.tolist()[0] == 10.0
    assert a.service_type.tolist() == ["acute_adult_inpatient", "community_mental_health_team"]
    assert table(duck_store, "coded_event").code.tolist() == ["F200"]


def test_prescribing_items_and_cost(load, duck_store):
    text = (
        "NHS_NUMBER,ITEM_ID,DISPENSED_DATE,BNF_CODE,ITEMS,NIC,ACTUAL_COST\n"
        f"{NHS[3]},p1,202405,0212000B0AAABAB,2,3.10,2.95\n"
        f"{NHS[3]},p2,202406,0212000B0AAABAB,1,1.50,\n"
    )
    load("prescribing", "rx.csv", text)
    a = table(duck_store, "activity").sort_values("start_date")
    assert a.cost.tolist() == [2.95, 1.5]
    assert a.units.tolist() == [2.0, 1.0]
    assert a.start_date.dt.date.tolist() == [date(2024, 5, 1), date(2024, 6, 1)]
    assert set(a.primary_code_system) == {"BNF"}
