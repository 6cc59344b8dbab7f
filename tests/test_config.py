"""The one configuration loader: errors name the file, line and setting, and suggest the fix."""

from __future__ import annotations

import re
from pathlib import Path
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


# ---- every stage's configuration goes through the one loader --------------------------------


def test_no_module_handles_pydantic_errors_itself():
    import yearofcare

    root = Path(yearofcare.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if re.search(r"\bValidationError\b", p.read_text(encoding="utf-8"))
        and p.parent.name != "config"
    ]
    assert offenders == []


def test_every_example_loads_through_its_loader(tmp_path):
    from yearofcare import sources
    from yearofcare.config.examples import EXAMPLES
    from yearofcare.quality.triangulation import load_contracts
    from yearofcare.sources.mapping import check_against, load_mapping

    assert {e.name for e in EXAMPLES} >= {"mapping.yaml", "quality.yaml", "analysis.yaml"}
    for e in EXAMPLES:
        path = tmp_path / e.name
        path.write_text(e.text(), encoding="utf-8")
        assert e.text().lstrip().startswith("#"), f"{e.name} explains itself in comments"
        if e.model_class() is not None:
            load_yaml(e.model_class(), path)
    mapping, _ = load_mapping(tmp_path / "mapping.yaml")
    check_against(mapping, sources.get("hes_apc", "activity"), tmp_path / "mapping.yaml")
    assert len(load_contracts(tmp_path / "contracts.yaml")) == 3


def test_yoc_init_writes_the_examples_and_keeps_edits(tmp_path, capsys):
    from yearofcare.cli import main

    target = tmp_path / "cfg"
    assert main(["--data-dir", str(tmp_path / "d"), "init", str(target)]) == 0
    assert (target / "analysis.yaml").is_file() and (target / "mapping.yaml").is_file()
    (target / "analysis.yaml").write_text("by: sex\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "init", str(target)]) == 0
    assert (target / "analysis.yaml").read_text(encoding="utf-8") == "by: sex\n"
    assert "kept" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path / "d"), "init"]) == 0  # default: <data-dir>/config
    assert (tmp_path / "d" / "config" / "quality.yaml").is_file()


def test_settings_file_with_options_over_it(tmp_path):
    from yearofcare.config import load_settings
    from yearofcare.quality import QualityOptions

    path = tmp_path / "q.yaml"
    path.write_text("contracts_file: c.csv\nlate_days: 30\ntolerance: 0.1\n", encoding="utf-8")
    opts = load_settings(QualityOptions, path, tolerance=0.2, late_days=None)
    assert opts.late_days == 30 and opts.tolerance == 0.2
    assert opts.contracts_file == tmp_path / "c.csv"  # relative to the file
    path.write_text("late_days: 30\nlate_dayz: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"q\.yaml line 2, setting late_dayz.*'late_days'"):
        load_settings(QualityOptions, path)
    with pytest.raises(ConfigError, match=r"option --tolerance: .*found -1"):
        load_settings(QualityOptions, None, tolerance=-1)


def test_link_options_are_validated_and_the_cli_names_the_option(tmp_path, capsys):
    from yearofcare.cli import main
    from yearofcare.config import options
    from yearofcare.linkage.probabilistic import LinkOptions

    assert options(LinkOptions, threshold=0.9, apply=None).threshold == 0.9
    with pytest.raises(ConfigError, match="option --threshold"):
        options(LinkOptions, threshold=1.5)
    code = main(["--data-dir", str(tmp_path / "d"), "link", "--threshold", "2"])
    assert code == ConfigError.exit_code and "--threshold" in capsys.readouterr().err


def test_keygen_follows_the_data_dir_and_refuses_the_store(tmp_path, capsys):
    from yearofcare.cli import main

    data = tmp_path / "icb-data"
    assert main(["--data-dir", str(data), "keygen"]) == 0
    assert default_key_file(data).is_file()
    assert main(["--data-dir", str(data), "keygen"]) == ConfigError.exit_code  # no overwrite
    inside = data / "keys" / "k.key"
    assert main(["--data-dir", str(data), "keygen", "--key-file", str(inside)]) == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert "would be inside the data directory" in err and not inside.exists()


def test_a_store_keeps_its_key_from_before_the_default_moved(tmp_path, capsys):
    from yearofcare.cli import main
    from yearofcare.config.paths import key_file, legacy_key_file

    data = tmp_path / "old-data"
    legacy = legacy_key_file(data)
    legacy.write_text("ab" * 32, encoding="utf-8")
    assert key_file(data) == legacy
    assert main(["--data-dir", str(data), "keygen"]) == ConfigError.exit_code
    assert "already has a linkage key" in capsys.readouterr().err.replace("\n", "")


def test_population_settings_keep_an_explicit_none():
    from yearofcare.population.config import load_config

    assert load_config(price_uplift=None).price_uplift is None  # --price-uplift none
    assert load_config().price_uplift is not None
