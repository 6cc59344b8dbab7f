"""Declared schemas: valid declarations, constraint checks, and docs that match the code."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest

from yearofcare import schemas
from yearofcare.schemas.model import Column, table
from yearofcare.schemas.render import render

ROOT = Path(__file__).resolve().parents[1]


def test_data_model_doc_is_fresh():
    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == render(), "docs/data-model.md is stale: run `make docs` (yoc docs)"


def test_canonical_tables_of_design_are_declared():
    names = {t.name for t in schemas.all_tables()}
    assert {
        "person",
        "registration",
        "activity",
        "coded_event",
        "assessment",
        "survey_response",
        "person_year",
        "run_log",
    } <= names


def test_every_column_is_described():
    for t in schemas.all_tables():
        assert t.description, t.name
        for c in t.columns:
            assert c.description.strip(), f"{t.name}.{c.name}"


def test_duplicate_column_declaration_is_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        table("x", "g", "d", [Column("a", "string", "a"), Column("a", "int8", "b")])


def test_violations_name_column_and_reason(duck_store):
    t = ibis.memtable(
        {
            "person_id": ["a", None, "c"],
            "sex": ["F", "M", "Q"],
            "birth_year": [1950, 1960, 1850],
            "birth_month": [1, 13, 5],
        }
    )
    person = schemas.get("person")
    conformed = person.conform(
        t.mutate(
            lsoa=ibis.null("string"),
            imd_decile=ibis.null("int8"),
            date_of_death=ibis.null("date"),
            place_of_death=ibis.null("string"),
            linked=ibis.literal(True),
        )
    )
    v = duck_store.to_pandas(person.violations(conformed))
    got = sorted(zip(v._column, v._reason, strict=True))
    assert got == [
        ("birth_month", "above maximum 12"),
        ("birth_year", "below minimum 1890"),
        ("person_id", "missing required value"),
        ("sex", "value not in allowed set"),
    ]
