"""Bad input to the outcomes stage: a clear message or a suppressed value, never a crash."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.spec import load
from yearofcare.errors import ConfigError, InputError
from yearofcare.outcomes import scorecard
from yearofcare.outcomes.definitions import load_measures, load_scorecard
from yearofcare.outcomes.evaluation import EvaluateOptions, evaluate


def test_target_naming_an_unknown_measure(tmp_path):
    f = tmp_path / "card.yaml"
    f.write_text(
        "version: t\ntargets:\n  ltc6_q1_tpo: {target: 80}\nquality_levels:\n  - {level: 1, min_share_met: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="'ltc6_q1_tpo' names no measure") as exc:
        load_scorecard(f, load_measures().model)
    assert "ltc6_q1_top" in exc.value.hint


def test_measure_reading_an_unknown_column(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text(
        "version: t\nmeasures:\n  - id: x\n    label: X\n    quadrant: person\n    base: ltc6\n"
        "    numerator: {where: [{column: q7, op: '==', value: 3}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="measure x numerator reads column 'q7'"):
        load_measures(f)


def test_zero_denominator_gives_a_status_not_an_error():
    assert scorecard.achievement(float("nan"), 75, "higher") is None
    assert scorecard.achievement(0.0, 10, "lower") == 100.0
    assert scorecard.rag(80, 75, "higher", 5) == "green"
    assert scorecard.rag(72, 75, "higher", 5) == "amber"  # within 5 % of 75 (71.25)
    assert scorecard.rag(70, 75, "higher", 5) == "red"
    assert scorecard.rag(104, 100, "lower", 5) == "amber"
    assert scorecard.achievement(50, 75, "higher") == pytest.approx(200 / 3)
    assert scorecard.achievement(150, 100, "lower") == pytest.approx(200 / 3)


def test_too_few_treated_to_match_says_how_many_are_needed(duck_store):
    d = dt.date
    load(
        duck_store,
        {
            "person_year": [
                {"person_id": "a", "fy": 2024, "months_registered": 12, "died_in_year": False}
            ],
            "activity": [
                {
                    "activity_id": "1",
                    "person_id": "a",
                    "source": "t",
                    "setting": "gp",
                    "start_date": d(2023, 4, 1),
                },
                {
                    "activity_id": "2",
                    "person_id": "a",
                    "source": "t",
                    "setting": "gp",
                    "start_date": d(2026, 3, 1),
                },
            ],
            "service_enrolment": [
                {"service_id": "vw", "person_id": "a", "start_date": d(2024, 6, 1)}
            ],
        },
    )
    with pytest.raises(InputError, match=r"1 enrolled people .* matching needs at least 30"):
        evaluate(duck_store, EvaluateOptions(service="vw"), "r")
    with pytest.raises(InputError, match="nobody is enrolled in service 'nope'") as exc:
        evaluate(duck_store, EvaluateOptions(service="nope"), "r")
    assert "vw" in exc.value.hint
