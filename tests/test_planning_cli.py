"""`yoc simulate` from the command line: a scenario file simulated, the Table 3 view printed, the
budget's service-model adjustment written; a bad file stops with one clear line, store unchanged."""

from __future__ import annotations

from tests.spec import load
from tests.spec.planning.test_simulate import PEOPLE, SPELLS
from yearofcare.cli import main
from yearofcare.engine import connect
from yearofcare.store import Store

SCENARIO = """\
# fewer admissions for everyone at practice A
id: cli_cut
name: Fewer admissions
years: 2
cohorts:
  - {id: everyone, rule: "practice_code = 'A'"}
changes:
  - {setting: non_elective, what: activity, percent: -10, range: [-20, 0]}
"""


def test_simulate_prints_the_table_3_view_and_writes_the_adjustment(tmp_path, capsys):
    data = tmp_path / "data"
    store = Store(connect("duckdb", data))
    load(store, {"person_year": PEOPLE, "activity": SPELLS})
    good = tmp_path / "cut.yaml"
    good.write_text(SCENARIO)
    code = main(["--data-dir", str(data), "simulate", "--scenario", str(good), "--runs", "50"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Fewer admissions (cli_cut)" in printed and "Monte Carlo runs" in printed
    summary = store.to_pandas(store.table("planning_summary")).set_index("cohort_id")
    assert summary.saving["everyone"] == 2 * 7_950
    adj = store.to_pandas(store.table("service_model_adjustment"))
    assert set(adj.fy) == {2025, 2026} and set(adj.scenario) == {"cli_cut"}
    runs = store.count("run_log")

    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.replace("setting: non_elective", "setting: emergency"))
    code = main(["--data-dir", str(data), "simulate", "--scenario", str(bad)])
    err = capsys.readouterr().err.replace("\n", "")
    assert code != 0 and "Traceback" not in err
    assert "bad.yaml" in err and "line 8" in err and "'emergency'" in err, err
    assert store.count("run_log") == runs  # nothing ran, nothing written
