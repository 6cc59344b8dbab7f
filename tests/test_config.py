"""The one configuration loader: errors name the file, line and setting, and suggest the fix."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import Field

from yearofcare.config import ConfigModel, load_yaml, settings
from yearofcare.config.paths import default_key_file, is_inside
from yearofcare.errors import ConfigError


class Tier(ConfigModel):
    share: float = Field(ge=0, le=1)


class Terms(ConfigModel):
    config_name: ClassVar[str] = "contract terms"
    name: str
    tiers: tuple[Tier, ...] = ()


def test_valid_file_loads_frozen_with_hash(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: x\ntiers:\n  - share: 0.5\n", encoding="utf-8")
    loaded = load_yaml(Terms, path)
    assert loaded.model.tiers[0].share == 0.5
    assert len(loaded.sha256) == 64
    with pytest.raises(Exception, match="frozen"):
        loaded.model.name = "y"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\ntiers:\n  - share: 0.5\n  - share: 2\n",
            r"line 4, setting tiers\.1\.share: .*found 2",
        ),
        (
            "name: x\ntierz: []\n",
            r"line 2, setting tierz: unknown setting 'tierz'; did you mean 'tiers'",
        ),
        ("name: x\ntiers:\n  - share: 0.5\n    sahre: 1\n", r"line 4, .*did you mean 'share'"),
        ("tiers: []\n", r"setting name: required setting is missing"),
        ("name: [x\n", r"line 2: not valid YAML"),
        ("- a\n- b\n", r"must hold settings as 'key: value' lines, found a list"),
    ],
)
def test_errors_name_file_line_and_setting(tmp_path, text, expected):
    path = tmp_path / "terms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected) as err:
        load_yaml(Terms, path)
    assert str(path) in err.value.message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_yaml(Terms, tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_yaml(Terms, tmp_path)


def test_settings_ignore_none_and_name_the_option():
    assert settings(Tier, share=0.2).share == 0.2
    with pytest.raises(ConfigError, match=r"setting share: .*found 3"):
        settings(Tier, share=3)


def test_default_key_file_is_outside_the_data_dir(tmp_path):
    data = tmp_path / "icb-data"
    key = default_key_file(data)
    assert not is_inside(key, data)
    assert is_inside(data / "x" / "y", data)
