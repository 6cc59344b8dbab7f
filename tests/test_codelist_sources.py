"""Code list `yoc-ltc-2026.2`: the fixes of issue 9, the register rule, a re-derivation of
every condition's ICD-10 and Read v2 list from the published CALIBER files, and the record of the
SNOMED CT refset copies re-read against the files they cite.

The re-derivation is the check recorded in the code list's README: the shipped lists must equal
CALIBER's phenotypes with the filters the README states, give or take exactly the changes listed
in `changes.csv`. It needs `../shared/data/codelists/caliber` and is skipped without it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from yearofcare.errors import InputError
from yearofcare.population.codelists import load_codelist, normalise_icd10
from yearofcare.population.config import PopulationConfig
from yearofcare.population.multimorbidity import parse_cms
from yearofcare.population.refdata import RefFile, reference_dir
from yearofcare.schemas.population import catalogue_rows, counted_condition_ids

NEW, OLD = "yoc-ltc-2026.2", "yoc-ltc-2026.1"
#: ../shared/data next to the checkout (main), or next to the worktrees' folder (work/wt/<name>)
CALIBER = next(
    (
        p / "shared" / "data" / "codelists" / "caliber"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "data" / "codelists" / "caliber").exists()
    ),
    Path("../shared/data/codelists/caliber"),
)


@pytest.fixture(scope="module")
def cl():
    return load_codelist(PopulationConfig().codelist)


def test_the_default_code_list_is_the_fixed_version(cl):
    assert cl.version == NEW


@pytest.mark.parametrize(
    ("system", "code"),
    [
        *[("ICD10", f"F02{d}") for d in "01234"],
        ("ICD10", "F028"),
        ("ICD10", "F02.3"),
        ("ICD10", "G310"),
        ("ICD10", "G31.8"),
        *[("READ2", f"Eu02{d}00") for d in "012345"],
        ("READ2", "F116.00"),
    ],
)
def test_dementia_includes_dementia_in_other_diseases_and_lewy_body(cl, system, code):
    assert ("dementia", "diagnosis") in cl.lookup(system, code)


def test_dementia_in_parkinsons_disease_is_dementia_and_parkinsons(cl):
    assert cl.lookup("ICD10", "F023") == [("dementia", "diagnosis"), ("parkinsons", "diagnosis")]


@pytest.mark.parametrize("code", ["I240", "I24.8", "I249", "I241"])
def test_chd_includes_other_acute_ischaemic_heart_disease(cl, code):
    assert cl.lookup("ICD10", code) == [("chd", "diagnosis")]


@pytest.mark.parametrize("code", ["I65", "I652", "I66", "I660", "I669"])
def test_stenosis_without_infarction_is_not_a_stroke(cl, code):
    assert ("stroke_tia", "diagnosis") not in cl.lookup("ICD10", code)


@pytest.mark.parametrize("code", ["I692", "I698", "I690", "I693", "I694"])
def test_stroke_includes_every_sequela(cl, code):
    assert cl.lookup("ICD10", code) == [("stroke_tia", "diagnosis")]


def test_painful_condition_counts_analgesics_not_antimigraine_drugs(cl):
    assert cl.lookup("BNF", "0407010F0AAAAAA") == [("painful_condition", "diagnosis")]
    assert cl.lookup("BNF", "0407020A0AAAAAA") == [("painful_condition", "diagnosis")]
    assert cl.lookup("BNF", "0407041T0AAAAAA") == []  # sumatriptan (4.7.4.1)
    assert cl.lookup("BNF", "0407030") == []  # neuropathic pain


def test_palliative_care_is_a_register_not_a_counted_condition(cl):
    kinds = {r["condition_id"]: r["kind"] for r in catalogue_rows()}
    assert kinds["palliative_care"] == "register"
    assert "palliative_care" not in counted_condition_ids()
    assert not cl.rule("palliative_care").counted
    assert all(r.counted for r in cl.rules if r.condition_id != "palliative_care")


def test_a_register_in_the_cms_weights_is_an_error():
    frame = pd.DataFrame(
        [{"cms_condition": "palliative", "condition_ids": "palliative_care", "weight": "1.0"}]
    )
    f = RefFile("reference/multimorbidity/test.csv", frame, "0")
    with pytest.raises(InputError, match=r"test.csv line 2: palliative_care is a register"):
        parse_cms(f)


def test_the_old_version_stays_loadable_with_its_own_codes():
    old = load_codelist(OLD)
    assert old.version == OLD
    assert ("stroke_tia", "diagnosis") in old.lookup("ICD10", "I65")
    assert ("dementia", "diagnosis") not in old.lookup("ICD10", "F028")


# ---- the re-derivation from CALIBER --------------------------------------------------------
#: catalogue condition -> CALIBER phenotypes (README "Sources and how they were copied")
PHENOTYPES = {
    "hypertension": ["hypertension"],
    "diabetes": ["diabetes"],
    "asthma": ["asthma"],
    "copd": ["COPD"],
    "chd": ["CHD_NOS", "myocardial_infarction", "stable_angina", "unstable_angina"],
    "af": ["AF"],
    "heart_failure": ["hf"],
    "stroke_tia": ["Isch_stroke", "Intracereb_haem", "Stroke_NOS", "Subarach", "TIA"],
    "ckd": ["ESRD"],
    "dementia": ["dementia"],
    "depression": ["depression"],
    "smi": ["schizo", "BAD"],
    "epilepsy": ["epilepsy"],
    "learning_disability": ["intell_dz", "downs"],
    "osteoporosis": ["osteoporosis"],
    "rheumatoid_arthritis": ["RhA"],
    "pad": ["peripheral_arterial_disease"],
    "anxiety": ["anxiety"],
    "alcohol_problems": ["alc_problems"],
    "substance_misuse": ["substance_misuse"],
    "anorexia_bulimia": ["eating_dz"],
    "hearing_loss": ["deaf"],
    "blindness_low_vision": ["blind"],
    "bronchiectasis": ["bronchiectasis"],
    "chronic_liver_disease": ["cirrhosis", "chr_hep", "liver_alc", "autoimm_liver", "fatty_liver"],
    "chronic_sinusitis": ["sinusitis"],
    "diverticular_disease": ["diverticuli"],
    "ibs": ["IBS"],
    "migraine": ["migraine"],
    "multiple_sclerosis": ["MS"],
    "parkinsons": ["Parkinsons"],
    "prostate_disorders": ["BPH"],
    "psoriasis_eczema": ["psoriasis", "dermatitis"],
    "thyroid_disorders": ["thyroid"],
    "inflammatory_bowel_disease": ["crohns", "ulc_colitis"],
}
#: README filters on ICD-10: CKD stage 5 codes only; cancer C codes except C44 (other phenotypes
#: of the pri_/sec_ families are not cancers); F81.9; contact and other dermatitis
ICD_KEPT = {"ckd": {"N185", "Z491", "Z492", "Z992", "Z940"}}
ICD_DROPPED = {
    "learning_disability": {"F819"},
    "psoriasis_eczema": {"L23", "L24", "L25", "L26", "L27", "L28", "L302", "L305"},
}
CANCER_TERMS_DROPPED = ("in situ", "benign", "uncertain")
#: conditions whose Read v2 "resolved" terms are kept (as resolved codes); dropped elsewhere
RESOLVABLE = {
    "asthma",
    "depression",
    "diabetes",
    "hypertension",
    "af",
    "epilepsy",
    "smi",
    "ckd",
    "copd",
    "heart_failure",
}


def _cancer_phenotypes() -> list[str]:
    names = {p.stem.split("_", 1)[1] for p in (CALIBER / "primary_care").glob("CPRD_*.csv")}
    names |= {p.stem.split("_", 1)[1] for p in (CALIBER / "secondary_care").glob("ICD_*.csv")}
    return sorted(
        n
        for n in names
        if (n.startswith("pri_") and n not in ("pri_skin", "pri_thrombocytopaenia"))
        or (n.startswith("sec_") and n not in ("sec_oth_thrombocytopaenia", "sec_pulm_htn"))
        or n in ("hodgkins", "NHL", "leukaemia", "plasmacell")
    )


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return list(csv.DictReader(fh))


def _read2(code: str) -> str:
    code = code.strip()
    return (code + "." * 5)[:5] if len(code) < 5 else code[:5]


def _caliber(condition: str) -> tuple[set[str], set[str]]:
    """CALIBER's ICD-10 and Read v2 (five characters) lists with the README's filters."""
    phenotypes = _cancer_phenotypes() if condition == "cancer" else PHENOTYPES[condition]
    icd, read = set(), set()
    for ph in phenotypes:
        for r in _read(CALIBER / "secondary_care" / f"ICD_{ph}.csv"):
            icd.add(normalise_icd10(r["ICD10code"]))
        for r in _read(CALIBER / "primary_care" / f"CPRD_{ph}.csv"):
            term, category = r["ReadcodeDescr"].lower(), r["Category"].lower()
            # Read v2: "History of" categories dropped except resolved terms (resolved codes)
            resolved = "resolved" in term
            if resolved and condition not in RESOLVABLE:
                continue
            if category.startswith("history") and not resolved:
                continue
            if condition == "cancer" and any(w in term for w in CANCER_TERMS_DROPPED):
                continue
            read.add(_read2(r["Readcode"]))
    if condition == "cancer":
        icd = {c for c in icd if c.startswith("C") and not c.startswith("C44")}
    if condition in ICD_KEPT:
        icd &= ICD_KEPT[condition]
    icd -= ICD_DROPPED.get(condition, set())
    return icd, read


def _changes() -> pd.DataFrame:
    path = reference_dir("codelists", NEW, "changes.csv")
    lines = [x for x in path.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    return pd.read_csv(pd.io.common.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)


@pytest.mark.skipif(not CALIBER.exists(), reason="CALIBER code lists not available")
@pytest.mark.parametrize("condition", [*sorted(PHENOTYPES), "cancer"])
def test_lists_equal_caliber_with_the_stated_filters_and_changes(condition):
    codes = load_codelist(NEW).codes
    mine = codes[codes.condition_id == condition]
    changes = _changes()
    changes = changes[changes.condition_id == condition]
    added = {(r.code_system, r.code) for r in changes.itertuples() if r.change == "add"}
    removed = {(r.code_system, r.code) for r in changes.itertuples() if r.change == "remove"}
    icd, read = _caliber(condition)

    shipped_icd = set(mine[(mine.code_system == "ICD10") & (mine.source_id == "caliber_2019")].code)
    # covered entries were dropped on load (I24 covers I241): compare on what matches
    icd_all = set(mine[mine.code_system == "ICD10"].code)
    assert shipped_icd <= icd
    expected = icd - {c for s, c in removed if s == "ICD10"}
    missing = {c for c in expected if not any(c.startswith(e) for e in icd_all)}
    assert not missing, f"{condition}: CALIBER ICD-10 codes not shipped {sorted(missing)}"
    extra = icd_all - icd - {c for s, c in added if s == "ICD10"}
    extra = {c for c in extra if not _supplementary(mine, "ICD10", c)}
    assert not extra, f"{condition}: ICD-10 codes from no stated source {sorted(extra)}"

    for system, code in removed:
        listed = set(mine[mine.code_system == system].code)
        assert not any(code.startswith(e) for e in listed), f"{condition}: {code} still listed"
    for system, code in added:
        assert code in set(mine[mine.code_system == system].code), f"{condition}: {code} missing"

    shipped_read = set(mine[mine.code_system == "READ2"].code)
    assert set(read) - shipped_read == set(), f"{condition}: CALIBER Read codes not shipped"
    extra_read = shipped_read - set(read) - {c for s, c in added if s == "READ2"}
    assert not extra_read, f"{condition}: Read codes from no stated source {sorted(extra_read)}"


def _supplementary(codes: pd.DataFrame, system: str, code: str) -> bool:
    """An ICD-10 code the project added before 2026.2 (CKD stages, palliative care, ...)."""
    hit = codes[(codes.code_system == system) & (codes.code == code)]
    return bool(len(hit)) and (hit.source_id != "caliber_2019").all()


# ---- the SNOMED CT refset copies (README "SNOMED CT refsets: the re-read") -----------------
#: a refset copy names the exact file it was copied from: repository, 40-hex commit, codelists path
GITHUB_FILE = re.compile(
    r"https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/codelists/[\w.-]+\.csv"
)
#: rows shipped per refset copy = codes in the cited file as re-read on 2026-12-03, except TIA_COD:
#: its file has 17, the 17th (16218291000119100) is shipped once, under STRK_COD
REFSET_ROWS = {
    "nhsd_afib_cod": 19, "nhsd_ast_cod": 141, "nhsd_atopic_dermatitis": 68, "nhsd_chd_cod": 338,
    "nhsd_ckd35": 51, "nhsd_ckdres_cod": 1, "nhsd_copd_cod": 54, "nhsd_copdres_cod": 1,
    "nhsd_crohns": 93, "nhsd_dem_cod": 325, "nhsd_depr_cod": 102, "nhsd_depres_cod": 1,
    "nhsd_dm_cod": 86, "nhsd_dmres_cod": 1, "nhsd_epil_cod": 165, "nhsd_epilres_cod": 1,
    "nhsd_hf_cod": 42, "nhsd_hfres_cod": 1, "nhsd_hyp_cod": 117, "nhsd_hypres_cod": 1,
    "nhsd_ld_cod": 333, "nhsd_mh_cod": 190, "nhsd_ms": 44, "nhsd_osteo_cod": 37, "nhsd_pad_cod": 29,
    "nhsd_palcare_cod": 79, "nhsd_palcareni_cod": 2, "nhsd_psoriasis": 115, "nhsd_rarth_cod": 75,
    "nhsd_strk_cod": 144, "nhsd_tia_cod": 16, "nhsd_uc": 62,
}  # fmt: skip


def _refset_rows(version: str) -> pd.DataFrame:
    text = reference_dir("codelists", version, "codes_nhsd_refsets.csv").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.mark.parametrize("version", [OLD, NEW])
def test_every_refset_copy_names_its_repository_commit_and_file(version):
    sources = load_codelist(version).sources
    refsets = sources[sources.source_id.str.startswith("nhsd_")]
    unnamed = [
        s.source_id for s in refsets.itertuples() if not GITHUB_FILE.fullmatch(s.retrieved_from)
    ]
    assert unnamed == []
    rows = _refset_rows(version)
    # every row cites a refset copy, and every refset copy has rows
    assert set(rows.source_id) == set(refsets.source_id)
    assert (rows.code_system == "SNOMED").all()


def test_refset_rows_are_the_rows_of_the_files_re_read():
    rows = _refset_rows(NEW)
    assert rows.groupby("source_id").size().to_dict() == REFSET_ROWS
    assert not rows.duplicated(["source_id", "code"]).any()
    tia_17th = rows[rows.code == "16218291000119100"]
    assert list(tia_17th.source_id) == ["nhsd_strk_cod"]
    assert list(tia_17th.condition_id + "/" + tia_17th.role) == ["stroke_tia/diagnosis"]
    tia = rows[rows.source_id == "nhsd_tia_cod"]
    assert set(tia.condition_id + "/" + tia.role) == {"stroke_tia/diagnosis"}
