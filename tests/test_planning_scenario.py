"""Scenario files: every fault a clear ConfigError naming the file, line and scenario key."""

from __future__ import annotations

import textwrap

import pytest

from yearofcare.errors import ConfigError
from yearofcare.planning.scenario import load_scenario, scenario_from_dict

GOOD = """\
id: good
name: A good scenario
cohorts:
  - {id: c1, band: [0, 0.5]}
  - {id: c2, band: [0.5, 2]}
changes:
  - setting: non_elective
    what: activity
    percent: -15
    range: [-25, -5]
    phasing: [0.5, 1, 1]
"""


def _write(tmp_path, text: str):
    p = tmp_path / "scenario.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_a_good_scenario_loads(tmp_path):
    s = load_scenario(_write(tmp_path, GOOD)).scenario
    assert s.cohort_ids == ("c1", "c2")
    assert [s.changes[0].phase(y) for y in (1, 2, 3)] == [0.5, 1, 1]


@pytest.mark.parametrize(
    ("edit", "words", "line"),
    [
        # a setting that does not exist, with the nearest one offered
        (("setting: non_elective", "setting: non_electiv"), ["non_electiv", "non_elective"], 7),
        # phasing that drives the rate below zero: −80 % × 1.5 = −120 %
        (("percent: -15\n    range: [-25, -5]\n    phasing: [0.5, 1, 1]",
          "percent: -80\n    phasing: [0.5, 1, 1.5]"), ["below zero", "year 3"], 10),
        # a band outside 0–100 %
        (("band: [0.5, 2]", "band: [0.5, 120]"), ["outside 0–100 %"], 5),
        # overlapping bands, naming both cohorts
        (("band: [0.5, 2]", "band: [0.2, 2]"), ["overlaps", "'c2'", "'c1'"], 5),
        # a key the scenario does not know
        (("what: activity", "what: activity\n    percnt: 3"), ["percnt"], 9),
        # a cohort named that the scenario does not define
        (("phasing: [0.5, 1, 1]", "phasing: [0.5, 1, 1]\n    cohorts: [c9]"), ["'c9'"], 12),
    ],
    ids=["unknown-setting", "phasing-below-zero", "band-outside", "overlap", "unknown-key",
         "unknown-cohort"],
)  # fmt: skip
def test_bad_scenarios_name_file_line_and_key(tmp_path, edit, words, line):
    old, new = edit
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_scenario(path)
    message = err.value.message
    assert str(path) in message and f"line {line}" in message, message
    for w in words:
        assert w in message, message


def test_bad_scenario_given_as_data_names_the_key():
    with pytest.raises(ConfigError, match=r"changes\.0\.percent.*below zero"):
        scenario_from_dict(
            {
                "id": "x",
                "name": "x",
                "cohorts": [{"id": "a", "band": [0, 1]}],
                "changes": [{"setting": "ae", "what": "activity", "percent": -101}],
            }
        )


def test_the_example_scenarios_load_with_their_evidence(tmp_path):
    from yearofcare.config.examples import EXAMPLES

    scenarios = [e for e in EXAMPLES if e.name.startswith("scenario_")]
    assert len(scenarios) >= 2
    for e in scenarios:
        path = tmp_path / e.name
        path.write_text(e.text(), encoding="utf-8")
        s = load_scenario(path).scenario
        assert s.evidence and s.years == 3
    wsd = load_scenario(tmp_path / "scenario_telehealth_wsd.yaml").scenario
    effects = {(c.setting, c.what): c.percent for c in wsd.changes}
    # the Whole System Demonstrator's headline findings as DH 2012 quotes them
    assert effects == {
        ("non_elective", "activity"): -21,
        ("elective", "activity"): -24,
        ("ae", "activity"): -15,
    }
    table3 = load_scenario(tmp_path / "scenario_integrated_care.yaml").scenario
    assert [c.band for c in table3.cohorts] == [(0, 0.5), (0.5, 2), (2, 5), (5, 10)]


def test_the_complex_care_scenario_models_the_register_cohort_of_the_same_id(tmp_path):
    """The budget reads a scenario's adjustment only for the cohort it models alone, by id: the
    shipped complex_care scenario keeps the id and the rule of cohorts.yaml's register cohort,
    and every effect's range reaches no effect (Stokes 2015: no significant average effect)."""
    from yearofcare.cohorts.config import load_cohorts
    from yearofcare.config.examples import EXAMPLES

    by_name = {e.name: e for e in EXAMPLES}
    for name in ("scenario_complex_care.yaml", "cohorts.yaml"):
        (tmp_path / name).write_text(by_name[name].text(), encoding="utf-8")
    scenario = load_scenario(tmp_path / "scenario_complex_care.yaml").scenario
    loaded, _ = load_cohorts(tmp_path / "cohorts.yaml")
    register = {c.id: c for c in loaded.model.cohorts}
    [cohort] = scenario.cohorts
    assert cohort.id == "complex_care" and cohort.rule == register["complex_care"].rule
    for change in scenario.changes:
        low, high = change.range
        assert low <= 0 <= high or high <= 0 <= low, change
