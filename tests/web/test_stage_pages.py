"""The cohort explorer, budget, risk-share and scenarios pages against the web store: figures
checked against the store, calculators against the stages' own results, bad input inline."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from tests.web.conftest import csrf_of
from yearofcare.web.registry import PAGES


def _one(store: Path, sql: str):
    con = duckdb.connect(str(store / "yoc.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _pence(pounds: float) -> int:
    return round(pounds * 100)


def _table(body: dict, key: str) -> list[dict]:
    return next(t for t in body["tables"] if t["key"] == key)["rows"]


def test_explorer_counts_the_rule_on_the_store(client_for, web_store):
    rule = "ltc_count >= 3 and age >= 65"
    body = client_for("analyst").get(f"/api/pages/cohorts?rule={quote(rule)}").json()
    assert body["error"] is None and body["inputs"] == {"rule": rule}
    [(_fy, n, everyone)] = _one(
        web_store,
        "SELECT max(fy), count(*) FILTER (WHERE ltc_count >= 3 AND age >= 65), count(*) "
        "FROM person_year WHERE months_registered > 0 AND fy = (SELECT max(fy) FROM person_year)",
    )
    summary = _table(body, "summary")[0]
    assert (summary["selected"], summary["population"]) == (n, everyone)
    turnover = _table(body, "turnover")[0]
    assert (
        turnover["retained"] + turnover["died"] + turnover["moved_away"] + turnover["stepped_down"]
        == turnover["members"]
    )
    sizes = {r["cohort_size"] for r in _table(body, "volatility")}
    assert round(n / 5) * 5 in sizes and 100 in sizes
    planner = client_for("service_planner").get(f"/api/pages/cohorts?rule={quote(rule)}").json()
    assert _table(planner, "summary")[0]["selected"] == round(n / 5) * 5


def test_quick_count_skips_turnover_and_volatility_with_the_same_count(client_for):
    c = client_for("analyst")
    rule = quote("ltc_count >= 2 and age >= 50")
    full = c.get(f"/api/pages/cohorts?rule={rule}").json()
    quick = c.get(f"/api/pages/cohorts?rule={rule}&stability=skip").json()
    assert quick["error"] is None and quick["inputs"]["stability"] == "skip"
    keys = [t["key"] for t in quick["tables"]]
    assert "turnover" not in keys and "volatility" not in keys
    assert {"turnover", "volatility"} <= {t["key"] for t in full["tables"]}
    assert _table(quick, "summary") == _table(full, "summary")
    assert any("skipped (quick count)" in n for n in quick["notes"])
    bad = c.get(f"/api/pages/cohorts?rule={rule}&stability=later").json()
    assert "'later' is not a choice" in bad["error"]


@pytest.mark.parametrize(
    "rule, words",
    [
        ("ltc_cont >= 3", ["no column 'ltc_cont'", "did you mean 'ltc_count'", "^^^^^^^^"]),
        ("age >= 65; drop table person", ["not allowed"]),
        ("age >=", ["syntax error"]),
        ("(" * 400 + "age > 1" + ")" * 400, []),
        ("age * 9223372036854775807 * 9223372036854775807 > 1", []),
        ("upper(practice_code) = 'A'", ["functions are not part of the rule language"]),
    ],
)
def test_a_bad_rule_is_shown_inline_never_a_500(client_for, rule, words):
    c = client_for("service_planner")
    page = c.get(f"/pages/cohorts?rule={quote(rule)}")
    assert page.status_code == 200 and "Traceback" not in page.text
    api = c.get(f"/api/pages/cohorts?rule={quote(rule)}").json()
    if words:
        assert 'id="input-error"' in page.text
        for w in words:
            assert w in api["error"]


def test_a_rule_is_saved_as_a_cohort_definition_with_csrf(client_for):
    c = client_for("service_planner")
    form = {"name": "old_frail", "rule": "age >= 85 and ltc_count >= 2", "description": "test"}
    assert c.post("/pages/cohorts/save", data=form).status_code == 403  # no token
    token = csrf_of(c)
    bad = c.post("/pages/cohorts/save", data={**form, "rule": "agee > 1", "csrf_token": token})
    assert bad.status_code == 400 and "did you mean" in bad.text
    ok = c.post("/pages/cohorts/save", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert "old_frail" in c.get("/pages/cohorts").text
    ph = client_for("public_health")
    denied = ph.post("/pages/cohorts/save", data={**form, "csrf_token": csrf_of(ph)})
    assert denied.status_code == 403


def test_budget_page_shows_the_stored_budget_and_the_calculator_reproduces_it(
    client_for, web_store
):
    body = client_for("finance").get("/api/pages/budget").json()
    assert body["error"] is None
    [(cohort, _fy, total)] = _one(
        web_store,
        "SELECT cohort_id, fy, running_total_pence FROM budget WHERE step = 'total' "
        "ORDER BY cohort_id, fy LIMIT 1",
    )
    steps = _table(body, "calc_budget")
    assert _pence(steps[-1]["running_total"]) == total  # no change: the stored budget, exactly
    months = _table(body, "calc_schedule")
    assert sum(_pence(m["amount"]) for m in months) == total and len(months) == 12
    stored = [r for r in _table(body, "budget") if r["cohort_id"] == cohort]
    assert any(round(r["running_total"] * 100) == total for r in stored)
    assert _table(body, "reconciliation")


def test_budget_calculator_moves_members_and_tariffs_to_the_penny(client_for):
    c = client_for("finance")
    body = c.get("/api/pages/budget?members=500&tariff_change=10").json()
    values = _table(body, "calc_values")
    assert sum(v["calc_members"] for v in values) == 500
    for v in values:  # 10 % on each tariff, half up to the penny
        pence = round(v["tariff"] * 100)
        assert round(v["calc_tariff"] * 100) == pence + (pence * 10 + 50) // 100
    base = sum(v["calc_members"] * round(v["calc_tariff"] * 100) for v in values)
    assert _pence(_table(body, "calc_budget")[0]["running_total"]) == base
    total = _pence(_table(body, "calc_budget")[-1]["running_total"])
    assert sum(_pence(m["amount"]) for m in _table(body, "calc_schedule")) == total
    for query, words in (
        ("members=lots", "not a whole number"),
        ("tariff_change=abc", "not a percentage"),
        ("tariff_change=-250", "between -100 and 1000"),
        ("cohort=nobody", "no budget for cohort"),
    ):
        r = c.get(f"/pages/budget?{query}")
        assert r.status_code == 200 and words in r.text, query


def test_risk_share_page_and_calculator(client_for, web_store):
    c = client_for("finance")
    body = c.get("/api/pages/risk-share").json()
    stored = _one(web_store, "SELECT DISTINCT contract_id FROM settlement_contract")
    assert {r["contract_id"] for r in _table(body, "contracts")} == {s[0] for s in stored}
    # with the example's own inputs, the calculator gives the stored statement
    rows = _one(
        web_store,
        "SELECT party, gain_loss_pence FROM settlement_party p JOIN settlement_contract c "
        "USING (contract_id, period) WHERE c.terms_file = 'example lewisham'",
    )
    calc = sorted(_pence(r["gain_loss"]) for r in _table(body, "calc_parties"))
    assert calc == sorted(g for _, g in rows)
    assert _table(body, "exposure")
    moved = c.get("/api/pages/risk-share?contract=lewisham&outturn=1m").json()
    assert moved["error"] is None
    assert sorted(_pence(r["gain_loss"]) for r in _table(moved, "calc_parties")) != calc
    bad = c.get("/pages/risk-share?outturn=lots")
    assert bad.status_code == 200 and "expected an amount in pounds" in bad.text
    assert "no sample contract" in c.get("/pages/risk-share?contract=nope").text


def test_scenarios_page_names_the_command_until_planning_has_run(client_for):
    page = client_for("service_planner").get("/pages/scenarios")
    assert page.status_code == 200 and "yoc simulate" in page.text
    api = client_for("finance").get("/api/pages/scenarios").json()
    assert api["missing"] and api["command"] == PAGES["scenarios"].command


def test_page_inputs_belong_to_their_page(client_for):
    r = client_for("analyst").get("/api/pages/population?rule=age+%3E+1")
    assert r.status_code == 400 and "unknown filter" in r.json()["error"]
    long = client_for("analyst").get("/api/pages/budget?members=" + "1" * 30)
    assert long.status_code in (400, 422)


def test_scenarios_page_reads_the_planning_tables(tmp_path):
    """Planning's tables as `yoc simulate` writes them (a small store holding only those):
    shown with the year filter, small counts suppressed for a planner."""
    from fastapi.testclient import TestClient

    from tests.web.conftest import PASSWORD, login
    from yearofcare.web.app import create_app
    from yearofcare.web.auth import add_user
    from yearofcare.web.settings import WebSettings
    from yearofcare.web.state import AppState

    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "yoc.duckdb"))
    con.execute(
        "CREATE TABLE planning_summary AS SELECT * FROM (VALUES "
        "('virtual_ward', 'Virtual ward', 'all', 'All cohorts', 0, 2025, 3, 1234, 5100.0, "
        "4800.0, 350000.0, false), "
        "('virtual_ward', 'Virtual ward', 'c1', 'Cohort 1', 1, 2025, 3, 7, 9100.0, "
        "8800.0, 2100.0, false)) AS t(scenario_id, scenario_name, cohort_id, cohort_label, "
        "cohort_order, base_fy, years, people, baseline_mean_cost, scenario_mean_cost, saving, "
        "suppressed)"
    )
    con.execute(
        "CREATE TABLE planning_result AS SELECT * FROM (VALUES "
        "('virtual_ward', 'all', 1, 2026, 'year 1', 'acute_non_elective', 'cost', 10.0, 8.0), "
        "('virtual_ward', 'all', 2, 2027, 'year 2', 'acute_non_elective', 'cost', 11.0, 8.5)) "
        "AS t(scenario_id, cohort_id, year, fy, period, setting, measure, baseline, scenario)"
    )
    con.close()
    state = tmp_path / "state.sqlite"
    add_user(AppState(state), "planner", PASSWORD, ("service_planner",))
    client = TestClient(
        create_app(WebSettings(data_dir=data, state_file=state)), base_url="https://testserver"
    )
    assert login(client, "planner").status_code == 303
    body = client.get("/api/pages/scenarios").json()
    assert body["missing"] == [] and body["headline"] == [["Scenarios", "1"], ["Cohorts", "2"]]
    summary = _table(body, "planning_summary")
    assert [r["people"] for r in summary] == [1235, None]  # rounded; 7 suppressed
    assert len(_table(body, "planning_result")) == 2
    assert client.get("/pages/scenarios/download/planning_result.csv").status_code == 200
