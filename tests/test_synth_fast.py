"""Synthetic care economy: settings, reproducibility, contracts, integrity, privacy and the CLI.

Small populations only; the realism targets are in test_synth_realism.py (marked slow).
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from yearofcare import schemas, vocab
from yearofcare.cli import main
from yearofcare.config.paths import default_key_file
from yearofcare.engine import connect
from yearofcare.errors import ConfigError, InputError
from yearofcare.fy import fy_end, fy_start, last_complete_fy
from yearofcare.linkage.nhs_number import is_valid
from yearofcare.linkage.pseudonym import pseudonymise
from yearofcare.schemas.population import condition_ids
from yearofcare.store import Store
from yearofcare.synth import SynthParams, SynthPopulation, generate, write
from yearofcare.synth.params import read_csv

SMALL = SynthParams(people=1500, years=2, seed=7, end_fy=2024)
KEY = bytes(range(32))
CALIBER = Path(__file__).resolve().parents[2] / "shared" / "data" / "codelists" / "caliber"


@pytest.fixture(scope="module")
def small() -> SynthPopulation:
    return generate(SMALL)


@pytest.fixture(scope="module")
def written(small: SynthPopulation, tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(connect("duckdb", tmp_path_factory.mktemp("synth") / "data"))
    write(store, small, KEY)
    return store


def np_col(table: pa.Table, name: str) -> np.ndarray:
    col = table.column(name)
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    if pa.types.is_date(col.type):
        col = pc.cast(col, pa.int32())
    return np.asarray(col.to_pylist() if pa.types.is_string(col.type) else col)


# ---- settings ---------------------------------------------------------------------------------
def test_defaults_end_at_the_last_complete_financial_year():
    assert SynthParams().end_fy == last_complete_fy(date.today())
    assert SynthParams(years=3, end_fy=2025).first_fy == 2023


@pytest.mark.parametrize(
    ("values", "option"),
    [
        ({"people": 0}, "--people"),
        ({"years": -1}, "--years"),
        ({"years": 0}, "--years"),
        ({"end_fy": last_complete_fy(date.today()) + 1}, "--end-fy"),
    ],
)
def test_bad_settings_name_the_option(values, option):
    with pytest.raises(ConfigError, match=re.escape(option)):
        SynthParams.checked(**values)


def test_settings_are_frozen():
    with pytest.raises(ValueError, match="frozen"):
        SMALL.people = 3  # type: ignore[misc]


# ---- reproducibility -------------------------------------------------------------------------
def test_same_seed_gives_identical_tables(small):
    again = generate(SMALL)
    for name in (*SynthPopulation.CANONICAL, "truth_condition", "truth_assessor"):
        assert getattr(small, name).equals(getattr(again, name)), name


def test_a_different_seed_gives_different_tables(small):
    other = generate(SMALL.model_copy(update={"seed": 8}))
    assert not small.person.equals(other.person)
    assert not small.activity.equals(other.activity)


def test_an_explicit_generator_replaces_the_seed(small):
    same = generate(SMALL, rng=np.random.default_rng(SMALL.seed))
    assert same.activity.equals(small.activity)


# ---- contracts ---------------------------------------------------------------------------------
def _as_stored(table: pa.Table) -> pa.Table:
    if "person_idx" not in table.column_names:
        return table
    ids = pa.array([f"p{i}" for i in range(int(pc.max(table["person_idx"]).as_py() or 0) + 1)])
    idx = table["person_idx"].combine_chunks()
    pos = table.schema.get_field_index("person_idx")
    return table.set_column(pos, "person_id", ids.take(idx))


@pytest.mark.parametrize(
    ("name", "attr"),
    [(n, n) for n in SynthPopulation.CANONICAL]
    + [("synth_condition", "truth_condition"), ("synth_assessor", "truth_assessor")],
)
def test_every_table_conforms_to_its_declared_schema(small, name, attr):
    con = ibis.duckdb.connect()
    declared = schemas.get(name)
    expr = declared.conform(ibis.memtable(_as_stored(getattr(small, attr))))
    assert con.execute(declared.violations(expr).count()) == 0
    assert con.execute(expr.count()) == getattr(small, attr).num_rows > 0


def test_stored_tables_conform_and_have_no_violations(written):
    for name in (*SynthPopulation.CANONICAL, "synth_condition", "synth_assessor"):
        declared = schemas.get(name)
        expr = written.table(name)
        assert tuple(expr.columns) == declared.names
        assert int(declared.violations(expr).count().execute()) == 0, name


def test_keys_are_unique(small):
    for table, key in (
        (small.activity, "activity_id"),
        (small.assessment, "assessment_id"),
        (small.survey_response, "response_id"),
        (small.practice, "practice_code"),
    ):
        values = np_col(table, key)
        assert len(set(values)) == len(values), key


# ---- privacy -----------------------------------------------------------------------------------
def test_people_have_valid_distinct_test_range_nhs_numbers(small):
    numbers = small.person["nhs_number"]
    assert is_valid(numbers).all()
    assert len(set(numbers.to_pylist())) == small.person.num_rows
    assert all(n.startswith("9") for n in numbers.to_pylist())


def test_no_nhs_number_reaches_the_store(written, small):
    numbers = set(small.person["nhs_number"].to_pylist())
    for name in written.tables():
        frame = written.to_pandas(written.table(name))
        assert "nhs_number" not in frame.columns, name
        for col in frame.columns:
            if frame[col].dtype == object:
                values = set(frame[col].dropna().astype(str))
                assert not values & numbers, f"{name}.{col} holds NHS numbers"
                joined = " ".join(list(values)[:5000])
                assert not any(n in joined for n in list(numbers)[:200]), f"{name}.{col}"


def test_person_ids_are_the_keyed_pseudonyms(written, small):
    want = pseudonymise(small.person["nhs_number"], KEY).to_pylist()
    got = written.to_pandas(written.table("person")).person_id.tolist()
    assert got == want


def test_a_failed_write_leaves_the_store_as_it_was(small, tmp_path):
    store = Store(connect("duckdb", tmp_path / "data"))
    broken = SynthPopulation(
        **{
            **{f: getattr(small, f) for f in SynthPopulation.__dataclass_fields__},
            "coded_event": small.coded_event.drop_columns(["code"]),
        }
    )
    with pytest.raises(InputError, match="code"):
        write(store, broken, KEY)
    assert store.tables() == ["run_log"]
    assert store.runs().status.tolist() == ["failed"]


# ---- integrity ---------------------------------------------------------------------------------
def test_every_person_level_row_belongs_to_a_person(small):
    n = small.person.num_rows
    for table in (
        small.registration,
        small.activity,
        small.coded_event,
        small.assessment,
        small.survey_response,
        small.truth_condition,
    ):
        idx = np.asarray(table["person_idx"])
        assert idx.min() >= 0 and idx.max() < n


def test_no_activity_after_death_or_before_birth(small):
    death = np_col(small.person, "date_of_death").astype(float)
    birth = np.array(
        [
            (date(y, m, 1) - date(1970, 1, 1)).days
            for y, m in zip(
                np_col(small.person, "birth_year"), np_col(small.person, "birth_month"), strict=True
            )
        ]
    )
    idx = np_col(small.activity, "person_idx")
    start, end = np_col(small.activity, "start_date"), np_col(small.activity, "end_date")
    died = ~np.isnan(death[idx])
    assert (end[died] <= death[idx][died]).all()
    assert (start >= birth[idx]).all()
    assert (end >= start).all()


def test_activity_lies_in_the_window(small):
    start = np_col(small.activity, "start_date")
    t0 = (fy_start(SMALL.first_fy) - date(1970, 1, 1)).days
    t1 = (fy_end(SMALL.end_fy) - date(1970, 1, 1)).days
    assert start.min() >= t0 and start.max() <= t1


def test_registration_spells_do_not_overlap(small):
    reg = small.registration.to_pandas()
    reg["end"] = reg.end_date.fillna(date(2100, 1, 1))
    reg = reg.sort_values(["person_idx", "start_date"])
    nxt = reg.groupby("person_idx").start_date.shift(-1)
    assert (nxt.isna() | (reg.end < nxt)).all()
    assert (reg.end_date.isna() | (reg.end_date >= reg.start_date)).all()
    reasons = set(reg.end_reason.dropna().astype(str))
    assert reasons <= {"left", "died", "transferred"}


def test_deaths_end_registration(small):
    person = small.person.to_pandas()
    dead = person[person.date_of_death.notna()]
    reg = small.registration.to_pandas()
    last = reg.sort_values("start_date").groupby("person_idx").tail(1).set_index("person_idx")
    both = dead.join(last, on="person_idx", how="inner")
    assert len(both) > 0
    assert (both.end_date == both.date_of_death).all()
    assert (both.end_reason.astype(str) == "died").all()


def test_coded_events_point_at_real_activity(small):
    ids = set(np_col(small.activity, "activity_id"))
    ref = [a for a in small.coded_event["activity_id"].to_pylist() if a is not None]
    assert ref and set(ref) <= ids


def test_codes_are_normalised(small):
    codes = small.coded_event.to_pandas()
    icd = codes[codes.code_system.astype(str) == "ICD10"].code.astype(str)
    snomed = codes[codes.code_system.astype(str) == "SNOMED"].code.astype(str)
    assert icd.str.fullmatch(r"[A-Z][0-9]{2}[0-9A-Z]{0,2}").all()
    assert snomed.str.fullmatch(r"[1-9][0-9]{5,17}").all()
    assert set(codes.source.astype(str)) <= {"hes_apc", "mhsds", "gp_events"}
    act = small.activity.to_pandas()
    system = act.primary_code_system.astype(str)
    primary = act.primary_code.astype(str)
    icd_rows = system == "ICD10"
    assert primary[icd_rows].str.fullmatch(r"[A-Z][0-9]{2}[0-9A-Z]{0,2}").all()
    # prescribing rows carry the 15-character BNF presentation code of what the items are for
    rx = act.setting.astype(str) == "prescribing"
    assert (system[rx] == "BNF").all() and (system[~rx & act.primary_code.notna()] == "ICD10").all()
    assert primary[rx].str.fullmatch(r"[0-9]{4}[0-9A-Z]{11}").all()


def test_costs_and_funding_are_filled(small):
    act = small.activity.to_pandas()
    for col in ("cost", "cost_basis", "funding_route", "currency", "units", "unit_type"):
        assert act[col].notna().all(), col
    inpatient = act[act.setting.astype(str).isin(["acute_non_elective", "acute_elective"])]
    assert inpatient.bed_days.notna().all()


# ---- parameter files -----------------------------------------------------------------------------
def test_condition_codes_cover_the_catalogue_with_real_code_formats():
    rows = read_csv("condition_codes.csv")
    catalogue = set(condition_ids())
    assert {r["condition_id"] for r in rows} == catalogue
    for cid in catalogue:
        mine = [r for r in rows if r["condition_id"] == cid and r["role"] == "diagnosis"]
        assert {r["code_system"] for r in mine} == {"ICD10", "SNOMED"}, cid
    resolved = {r["condition_id"] for r in rows if r["role"] == "resolved"}
    assert resolved == {"asthma", "depression", "diabetes"}
    seen: dict[tuple[str, str], str] = {}
    for r in rows:
        assert r["role"] in ("diagnosis", "resolved")
        assert r["code_system"] in vocab.CODE_SYSTEMS
        if r["code_system"] == "ICD10":
            assert re.fullmatch(r"[A-Z][0-9]{2}[0-9]{0,2}", r["code"]), r
        else:
            assert re.fullmatch(r"[1-9][0-9]{5,17}", r["code"]), r
        key = (r["code_system"], r["code"])
        assert seen.setdefault(key, r["condition_id"]) == r["condition_id"], f"{key} twice"


def test_spec_named_snomed_codes_are_used():
    codes = {(r["condition_id"], r["code"]) for r in read_csv("condition_codes.csv")}
    for pair in [
        ("hypertension", "38341003"),
        ("diabetes", "44054006"),
        ("asthma", "195967001"),
        ("copd", "13645005"),
        ("af", "49436004"),
        ("heart_failure", "84114007"),
        ("chd", "194828000"),
        ("chd", "22298006"),
        ("stroke_tia", "230690007"),
        ("stroke_tia", "266257000"),
        ("ckd", "433144002"),
        ("dementia", "52448006"),
        ("depression", "35489007"),
        ("smi", "58214004"),
        ("smi", "13746004"),
        ("epilepsy", "84757009"),
        ("learning_disability", "110359009"),
        ("osteoporosis", "64859006"),
        ("rheumatoid_arthritis", "69896004"),
        ("pad", "399957001"),
        ("palliative_care", "103735009"),
        ("diabetes", "315051004"),
        ("asthma", "162660004"),
        ("depression", "196381000000100"),
    ]:
        assert pair in codes, pair


@pytest.mark.skipif(not CALIBER.exists(), reason="CALIBER code lists not available")
def test_icd10_codes_come_from_the_named_caliber_phenotype():
    for r in read_csv("condition_codes.csv"):
        source = r["source"]
        if r["code_system"] != "ICD10" or not source.startswith("CALIBER "):
            continue
        path = CALIBER / "secondary_care" / f"{source.split()[1]}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            listed = [row["ICD10code"].replace(".", "") for row in csv.DictReader(fh)]
        assert any(r["code"].startswith(c) for c in listed if c), (r["code"], source)


def test_acute_reasons_never_code_a_long_term_condition():
    condition_codes = {r["code"] for r in read_csv("condition_codes.csv")}
    for r in read_csv("acute_reasons.csv"):
        assert not any(
            r["code"].startswith(c) or c.startswith(r["code"]) for c in condition_codes
        ), r


def test_parameter_files_state_their_sources():
    from yearofcare.synth.params import params_path

    for path in sorted(params_path().iterdir()):
        if path.suffix in (".csv", ".yaml"):
            text = path.read_text(encoding="utf-8")
            assert text.lstrip().startswith("#"), f"{path.name} has no source or rationale"


# ---- command line ------------------------------------------------------------------------------
def test_cli_generates_into_the_store_and_creates_the_key_beside_it(tmp_path, capsys):
    data = tmp_path / "data"
    code = main(
        [
            "--data-dir",
            str(data),
            "synth",
            "--people",
            "300",
            "--years",
            "1",
            "--seed",
            "2",
            "--end-fy",
            "2024",
        ]
    )
    assert code == 0, capsys.readouterr().err
    # beside the data directory, never inside it (config.paths.default_key_file)
    assert default_key_file(data) == tmp_path / "data-secure" / "yoc-linkage.key"
    assert default_key_file(data).exists()
    assert "linkage key" in capsys.readouterr().err
    store = Store(connect("duckdb", data))
    assert store.count("person") == 300
    assert store.runs().stage.tolist() == ["synth"]
    key_before = default_key_file(data).read_text()
    assert (
        main(
            [
                "--data-dir",
                str(data),
                "synth",
                "--people",
                "300",
                "--years",
                "1",
                "--end-fy",
                "2024",
            ]
        )
        == 0
    )
    assert default_key_file(data).read_text() == key_before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["synth", "--people", "0"], 2, "--people"),
        (["synth", "--years", "-1"], 2, "--years"),
        (["synth", "--end-fy", "2999"], 2, "--end-fy"),
        (["--engine", "sqlite", "synth", "--people", "10"], 5, "unknown engine"),
    ],
)
def test_cli_rejects_bad_input_before_doing_anything(tmp_path, capsys, args, code, message):
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), *args]) == code
    err = capsys.readouterr().err
    assert message in err and "Hint:" in err
    assert not data.exists()
    assert not default_key_file(data).exists()


def test_cli_reports_an_unwritable_data_dir(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["--data-dir", str(blocker / "data"), "synth", "--people", "10"]) == 4
    err = capsys.readouterr().err
    assert "not writable" in err and "Hint:" in err
    assert not default_key_file(blocker / "data").exists()


def test_cli_refuses_a_key_inside_the_store(tmp_path, capsys):
    data = tmp_path / "data"
    assert (
        main(
            ["--data-dir", str(data), "synth", "--people", "10", "--key-file", str(data / "k.key")]
        )
        == 2
    )
    assert "inside the data store" in capsys.readouterr().err
    assert not (data / "k.key").exists()
