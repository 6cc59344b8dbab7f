"""The cohort rule language (issue 11 item 5): rules compile to Ibis and select the same people
on every engine; bad rules point at the bad token and suggest the nearest column."""

from __future__ import annotations

import pytest

from tests.spec import load, rows
from yearofcare.cohorts.rules import parse_rule
from yearofcare.errors import ConfigError
from yearofcare.segmentation.frame import frame_columns

# five person-years: ages 70, unknown, 40, 85, 66; LTC counts 3, 4, 1, 5, 0
PEOPLE = [
    {
        "person_id": "a",
        "fy": 2024,
        "age": 70,
        "ltc_count": 3,
        "ltc_copd": True,
        "cost_total": 1500.0,
        "practice_code": "A81001",
    },
    {
        "person_id": "b",
        "fy": 2024,
        "age": None,
        "ltc_count": 4,
        "ltc_copd": None,
        "cost_total": 300.0,
        "practice_code": "A81002",
    },
    {
        "person_id": "c",
        "fy": 2024,
        "age": 40,
        "ltc_count": 1,
        "ltc_copd": False,
        "cost_total": 0.0,
        "practice_code": "B82001",
    },
    {
        "person_id": "d",
        "fy": 2024,
        "age": 85,
        "ltc_count": 5,
        "ltc_copd": False,
        "cost_total": 9000.0,
        "practice_code": "A81001",
    },
    {
        "person_id": "e",
        "fy": 2024,
        "age": 66,
        "ltc_count": 0,
        "ltc_copd": True,
        "cost_total": 50.0,
        "practice_code": None,
    },
]

CASES = [
    # age unknown (b) is never selected by a comparison on age, either way
    ("ltc_count >= 3 and age >= 65", ["a", "d"]),
    ("age < 65", ["c"]),
    ("age is null", ["b"]),
    # an empty yes/no column reads as no: b has no COPD flag, so `not ltc_copd` holds
    ("not ltc_copd", ["b", "c", "d"]),
    ("ltc_copd or ltc_count >= 5", ["a", "d", "e"]),
    ("age between 66 and 85", ["a", "d", "e"]),  # inclusive at both ends
    ("ltc_count in (0, 1)", ["c", "e"]),
    ("ltc_count not in (0, 1)", ["a", "b", "d"]),
    ("practice_code like 'A81%'", ["a", "b", "d"]),
    ("practice_code = 'A81001'", ["a", "d"]),
    ("practice_code != 'A81001'", ["b", "c"]),  # e's empty practice is not 'different'
    # arithmetic: 1500/3 = 500 > 400; 300/4 = 75; 0/1 = 0; 9000/5 = 1800; e divides by 0
    ("cost_total / ltc_count > 400", ["a", "d"]),
    ("(ltc_count + 1) * 2 == 10", ["b"]),  # (4 + 1) × 2 = 10
    ("-age <= -85", ["d"]),
]


def test_rules_select_the_same_people_on_every_engine(store):
    load(store, {"person_year": PEOPLE})
    t = store.table("person_year")
    # one query for every case: a yes/no column per rule
    flags = {f"r{i}": parse_rule(rule, t.schema()).compile(t) for i, (rule, _) in enumerate(CASES)}
    result = rows(store, t.select("person_id", **flags), order_by=["person_id"])
    got = {
        rule: [r["person_id"] for r in result if r[f"r{i}"]] for i, (rule, _) in enumerate(CASES)
    }
    assert got == {rule: sorted(selected) for rule, selected in CASES}


def _error(rule: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_rule(rule, frame_columns(), source="cohort frail")
    return info.value.message


def test_unknown_column_suggests_the_nearest_and_points_at_it():
    msg = _error("ltc_count >= 3 and agee > 65")
    assert "no column 'agee'; did you mean 'age'?" in msg
    assert "at character 20" in msg
    assert msg.splitlines()[-1] == " " * 4 + " " * 19 + "^^^^"


def test_syntax_error_points_at_the_token():
    msg = _error("ltc_count >= and 3")
    assert "syntax error near 'and'" in msg and "at character 14" in msg


@pytest.mark.parametrize(
    "rule, found",
    [
        ("age > 3; drop table person_year", "';' (one rule, one expression) is not allowed"),
        ("select 1", "'select' is not allowed"),
        ("abs(age) > 3", "abs(...): functions are not part of the rule language"),
        ('level = "High"', '"High" is in double quotes'),
        ("age", "'age' is a number, not a yes/no condition"),
        ("level >= 3", "level is text but 3 is a number"),
        ("age = null", "compare with empty values using 'is null'"),
        ("last_year_of_life", "cannot be used here"),
        ("person_year.age > 3", "'.' is not allowed"),
        ("", "the rule is empty"),
    ],
)
def test_unsafe_or_wrong_rules_are_refused(rule, found):
    if rule == "last_year_of_life":
        from yearofcare.segmentation.config import FUTURE_COLUMNS

        with pytest.raises(ConfigError, match="cannot be used here"):
            parse_rule(rule, frame_columns(), forbidden=FUTURE_COLUMNS)
        return
    assert found in _error(rule)


def test_rules_read_need_columns_and_report_what_they_read():
    rule = parse_rule(
        "rising_risk and level in ('High', 'End of life') or risk_percentile >= 99.5",
        frame_columns(),
    )
    assert rule.columns == ("rising_risk", "level", "risk_percentile")
