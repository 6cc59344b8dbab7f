"""Currencies (issue 11 item 4): one value per configured currency for every person-year,
unmatched person-years reported (not dropped), overlapping or gapped rules refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.spec import load, rows
from yearofcare.errors import ConfigError
from yearofcare.segmentation.currency_stage import CurrencyOptions, run_currency

CURRENCIES = """\
# test currencies
version: cur-test
currencies:
  - name: level_of_need
    kind: column
    column: level
    values: [Low, Medium, High, End of life]
    missing_value: Not classified
  - name: bands
    kind: bands
    column: ltc_count
    bands:
      - {value: "1-2", from: 1, to: 3}
      - {value: "3+", from: 3}
  - name: ntp
    kind: rules
    match: first
    rules:
      - {value: High, rule: "ltc_count >= 4 or (ltc_depression and ltc_anxiety)"}
      - {value: Medium, rule: "ltc_count >= 3 or ltc_depression or ltc_anxiety"}
      - {value: Low, rule: "ltc_count >= 1"}
"""
PY = [
    {"person_id": "a", "fy": 2024, "ltc_count": 0, "cost_total": 100.0},
    {"person_id": "b", "fy": 2024, "ltc_count": 2, "ltc_depression": True, "cost_total": 300.0},
    {"person_id": "c", "fy": 2024, "ltc_count": 3, "cost_total": 900.0},
    {"person_id": "d", "fy": 2024, "ltc_count": 5, "cost_total": 2000.0},
]
NEED = [
    {
        "person_id": "b",
        "fy": 2024,
        "has_ltc": True,
        "level": "Low",
        "rising_risk": False,
        "rules_version": "t",
    },
    {
        "person_id": "c",
        "fy": 2024,
        "has_ltc": True,
        "level": "Medium",
        "rising_risk": False,
        "rules_version": "t",
    },
    {
        "person_id": "d",
        "fy": 2024,
        "has_ltc": True,
        "level": "High",
        "rising_risk": False,
        "rules_version": "t",
    },
]


def _file(tmp_path: Path, text: str = CURRENCIES) -> Path:
    path = tmp_path / "currencies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_person_year_gets_every_currency(store, tmp_path):
    load(store, {"person_year": PY, "need_level": NEED})
    result = run_currency(store, CurrencyOptions(currencies=_file(tmp_path)))
    got = rows(store, store.table("person_currency"), order_by=["currency", "person_id"])
    assert [(r["currency"], r["person_id"], r["value"], r["matched"]) for r in got] == [
        # a has no LTC: no band holds 0, no NTP rule holds — kept, matched = false
        ("bands", "a", None, False), ("bands", "b", "1-2", True), ("bands", "c", "3+", True),
        ("bands", "d", "3+", True),
        ("level_of_need", "a", "Not classified", True), ("level_of_need", "b", "Low", True),
        ("level_of_need", "c", "Medium", True), ("level_of_need", "d", "High", True),
        # first match: b (2 LTCs, depression) Medium; c (3) Medium; d (5) High
        ("ntp", "a", None, False), ("ntp", "b", "Medium", True), ("ntp", "c", "Medium", True),
        ("ntp", "d", "High", True),
    ]  # fmt: skip
    assert result.unmatched == {"level_of_need": 0, "bands": 1, "ntp": 1}
    summary = result.summary.set_index(["currency", "value"])
    assert bool(summary.loc[("bands", "(no match)")].suppressed)  # a count of 1 is suppressed


def test_overlapping_exclusive_rules_name_both_values(store, tmp_path):
    text = CURRENCIES.replace("match: first", "match: exclusive")
    load(store, {"person_year": PY, "need_level": NEED})
    # d (5 LTCs) meets all three rules; c meets Medium and Low; b Medium and Low
    with pytest.raises(
        ConfigError,
        match=r"currency ntp: the rules overlap — 2 person-years \(first in 2024\) match both 'Medium' and 'Low'; 3 person-years match more than one rule in all",
    ):
        run_currency(store, CurrencyOptions(currencies=_file(tmp_path, text)))
    assert not store.exists("person_currency")


@pytest.mark.parametrize(
    "bands, message",
    [
        (
            '[{value: "1", from: 1, to: 2}, {value: "3+", from: 3}]',
            r"gap between band '1' \(to 2\) and band '3\+' \(from 3\)",
        ),
        (
            '[{value: "1-3", from: 1, to: 4}, {value: "3+", from: 3}]',
            r"bands '1-3' \(to 4\) and '3\+' \(from 3\) overlap",
        ),
        (
            '[{value: "1+", from: 1}, {value: "3+", from: 3}]',
            r"band '1\+' has no upper bound, so it must be the last",
        ),
    ],
)
def test_gapped_or_overlapping_bands_are_refused_when_the_file_loads(tmp_path, bands, message):
    text = CURRENCIES.replace(
        """    bands:
      - {value: "1-2", from: 1, to: 3}
      - {value: "3+", from: 3}""",
        f"    bands: {bands}",
    )
    with pytest.raises(ConfigError, match=message) as info:
        from yearofcare.segmentation.currencies import load_currencies

        load_currencies(_file(tmp_path, text))
    assert "currencies.yaml line" in info.value.message


def test_a_rule_naming_a_missing_column_names_the_currency_and_line(tmp_path):
    from yearofcare.segmentation.currencies import load_currencies

    text = CURRENCIES.replace('rule: "ltc_count >= 1"', 'rule: "ltc_cuont >= 1"')
    with pytest.raises(
        ConfigError,
        match=r"currencies.yaml line 21, currency ntp, value 'Low': no column 'ltc_cuont'; did you mean 'ltc_count'\?",
    ):
        load_currencies(_file(tmp_path, text))
