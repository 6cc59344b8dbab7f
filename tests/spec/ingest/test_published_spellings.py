"""Hospital extracts load in every published spelling with no mapping file (issue 9 item 8).

The HES OP and A&E adapters used to accept only one dictionary's names (TOKEN_PERSON_ID but not
the APC's PSEUDO_HESID; PROCODE3 but not the Artificial HES OP file's PROCODET), so NHS
Digital's own Artificial HES OP file did not load. Preflight is engine-free and the rows built
are the adapters' (tested elsewhere on both engines), so these run on DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest_support import DATA, make_key, run, table, write
from yearofcare import sources
from yearofcare.errors import InputError
from yearofcare.sources import field_names

#: Published spellings are resolved by preflight and the parse, which run on the private DuckDB
#: scratch whatever the store's engine; the engine-side build is covered on both engines by
#: test_hes_apc_spells.
SCRATCH_ONLY = pytest.mark.duckdb_only(reason="preflight and parse run on the DuckDB scratch")

HEADERS = json.loads((DATA / "artificial_hes_headers.json").read_text(encoding="utf-8"))
HES = {"apc": "hes_apc", "op": "hes_op", "ae": "hes_ae"}


def _file(path: Path, header: list[str], rows: list[dict[str, str]], sep: str = ",") -> Path:
    lines = [sep.join(header)]
    upper = {h.upper(): h for h in header}
    for r in rows:
        values = {upper[k.upper()]: v for k, v in r.items() if k.upper() in upper}
        lines.append(sep.join(values.get(h, "") for h in header))
    return write(path, "\n".join(lines) + "\n")


# ---- the table itself ---------------------------------------------------------------------------
def test_a_field_accepted_in_one_hes_data_set_is_accepted_in_all_that_carry_it():
    names = field_names.load()
    for f in names.fields:
        for dataset in f.datasets:
            adapter = sources.get(HES[dataset])
            mine = [c.name for c in adapter.columns if f.has(c.name)]
            assert len(mine) == 1, f"{adapter.name} has no column for {f.field} ({mine})"
    for dataset, source in HES.items():  # the example: the HES person token
        accepted = names.alternatives(sources.get(source))
        token = next(c.name for c in sources.get(source).columns if c.kind == "token")
        assert {"PSEUDO_HESID", "TOKEN_PERSON_ID"} <= {token, *accepted[token]}, dataset


def test_every_spelling_has_a_publisher_with_a_url():
    names = field_names.load()
    for f in names.fields:
        for s in f.spellings:
            assert names.publishers[s.by]["url"].startswith("https://"), s


# ---- NHS Digital's Artificial HES files (pipe-delimited, their full headers) -------------------
ARTIFICIAL_ROWS = {
    "op": [
        {
            "Token_Person_ID": "T1",
            "ATTENDKEY": "k1",
            "APPTDATE": "2024-05-01",
            "ATTENDED": "5",
            "FIRSTATT": "1",
            "PROCODET": "RXX",
            "SEX": "2",
            "LSOA11": "E01000001",
            "DIAG_4_01": "I10X",
            "OPERTN_01": "&",
            "OPERTN_4_01": "-",
        }
    ],
    "ae": [
        {
            "Token_Person_ID": "T1",
            "AEKEY": "a1",
            "ARRIVALDATE": "2024-05-02",
            "PROCODE3": "RXX",
            "PROCODE": "RXX",
            "AEDEPTTYPE": "01",
            "SEX": "2",
            "MYDOB": "061950",
        }
    ],
    "apc": [
        {
            "TOKEN_PERSON_ID": "T1",
            "EPIKEY": "e1",
            "ADMIDATE": "2024-05-03",
            "DISDATE": "2024-05-05",
            "EPISTART": "2024-05-03",
            "EPIEND": "2024-05-05",
            "EPIORDER": "1",
            "EPISTAT": "3",
            "ADMIMETH": "21",
            "CLASSPAT": "1",
            "DISMETH": "1",
            "PROCODE3": "RXX",
            "PROCODE": "RXX",
            "PROCODET": "RXX",
            "SEX": "2",
            "MYDOB": "061950",
            "DIAG_4_01": "J440",
            "DIAG_01": "J440",
            "OPERTN_4_01": "-",
        }
    ],
}


@SCRATCH_ONLY
@pytest.mark.parametrize("dataset", ["op", "ae", "apc"])
def test_artificial_hes_files_load_with_no_mapping(duck_store, tmp_path, dataset):
    path = _file(
        tmp_path / f"artificial_{dataset}.txt",
        HEADERS[dataset],
        ARTIFICIAL_ROWS[dataset],
        sep=HEADERS["delimiter"],
    )
    f = run(duck_store, HES[dataset], path, key=make_key(tmp_path)).files[0]
    assert (f.counts["rows_read"], f.counts["rows_loaded"]) == (1, 1), f.first_problem
    a = table(duck_store, "activity")
    assert list(a.provider_code) == ["RXX"]
    assert table(duck_store, "person").person_id.nunique() == 1  # the token made a person


@SCRATCH_ONLY
def test_two_spellings_of_one_field_say_which_was_used(duck_store, tmp_path):
    path = _file(
        tmp_path / "artificial_apc.txt",
        HEADERS["apc"],
        ARTIFICIAL_ROWS["apc"],
        sep=HEADERS["delimiter"],
    )
    f = run(duck_store, "hes_apc", path, key=make_key(tmp_path)).files[0]
    assert len(f.notes) == 1
    assert "PROCODE3 from PROCODE3 (not PROCODET, PROCODE)" in f.notes[0]
    assert "DIAG_4_01 from DIAG_4_01 (not DIAG_01)" in f.notes[0]
    used = json.loads(table(duck_store, "ingest_load").column_spellings.iloc[0])
    assert used["PROCODE3"] == {"used": "PROCODE3", "not_used": ["PROCODET", "PROCODE"]}
    assert used["PSEUDO_HESID"] == {"used": "TOKEN_PERSON_ID", "not_used": []}


# ---- SUS+ as NCDR holds it (SEM tables) and CDS data-element names ------------------------------
SUS = {
    "apc": (
        [
            "APCE_Ident",
            "APCS_Ident",
            "Hospital_Spell_No",
            "Der_Pseudo_NHS_Number",
            "Admission_Date",
            "Discharge_Date",
            "Episode_Start_Date",
            "Episode_End_Date",
            "Episode_Number",
            "Admission_Method",
            "Patient_Classification",
            "Discharge_Method",
            "Der_Provider_Code",
            "Sex",
            "Year_of_Birth",
            "Month_of_Birth",
            "Der_Primary_Diagnosis_Code",
            "Primary_Procedure_Code",
            "Spell_Core_HRG_SUS",
            "Tariff_Total_Payment",
        ],
        [
            {
                "APCE_Ident": "101",
                "APCS_Ident": "9",
                "Hospital_Spell_No": "S1",
                "Der_Pseudo_NHS_Number": "P1",
                "Admission_Date": "2024-05-03 00:00:00.000",
                "Episode_Start_Date": "2024-05-03",
                "Episode_End_Date": "2024-05-04",
                "Episode_Number": "1",
                "Admission_Method": "21",
                "Patient_Classification": "1",
                "Der_Provider_Code": "RXX",
                "Sex": "1",
                "Year_of_Birth": "1950",
                "Month_of_Birth": "6",
                "Der_Primary_Diagnosis_Code": "J440",
                "Spell_Core_HRG_SUS": "DZ65K",
                "Tariff_Total_Payment": "2500.50",
            },
            {
                "APCE_Ident": "102",
                "APCS_Ident": "9",
                "Hospital_Spell_No": "S1",
                "Der_Pseudo_NHS_Number": "P1",
                "Admission_Date": "2024-05-03",
                "Discharge_Date": "2024-05-07",
                "Episode_Start_Date": "2024-05-04",
                "Episode_End_Date": "2024-05-07",
                "Episode_Number": "2",
                "Admission_Method": "21",
                "Patient_Classification": "1",
                "Discharge_Method": "1",
                "Der_Provider_Code": "RXX",
                "Sex": "1",
                "Der_Primary_Diagnosis_Code": "I10X",
                "Tariff_Total_Payment": "2500.50",
            },
        ],
    ),
    "op": (
        [
            "OPA_Ident",
            "Der_Pseudo_NHS_Number",
            "Appointment_Date",
            "Attendance_Status",
            "First_Attendance",
            "Treatment_Function_Code",
            "Der_Provider_Code",
            "Sex",
            "GP_Practice_Code",
            "Der_Postcode_LSOA_2011_Code",
            "Core_HRG",
            "Primary_Procedure_Code",
        ],
        [
            {
                "OPA_Ident": "201",
                "Der_Pseudo_NHS_Number": "P1",
                "Appointment_Date": "2024-06-01",
                "Attendance_Status": "5",
                "First_Attendance": "2",
                "Treatment_Function_Code": "320",
                "Der_Provider_Code": "RXX",
                "Sex": "1",
                "Core_HRG": "WF01A",
            }
        ],
    ),
    "ae": (
        [
            "AEA_Ident",
            "Der_Pseudo_NHS_Number",
            "Arrival_Date",
            "AEA_Department_Type",
            "AEA_Attendance_Disposal",
            "AEA_Diagnosis_01",
            "Provider_Code",
            "Sex",
            "Year_of_Birth",
            "HRG_Code",
        ],
        [
            {
                "AEA_Ident": "301",
                "Der_Pseudo_NHS_Number": "P1",
                "Arrival_Date": "2024-07-01",
                "AEA_Department_Type": "01",
                "Provider_Code": "RXX",
                "Sex": "1",
                "Year_of_Birth": "1950",
                "HRG_Code": "VB09Z",
            }
        ],
    ),
}


@SCRATCH_ONLY
def test_sus_sem_extracts_of_all_three_data_sets_load_with_no_mapping(duck_store, tmp_path):
    key = make_key(tmp_path)
    for dataset, (header, rows) in SUS.items():
        path = _file(tmp_path / f"sus_{dataset}.csv", header, rows)
        f = run(duck_store, HES[dataset], path, key=key).files[0]
        assert f.counts["rows_loaded"] == len(rows), (dataset, f.first_problem)
    a = table(duck_store, "activity").sort_values("start_date")
    assert list(a.setting) == ["acute_non_elective", "outpatient", "ae"]
    assert a.cost.iloc[0] == 2500.50  # the spell's tariff, once for its two episodes
    assert a.currency.iloc[0] == "DZ65K"
    people = table(duck_store, "person")
    assert len(people) == 1  # Der_Pseudo_NHS_Number links the three data sets
    assert (people.birth_year.iloc[0], people.birth_month.iloc[0]) == (1950, 6)


@SCRATCH_ONLY
def test_cds_data_element_names_load_with_no_mapping(duck_store, tmp_path):
    header = [
        "Generated_Record_ID",
        "Hospital_Provider_Spell_Number",
        "NHS_Number",
        "Person_Birth_Date",
        "Postcode_of_Usual_Address",
        "Start_Date_Hospital_Provider_Spell",
        "Discharge_Date_Hospital_Provider_Spell",
        "Start_Date_Consultant_Episode",
        "End_Date_Consultant_Episode",
        "Episode_Number",
        "Admission_Method_Hospital_Provider_Spell",
        "Patient_Classification",
        "Discharge_Method_Hospital_Provider_Spell",
        "Organisation_Code_Code_of_Provider",
        "Person_Stated_Gender_Code",
        "Primary_Diagnosis_Code",
        "Secondary_Diagnosis_Code_1",
        "Primary_Procedure_Code",
    ]
    row = {
        "Generated_Record_ID": "g1",
        "Hospital_Provider_Spell_Number": "S1",
        "NHS_Number": "9434765919",
        "Person_Birth_Date": "1950-06-15",
        "Postcode_of_Usual_Address": "ZZ1 1ZZ",
        "Start_Date_Hospital_Provider_Spell": "2024-05-03",
        "Discharge_Date_Hospital_Provider_Spell": "2024-05-05",
        "Start_Date_Consultant_Episode": "2024-05-03",
        "End_Date_Consultant_Episode": "2024-05-05",
        "Episode_Number": "1",
        "Admission_Method_Hospital_Provider_Spell": "11",
        "Patient_Classification": "2",
        "Discharge_Method_Hospital_Provider_Spell": "1",
        "Organisation_Code_Code_of_Provider": "RXX",
        "Person_Stated_Gender_Code": "2",
        "Primary_Diagnosis_Code": "E119",
        "Secondary_Diagnosis_Code_1": "I10X",
        "Primary_Procedure_Code": "H221",
    }
    path = _file(tmp_path / "cds_apc.csv", header, [row])
    f = run(duck_store, "hes_apc", path, key=make_key(tmp_path)).files[0]
    assert f.counts["rows_loaded"] == 1, f.first_problem
    assert f.counts["nhs_number_valid"] == 1
    a = table(duck_store, "activity")
    assert list(a.setting) == ["acute_day_case"]
    codes = sorted(table(duck_store, "coded_event").code)
    assert codes == ["E119", "H221", "I10"]


@SCRATCH_ONLY
def test_a_missing_field_names_its_other_spellings(duck_store, tmp_path):
    header, rows = SUS["op"]
    path = _file(tmp_path / "sus_op.csv", [h for h in header if h != "Appointment_Date"], rows)
    with pytest.raises(InputError) as err:
        run(duck_store, "hes_op", path, key=make_key(tmp_path))
    assert "missing column APPTDATE" in str(err.value)
    assert "Appointment_Date" in err.value.hint
