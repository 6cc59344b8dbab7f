"""Multimorbidity reference data checked against the published tables, and Charlson vs pycomorb."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tests.spec import load
from yearofcare.population.codelists import PREFIX_SYSTEMS
from yearofcare.population.multimorbidity import (
    charlson_flags,
    charlson_scores,
    load_charlson,
    load_cms,
)
from yearofcare.schemas.population import condition_ids


@pytest.fixture(scope="module")
def charlson():
    return load_charlson()


@pytest.mark.parametrize(
    ("category", "weight"),
    # Charlson et al. 1987, Table 3: 1 each, 2 for hemiplegia/renal/diabetes with end-organ
    # damage/any tumour, 3 moderate or severe liver disease, 6 metastatic tumour and AIDS
    [
        ("mi", 1),
        ("dementia", 1),
        ("hp", 2),
        ("rend", 2),
        ("diabwc", 2),
        ("msld", 3),
        ("metacanc", 6),
        ("aids", 6),
    ],
)
def test_original_charlson_weights(charlson, category, weight):
    assert charlson.weight("charlson_1987", category) == weight


@pytest.mark.parametrize(
    ("category", "weight"),
    # Quan et al. 2011, Table 3 (updated weights): MI, PVD, CVD, PUD and uncomplicated diabetes 0
    [
        ("mi", 0),
        ("pvd", 0),
        ("chf", 2),
        ("dementia", 2),
        ("mld", 2),
        ("msld", 4),
        ("aids", 4),
        ("metacanc", 6),
    ],
)
def test_quan_2011_weights(charlson, category, weight):
    assert charlson.weight("quan_2011", category) == weight


@pytest.mark.parametrize(
    ("category", "weight"),
    # SHMI specification: AMI 5, CHF 13, dementia 14, diabetes complications -1, severe liver 18
    [
        ("mi", 5),
        ("chf", 13),
        ("cevd", 11),
        ("dementia", 14),
        ("diabwc", -1),
        ("msld", 18),
        ("metacanc", 14),
        ("aids", 2),
    ],
)
def test_shmi_weights(charlson, category, weight):
    assert charlson.weight("shmi", category) == weight


def test_hierarchy_pairs(charlson):
    assert set(charlson.hierarchy) == {("diabwc", "diab"), ("msld", "mld"), ("metacanc", "canc")}


def test_quan_mapping_codes_are_normalised_prefixes(charlson):
    codes = charlson.mapping
    assert set(codes.code_system) == {"ICD10"} <= PREFIX_SYSTEMS
    assert codes.code.str.fullmatch(r"[A-Z][0-9]{2}[0-9]?").all()
    assert len(set(codes.category)) == 17


def test_quan_mapping_agrees_with_pycomorb(charlson):
    """Our expanded Quan 2005 table covers exactly what pycomorb's CHARLSON_QUAN.csv covers."""
    import pycomorb

    path = Path(pycomorb.__file__).parent / "common" / "CHARLSON_QUAN.csv"
    theirs = pd.read_csv(path)
    names = dict(zip(charlson.weights.label, charlson.weights.category, strict=True))
    aliases = {
        "Any malignancy, including lymphoma and leukemia, except malignant neoplasm of skin": "canc",
        "Metastatic solid tumor": "metacanc",
    }
    for row in theirs.itertuples(index=False):
        if row.category == "Age":
            continue
        cat = aliases.get(row.category) or names[row.category]
        ours = set(charlson.mapping[charlson.mapping.category == cat].code)
        their_prefixes = row.icd10_codes.split("|")
        for code in ours:
            assert any(code.startswith(p) for p in their_prefixes), (cat, code)
        for p in their_prefixes:
            probes = [p + d for d in "0123456789"] if len(p) == 2 else [p]
            for probe in probes:
                assert any(probe.startswith(c) for c in ours), (cat, probe)


@pytest.mark.parametrize(
    ("cms_condition", "weight"),
    # Payne et al. 2020, Table 2, general outcome (20-condition model)
    [
        ("dementia", 2.50),
        ("cancer", 1.53),
        ("copd", 1.46),
        ("anxiety_depression", 0.50),
        ("hypertension", 0.08),
    ],
)
def test_cambridge_general_outcome_weights(cms_condition, weight):
    weights = {name: w for name, _, w in load_cms().items}
    assert weights[cms_condition] == weight


def test_cambridge_cancer_counts_a_first_diagnosis_in_the_last_five_years_only():
    assert dict(load_cms().windows) == {"cancer": 5}


def test_cambridge_conditions_are_catalogue_conditions():
    items = load_cms().items
    assert len(items) == 20
    for _, ids, _ in items:
        assert set(ids) <= set(condition_ids())


def test_charlson_matches_pycomorb_on_random_records(duck_store, charlson):
    """The same ICD-10 records give the same three indices as pycomorb (Quan mapping)."""
    import polars as pl
    import pycomorb

    rng = random.Random(20261123)
    pool = [*charlson.mapping.code, "I10", "J18", "R69", "Z00", "E66"]
    events = []
    for i in range(400):
        for code in rng.sample(pool, rng.randint(1, 6)):
            suffix = rng.choice(["", "9", "X"]) if len(code) == 3 else ""
            events.append(
                {
                    "person_id": f"p{i}",
                    "event_date": date(2022, 5, 1),
                    "code_system": "ICD10",
                    "code": code + suffix,
                    "source": "spec",
                }
            )
    load(duck_store, {"coded_event": events})
    ours = duck_store.to_pandas(
        charlson_scores(charlson_flags(duck_store.table("coded_event"), charlson, [2022]), charlson)
    ).set_index("person_id")
    frame = pl.DataFrame(
        {
            "id": [e["person_id"] for e in events],
            "code": [e["code"].rstrip("X") for e in events],
            "age": [40] * len(events),
        }
    )
    for column, weights in (
        ("charlson_charlson", "charlson"),
        ("charlson_quan", "quan"),
        ("charlson_shmi", "uk_shmi"),
    ):
        theirs = pycomorb.CharlsonComorbidityIndex(
            frame, implementation="quan", weights=weights
        ).to_pandas()
        theirs = theirs.set_index("id")["Charlson Comorbidity Index"]
        both = ours[column].reindex(theirs.index).fillna(0).astype(int)
        assert (both == theirs.astype(int)).all(), column
