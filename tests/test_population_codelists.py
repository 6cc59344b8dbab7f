"""The condition code lists: versioned data, their provenance, and the matching semantics."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from yearofcare.errors import ConfigError, InputError
from yearofcare.population.codelists import (
    load_codelist,
    normalise_icd10,
    read_codelist,
)
from yearofcare.population.config import PopulationConfig, load_config
from yearofcare.population.refdata import reference_dir
from yearofcare.schemas.population import catalogue_rows, condition_ids

VERSION = "yoc-ltc-2026.2"
SYNTH_CODES = (
    Path(__file__).resolve().parents[1] / "src/yearofcare/synth/params/condition_codes.csv"
)
#: Codes of the synthetic generator deliberately not in this code list, with the reason.
KNOWN_DISAGREEMENTS = {
    ("ICD10", "N189", "ckd"): "N18.9 is CKD of unspecified stage; the catalogue condition is CKD "
    "stage 3-5 (QOF), so unstaged CKD is not counted (reported to the synthetic generator)",
}


@pytest.fixture(scope="module")
def cl():
    return load_codelist(VERSION)


def test_every_catalogue_condition_has_diagnosis_codes_and_a_rule(cl):
    with_codes = set(cl.codes[cl.codes.role == "diagnosis"].condition_id)
    assert set(condition_ids()) <= with_codes
    assert [r.condition_id for r in cl.rules] == list(condition_ids())


def test_physical_or_mental_comes_from_the_catalogue(cl):
    groups = {r["condition_id"]: r["group"] for r in catalogue_rows()}
    assert {r.condition_id: r.group for r in cl.rules} == groups


def test_every_code_names_a_source_with_publisher_version_and_licence(cl):
    sources = cl.sources.set_index("source_id")
    assert set(cl.codes.source_id) <= set(sources.index)
    for col in ("publisher", "version", "licence", "retrieved_from"):
        assert (sources[col].str.len() > 0).all(), col


@pytest.mark.parametrize(
    ("raw", "normal"),
    [("I10X", "I10"), ("i10.x", "I10"), ("E11.9", "E119"), ("R69XX", "R69"), ("X40", "X40")],
)
def test_icd10_is_normalised_without_dot_or_x_filler(raw, normal):
    assert normalise_icd10(raw) == normal


def test_a_three_character_entry_matches_the_category_and_all_its_children(cl):
    assert cl.lookup("ICD10", "J45") == [("asthma", "diagnosis")]
    assert cl.lookup("ICD10", "J459") == [("asthma", "diagnosis")]
    assert cl.lookup("ICD10", "J45X") == [("asthma", "diagnosis")]


def test_a_four_character_entry_matches_neither_its_parent_nor_its_siblings(cl):
    # heart failure lists I11.0 (hypertensive heart disease with heart failure) but not I11
    assert ("heart_failure", "diagnosis") in cl.lookup("ICD10", "I110")
    assert ("heart_failure", "diagnosis") not in cl.lookup("ICD10", "I11")
    assert ("heart_failure", "diagnosis") not in cl.lookup("ICD10", "I119")


def test_a_code_may_belong_to_several_conditions(cl):
    assert cl.lookup("ICD10", "I110") == [
        ("heart_failure", "diagnosis"),
        ("hypertension", "diagnosis"),
    ]


def test_snomed_matches_exactly_and_read_v2_on_five_characters(cl):
    assert cl.lookup("SNOMED", "44054006") == [("diabetes", "diagnosis")]
    assert cl.lookup("SNOMED", "4405400") == []
    assert cl.lookup("READ2", "212G.00") == [("asthma", "resolved")]
    assert cl.lookup("READ2", "212G.") == [("asthma", "resolved")]


def test_bnf_sections_match_presentations_by_prefix(cl):
    assert cl.lookup("BNF", "0407010H0AAAMAM") == [("painful_condition", "diagnosis")]
    assert cl.lookup("BNF", "0103050P0AAAAAA") == [("dyspepsia", "diagnosis")]


def test_resolved_codes_end_asthma_depression_and_diabetes(cl):
    resolved = cl.codes[cl.codes.role == "resolved"]
    assert {"asthma", "depression", "diabetes"} <= set(resolved.condition_id)
    assert cl.lookup("SNOMED", "315051004") == [("diabetes", "resolved")]  # DMRES_COD
    assert cl.lookup("SNOMED", "196381000000100") == [("depression", "resolved")]  # DEPRES_COD


def test_qof_minimum_ages(cl):
    assert (cl.rule("diabetes").min_age, cl.rule("ckd").min_age, cl.rule("depression").min_age) == (
        17,
        18,
        18,
    )
    assert cl.rule("hypertension").min_age is None


def test_look_back_windows(cl):
    # cancer follows the QOF register (any diagnosis since April 2003, i.e. ever); the CMS keeps
    # its own "first diagnosed in the last five years" window (cambridge_payne_2020.csv)
    cancer = cl.rule("cancer")
    assert (cancer.lookback_years, cancer.lookback_anchor) == (None, "latest")
    pain = cl.rule("painful_condition")
    assert (pain.lookback_years, pain.min_prescriptions) == (1, 4)
    assert cl.rule("diabetes").lookback_years is None  # ever


def test_the_version_is_chosen_in_configuration():
    assert PopulationConfig().codelist == VERSION
    with pytest.raises(ConfigError, match="does not exist"):
        load_codelist("yoc-ltc-1999.1")
    with pytest.raises(ConfigError, match="unit_costs"):
        load_config(unit_costs=())
    with pytest.raises(ConfigError, match="nonsense"):
        load_config(nonsense=1)


def test_config_is_frozen():
    config = PopulationConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.codelist = "other"  # type: ignore[misc]


def _copy_version(tmp_path: Path) -> Path:
    src = reference_dir("codelists", VERSION)
    dst = tmp_path / VERSION
    dst.mkdir()
    for f in src.iterdir():
        shutil.copyfile(str(f), dst / f.name)
    return dst


def test_a_bad_code_is_an_error_naming_file_and_line(tmp_path):
    folder = _copy_version(tmp_path)
    path = folder / "codes_yoc_supplementary.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("ckd,diagnosis,ICD10,N1,too short,who_icd10,\n")
    with pytest.raises(InputError, match=r"codes_yoc_supplementary.csv line \d+: 'N1'"):
        read_codelist(folder, VERSION, "test")


def test_an_unknown_condition_is_an_error(tmp_path):
    folder = _copy_version(tmp_path)
    with (folder / "codes_yoc_supplementary.csv").open("a", encoding="utf-8") as fh:
        fh.write("gout,diagnosis,ICD10,M10,Gout,who_icd10,\n")
    with pytest.raises(InputError, match="'gout' is not in the LTC catalogue"):
        read_codelist(folder, VERSION, "test")


def test_a_missing_rule_is_an_error(tmp_path):
    folder = _copy_version(tmp_path)
    lines = (folder / "rules.csv").read_text(encoding="utf-8").splitlines()
    (folder / "rules.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rule for condition"):
        read_codelist(folder, VERSION, "test")


def test_synthetic_generator_codes_are_matched_for_their_condition(cl):
    """Every code the synthetic generator writes is recognised as the right condition."""
    if not SYNTH_CODES.exists():
        pytest.skip("synth/params/condition_codes.csv not written yet (synthetic generator)")
    with SYNTH_CODES.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    assert rows, "condition_codes.csv is empty"
    wrong = []
    for row in rows:
        role = row.get("role") or "diagnosis"
        expected = (row["condition_id"], "resolved" if role.startswith("resol") else "diagnosis")
        found = cl.lookup(row["code_system"], row["code"])
        if (row["code_system"], row["code"], row["condition_id"]) in KNOWN_DISAGREEMENTS:
            continue
        if expected not in found:
            wrong.append(
                f"{row['code_system']} {row['code']} ({row['condition_id']}, {role}): {found}"
            )
    assert not wrong, "codes not matched for their condition:\n" + "\n".join(wrong)
