"""The service map and finance settings: the shipped examples load, and every bad file is
refused with its file, line and setting."""

from __future__ import annotations

from datetime import date

import pytest

from tests.spec import spec_test
from yearofcare import vocab
from yearofcare.cli import main
from yearofcare.errors import ConfigError
from yearofcare.finance.map_loader import load_service_map, service_map_from
from yearofcare.finance.service_map import example_path
from yearofcare.finance.settings import FinanceSettings, load_settings, per_year

D = date


def _map_text(*extra: str, skip: str | None = None) -> str:
    lines = ["version: t", "effective_from: 2020-04-01", "entries:"]
    for s in vocab.SETTINGS:
        if s != skip:
            lines.append(
                f"  - {{id: {s}, setting: {s}, inside: true, reason: r, effective_from: 2020-04-01}}"
            )
    return "\n".join([*lines, *extra]) + "\n"


def _load(tmp_path, text):
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    return load_service_map(path)


def test_the_example_map_and_settings_load_and_init_writes_them(tmp_path):
    m = load_service_map(example_path())
    assert {e.setting for e in m.entries} == set(vocab.SETTINGS)
    assert main(["--data-dir", str(tmp_path / "d"), "init", str(tmp_path / "config")]) == 0
    assert load_service_map(tmp_path / "config" / "service_map.yaml").version == m.version
    settings, sha = load_settings(tmp_path / "config" / "finance.yaml")
    assert settings.tariffs.outliers.method == "cap_and_pool" and len(sha) == 64


def test_overlapping_versions_are_refused_naming_the_line(tmp_path):
    text = _map_text(
        "  - {id: res, setting: social_care, service_types: [residential_care], inside: false,"
        " reason: r, effective_from: 2020-04-01, effective_to: 2024-03-31}",
        "  - {id: res, setting: social_care, service_types: [residential_care], inside: true,"
        " reason: r, effective_from: 2024-03-01}",
    )
    with pytest.raises(
        ConfigError, match=r"line 19 \(entry 'res'\).*overlaps the version at line 18"
    ):
        _load(tmp_path, text)


def test_gapped_versions_are_refused_naming_the_days_not_covered(tmp_path):
    text = _map_text(
        "  - {id: res, setting: social_care, service_types: [residential_care], inside: false,"
        " reason: r, effective_from: 2020-04-01, effective_to: 2024-03-31}",
        "  - {id: res, setting: social_care, service_types: [residential_care], inside: true,"
        " reason: r, effective_from: 2024-05-01}",
    )
    with pytest.raises(ConfigError, match=r"line 19.*2024-04-01 to 2024-04-30 is not covered"):
        _load(tmp_path, text)


def test_a_setting_without_an_entry_or_with_a_gap_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="setting 'hospice' has no setting-level entry"):
        _load(tmp_path, _map_text(skip="hospice"))
    gap = _map_text(skip="gp") + (
        "  - {id: gp, setting: gp, inside: false, reason: r, effective_from: 2020-04-01,"
        " effective_to: 2022-03-31}\n"
        "  - {id: gp2, setting: gp, inside: false, reason: r, effective_from: 2022-06-01}\n"
    )
    with pytest.raises(
        ConfigError, match=r"setting gp is not covered from 2022-04-01 to 2022-05-31"
    ):
        _load(tmp_path, gap)


def test_equally_specific_entries_that_disagree_are_refused(tmp_path):
    text = _map_text(
        "  - {id: a, setting: community, providers: [ZC1], inside: false, reason: r,"
        " effective_from: 2020-04-01}",
        "  - {id: b, setting: community, service_types: [district_nursing], inside: true,"
        " reason: r, effective_from: 2020-04-01}",
    )
    with pytest.raises(ConfigError, match="can both match the same community activity"):
        _load(tmp_path, text)


def test_unknown_values_name_the_line_and_setting(tmp_path):
    bad = _map_text().replace("setting: gp,", "setting: gpp,")
    with pytest.raises(
        ConfigError, match=r"line \d+, setting entries\.\d+\.setting: unknown setting 'gpp'"
    ):
        _load(tmp_path, bad)
    undefined = _map_text(
        "  - {id: s, setting: acute_elective, hrg_group: nope, inside: false, reason: r,"
        " effective_from: 2020-04-01}"
    )
    with pytest.raises(ConfigError, match="hrg_group 'nope' is not defined"):
        _load(tmp_path, undefined)


def test_an_adjustment_below_minus_100_percent_is_refused(tmp_path):
    path = tmp_path / "finance.yaml"
    path.write_text("version: x\nbudget:\n  uplift: 2\n  efficiency: -120\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 4, setting budget\.efficiency: .*below -100%"):
        load_settings(path)
    path.write_text("budget:\n  uplift: {2025: 2.0, 2026: -101}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2, setting budget\.uplift"):
        load_settings(path)
    with pytest.raises(ConfigError, match="gives no value for 2027/28"):
        per_year(
            FinanceSettings.model_validate({"budget": {"uplift": {2026: 1}}}).budget.uplift,
            2027,
            "uplift",
        )
    path.write_text("tariffs:\n  outliers:\n    method: cap_and_pool\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cap_and_pool needs either cap"):
        load_settings(path)


def _decide_map():
    entries = [
        {
            "id": s,
            "setting": s,
            "inside": s == "community",
            "reason": "r",
            "effective_from": D(2020, 4, 1),
        }
        for s in vocab.SETTINGS
        if s != "mental_health"
    ]
    entries += [
        {
            "id": "mh",
            "setting": "mental_health",
            "inside": False,
            "reason": "r",
            "effective_from": D(2020, 4, 1),
            "effective_to": D(2025, 3, 31),
        },
        {
            "id": "mh",
            "setting": "mental_health",
            "inside": True,
            "reason": "r",
            "effective_from": D(2025, 4, 1),
        },
        {
            "id": "res",
            "setting": "community",
            "service_types": ["residential"],
            "inside": False,
            "reason": "r",
            "effective_from": D(2020, 4, 1),
        },
        {
            "id": "ooa",
            "setting": "community",
            "providers_other_than": ["ZC1"],
            "inside": False,
            "reason": "r",
            "effective_from": D(2020, 4, 1),
        },
        {
            "id": "res-ooa",
            "setting": "community",
            "service_types": ["residential"],
            "providers_other_than": ["ZC1"],
            "inside": True,
            "reason": "r",
            "effective_from": D(2020, 4, 1),
        },
        {
            "id": "spec",
            "setting": "acute_elective",
            "hrg": ["LA*", "XD01"],
            "inside": True,
            "reason": "r",
            "effective_from": D(2020, 4, 1),
        },
    ]
    return service_map_from({"version": "t", "effective_from": D(2020, 4, 1), "entries": entries})


def test_the_most_specific_entry_in_force_decides(store):
    smap = _decide_map()

    def row(aid, setting, when, service=None, provider="ZC1", currency=None):
        return {
            "activity_id": aid,
            "setting": setting,
            "service_type": service,
            "provider_code": provider,
            "currency": currency or "-",
            "funding_route": "block",
            "cost_basis": "actual",
            "start_date": when,
        }

    rows = [
        row("1", "community", D(2024, 5, 1)),
        row("2", "community", D(2024, 5, 1), service="residential"),
        row("3", "community", D(2024, 5, 1), provider="ZZ9"),
        row("4", "community", D(2024, 5, 1), service="residential", provider="ZZ9"),
        row("5", "mental_health", D(2025, 3, 31)),
        row("6", "mental_health", D(2025, 4, 1)),
        row("7", "acute_elective", D(2024, 5, 1), currency="LA08E"),
        row("8", "acute_elective", D(2024, 5, 1), currency="XD012"),
        row("9", "community", D(2019, 5, 1)),
    ]
    spec_test(
        store,
        {"spec_rows": rows},
        lambda s: (
            t := s.table("spec_rows").mutate(start_date=lambda x: x.start_date.cast("date"))
        ).select("activity_id", **smap.decide(t)),
        [
            {"activity_id": "1", "map_entry": "community", "inside": True},
            {"activity_id": "2", "map_entry": "res", "inside": False},
            {"activity_id": "3", "map_entry": "ooa", "inside": False},
            {"activity_id": "4", "map_entry": "res-ooa", "inside": True},
            {"activity_id": "5", "map_entry": "mh", "inside": False},
            {"activity_id": "6", "map_entry": "mh", "inside": True},
            {"activity_id": "7", "map_entry": "spec", "inside": True},
            {"activity_id": "8", "map_entry": "acute_elective", "inside": False},
            {"activity_id": "9", "map_entry": None, "inside": False},
        ],
    )
