"""Demographic gaps of the spine in the data-quality stage (issue 9 item 2): unknown age is
counted, and registered pseudonyms with no person row are an error finding."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.spec import spec_test
from yearofcare.quality.demographics import demographic_findings, person_completeness

PEOPLE = [
    {"person_id": "a", "sex": "F", "birth_year": 1950},
    {"person_id": "b", "sex": "U", "birth_year": None},  # registered, nothing known
    {"person_id": "c", "sex": "M", "birth_year": None},  # not registered, no birth year
    {"person_id": "d", "sex": "M", "birth_year": 1990},
]
REGS = [
    {"person_id": p, "practice_code": "P1", "start_date": date(2020, 1, 1)}
    for p in ("a", "b", "d", "orphan")
] + [{"person_id": "a", "practice_code": "P2", "start_date": date(2021, 1, 1)}]


def test_unknown_age_and_registrations_without_a_person_are_counted(store):
    spec_test(
        store,
        {"person": PEOPLE, "registration": REGS},
        lambda s: person_completeness(s.table("person"), s.table("registration")),
        [
            {"measure": "people", "people": 4, "share": 1.0},
            {"measure": "no_birth_year", "people": 2, "share": 2 / 4},
            {"measure": "unknown_sex", "people": 1, "share": 1 / 4},
            {"measure": "registered", "people": 4, "share": 1.0},  # a, b, d, orphan
            {"measure": "registered_no_birth_year", "people": 1, "share": 1 / 4},
            {"measure": "registered_unknown_sex", "people": 1, "share": 1 / 4},
            {"measure": "registered_without_person", "people": 1, "share": 1 / 4},
        ],
        approx=1e-9,
    )


def test_findings_name_the_unknown_band_and_the_missing_person_rows():
    frame = pd.DataFrame(
        [
            ("no_birth_year", 2, 0.5),
            ("registered_no_birth_year", 1, 0.25),
            ("registered_without_person", 1, 0.25),
        ],
        columns=["measure", "people", "share"],
    )
    got = {(f["check"], f["severity"], f["count"]) for f in demographic_findings(frame)}
    assert got == {
        ("registered_without_person", "error", 1),
        ("unknown_age", "warning", 1),
        ("unknown_age", "info", 2),
    }
