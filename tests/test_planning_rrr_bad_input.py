"""Bad input to `yoc rrr` (issue 14): an unknown group, a trim point of zero days or less,
overlapping tariff tiers, a fraction of a penny — each a clear message naming the file, line
and setting (or the group); a run that cannot start leaves the store as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from yearofcare.cli import main
from yearofcare.config.examples import EXAMPLES
from yearofcare.errors import ConfigError, StageError
from yearofcare.planning.rrr_run import run_rrr
from yearofcare.planning.rrr_settings import load_rrr_settings

EXAMPLE = next(e for e in EXAMPLES if e.name == "rrr.yaml").text()


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rrr.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_loads():
    s = load_rrr_settings(None)
    assert [g.id for g in s.groups][:2] == ["copd", "heart_failure"]
    assert s.tier_of()["End of life"] == "High"


def test_an_unknown_group_is_named_with_the_known_ones():
    with pytest.raises(ConfigError, match="unknown RRR group 'asthma'") as e:
        load_rrr_settings(None).select(("copd", "asthma"))
    assert "copd, heart_failure" in e.value.hint


@pytest.mark.parametrize("days", ["0", "-2"])
def test_a_trim_point_of_zero_days_or_less_is_refused_with_its_line(tmp_path, days):
    path = _file(tmp_path, EXAMPLE.replace("trim_days: 4", f"trim_days: {days}", 1))
    line = EXAMPLE.splitlines().index("    trim_days: 4") + 1
    with pytest.raises(ConfigError) as e:
        load_rrr_settings(path)
    msg = str(e.value)
    assert f"line {line}" in msg and "groups.1.trim_days" in msg and "no acute phase" in msg


def test_overlapping_tariff_tiers_are_refused(tmp_path):
    path = _file(tmp_path, EXAMPLE.replace("levels: [High, End of life]", "levels: [High, Medium]"))
    with pytest.raises(ConfigError, match="overlapping tariff tiers: level of need 'Medium'"):
        load_rrr_settings(path)


def test_a_fraction_of_a_penny_and_an_unknown_setting_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="more than two decimal places"):
        load_rrr_settings(
            _file(tmp_path, EXAMPLE.replace("acute_day_weight: 2", "acute_day_weight: 1.333"))
        )
    with pytest.raises(ConfigError, match="fraction of a penny"):
        load_rrr_settings(_file(tmp_path, EXAMPLE.replace("day_price: 95.00", "day_price: 95.005")))
    with pytest.raises(ConfigError, match=r"groups\.0\.trim_days: required setting is missing"):
        load_rrr_settings(_file(tmp_path, EXAMPLE.replace("trim_days: 3", "trim_dayz: 3", 1)))


def test_a_store_without_spells_is_refused_and_left_as_it_was(duck_store):
    with pytest.raises(StageError, match="activity"):
        run_rrr(duck_store, load_rrr_settings(None))
    assert not duck_store.exists("rrr_spell")


def test_the_cli_names_the_unknown_group_without_a_traceback(tmp_path, capsys):
    code = main(["--data-dir", str(tmp_path / "d"), "rrr", "--groups", "copd,asthma"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 2 and "unknown RRR group 'asthma'" in text and "Traceback" not in text
