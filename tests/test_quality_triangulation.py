"""Triangulation of loaded cost against contract and budget values, and the contract file."""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from tests.quality_spec import activity
from tests.spec import load, rows
from yearofcare.errors import ConfigError
from yearofcare.quality.triangulation import (
    contracts_table,
    load_contracts,
    loaded_costs,
    triangulate,
)

L = "lA0000000001"
ACTIVITY = [
    # 2024/25: RYX community £600 + £400; RAL community £300 (one row uncosted)
    activity(L, 1, start=date(2024, 4, 2), cost=600.0),
    activity(L, 2, start=date(2025, 3, 31), cost=400.0),
    activity(L, 3, start=date(2024, 6, 1), cost=300.0, provider_code="RAL"),
    activity(L, 4, start=date(2024, 6, 2), cost=None, provider_code="RAL"),
    # 2023/24 (31 March 2024 is in 2023/24)
    activity(L, 5, start=date(2024, 3, 31), cost=999.0),
]


def _write(tmp_path, text: str, name: str = "contracts.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_difference_and_percentage(store, tmp_path):
    load(store, {"activity": ACTIVITY})
    path = _write(
        tmp_path,
        "name,kind,source,provider_code,setting,fy,value,tolerance\n"
        'RYX community,contract,csds,RYX,community,2024/25,"£1,250",\n'
        "All community,budget,,,community,2024,1300,10%\n"
        "RYX last year,contract,,RYX,,2023-24,999,\n"
        "Nothing loaded,contract,hes_apc,,,2024,500,\n",
    )
    lines = load_contracts(path)
    costs, table = loaded_costs(store.table("activity"), None)
    assert table == "activity"
    c = ibis.memtable(contracts_table(lines, 0.05))
    got = {r["line"]: r for r in rows(store, triangulate(c, costs, table), ["line"])}
    ryx = got[2]
    assert ryx["loaded_cost"] == 600 + 400
    assert ryx["difference"] == (600 + 400) - 1250
    assert ryx["difference_pct"] == pytest.approx(-250 / 1250)  # −20%
    assert not ryx["within_tolerance"]  # tolerance 5% by default
    everything = got[3]
    assert everything["loaded_cost"] == 600 + 400 + 300
    assert everything["records"] == 4 and everything["records_uncosted"] == 1
    assert everything["difference_pct"] == pytest.approx((1300 - 1300) / 1300)
    assert everything["tolerance_pct"] == pytest.approx(0.10) and everything["within_tolerance"]
    assert got[4]["loaded_cost"] == 999 and got[4]["difference"] == 0
    nothing = got[5]
    assert nothing["loaded_cost"] == 0 and nothing["difference_pct"] == pytest.approx(-1.0)


def test_yaml_contract_file(tmp_path):
    path = _write(
        tmp_path,
        "lines:\n"
        "  - name: Community block\n"
        "    setting: community\n"
        "    fy: 2024/25\n"
        "    value: 2500000\n"
        "    tolerance: 0.02\n",
        "contracts.yaml",
    )
    (row, line) = load_contracts(path)[0]
    assert row == 1 and line.kind == "contract" and line.fy == 2024 and line.value == 2_500_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("name,fy,value,colour\nA,2024,1,red\n", "row 1, column colour: unknown column"),
        ("name,fy,value\nA,2024/26,1\n", "row 2, column fy: the two years are not consecutive"),
        ("name,fy,value\nA,last year,1\n", "row 2, column fy: not a financial year"),
        ("name,fy,value\nA,2024,lots\n", "row 2, column value: not an amount in pounds"),
        ("name,fy,value\nA,2024,-5\n", "row 2, column value: Input should be greater than"),
        ("name,fy,value\n,2024,5\n", "row 2, column name"),
        ("name,fy\nA,2024\n", "row 2, column value: missing value"),
        ("name,fy,value,setting\nA,2024,5,acute\n", "row 2, column setting: unknown setting"),
        ("name,fy,value,source\nA,2024,5,sus\n", "row 2, column source: unknown source"),
        ("name,fy,value,kind\nA,2024,5,estimate\n", "row 2, column kind"),
        (
            "name,fy,value\nA,2024,5\nB,2024/25,6\n",
            "row 3: same contract as row 2",
        ),
        ("name,fy,value\nA,2024,5,extra\n", "row 2: more fields than the header"),
    ],
)
def test_bad_contract_files_name_the_row_and_column(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_contracts(path)
    assert "contract file contracts.csv" in str(err.value)
    assert message in str(err.value)
    assert err.value.hint


def test_missing_and_unknown_contract_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_contracts(tmp_path / "nope.csv")
    with pytest.raises(ConfigError, match=r"unknown type \.xlsx"):
        load_contracts(_write(tmp_path, "x", "contracts.xlsx"))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_contracts(_write(tmp_path, "lines: [a, b\n", "c.yaml"))
    with pytest.raises(ConfigError, match="expected a list of lines"):
        load_contracts(_write(tmp_path, "name: A\n", "d.yaml"))
