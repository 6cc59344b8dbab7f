"""Every measure of the packaged measures file has a hand-worked spec test in this folder."""

from __future__ import annotations

from pathlib import Path

from tests.spec.outcomes.conftest import MEASURES

HERE = Path(__file__).parent


def test_every_measure_has_a_hand_worked_answer():
    text = "".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_measures*.py"))
    untested = [m.id for m in MEASURES.measures if f'"{m.id}"' not in text]
    assert untested == [], f"measures without a spec test: {untested}"
