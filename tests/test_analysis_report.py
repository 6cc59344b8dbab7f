"""`yoc analyse`: tables written suppressed, the self-contained report, the workbook, the CLI."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from tests import analysis_data
from tests.spec import load
from yearofcare import cli
from yearofcare.disclosure import suppress
from yearofcare.engine import connect
from yearofcare.errors import ConfigError
from yearofcare.population.analysis import (
    ANALYSES,
    AnalysisOptions,
    kent_findings,
    run_analyses,
)
from yearofcare.population.analysis.report import write_analysis_report
from yearofcare.store import Store

TABLES = [a.table for a in ANALYSES]


def _fabricated(store: Store, n: int = 3000) -> None:
    py = analysis_data.person_year(n)
    params = {"unit_costs": "nhse_ncc_2023_24", "price_uplift": "nhs_cost_uplift_2025_26"}
    with store.stage("build", params) as run:
        run.write("person_year", py)
        run.write("activity", analysis_data.activity(py))


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """A fabricated population, analysed by locality, with a report written."""
    store = Store(connect("duckdb", tmp_path_factory.mktemp("analysed")))
    _fabricated(store)
    result = run_analyses(store, AnalysisOptions.build(by="locality"))
    files = write_analysis_report(store, tmp_path_factory.mktemp("report"))
    return store, result, files


def test_every_analysis_table_is_written(analysed):
    store, result, _ = analysed
    for name in TABLES:
        assert store.exists(name), name
    assert set(result.tables) == set(TABLES)
    assert result.fy == 2024 and result.fys == (2022, 2023, 2024)
    assert store.count("analysis_risk_overlap") == 0  # no risk score: skipped, empty
    assert "risk score" in result.skipped["analysis_risk_overlap"]
    assert {"all", "locality"} == set(result.tables["analysis_cost_strength"].split_by)
    runs = store.runs()
    last = runs[runs.stage == "analyse"].iloc[-1]
    assert last.status == "ok" and '"skipped"' in last.parameters


def test_written_tables_are_suppressed(analysed):
    store, _, _ = analysed
    for a in ANALYSES:
        frame = store.to_pandas(store.table(a.table))
        for count in a.counts:
            values = frame[count].dropna().astype(int)
            assert (values % 5 == 0).all(), f"{a.table}.{count} not rounded to 5"
            assert not ((values > 0) & (values < 10)).any(), f"{a.table}.{count} small count"
            masked = frame[count].isna()
            assert frame.loc[masked, "suppressed"].all()
        for derived in a.derived:
            # a derived value is never shown beside a suppressed count in its row
            masked = frame[list(a.counts)].isna().any(axis=1)
            assert frame.loc[masked, derived].isna().all(), f"{a.table}.{derived}"
        for derived, counts in a.derived_from.items():
            masked = frame[list(counts)].isna().any(axis=1)
            assert frame.loc[masked, derived].isna().all(), f"{a.table}.{derived}"
    beds = store.to_pandas(store.table("analysis_bed_demand"))
    assert beds.suppressed.any() and (~beds.suppressed).any()


def test_tiny_population_is_entirely_suppressed(duck_store):
    load(
        duck_store,
        {
            "person_year": [
                {
                    "person_id": p,
                    "fy": 2024,
                    "months_registered": 12,
                    "died_in_year": False,
                    "cost_total": 100.0 * i,
                }
                for i, p in enumerate("abcd")
            ]
        },
    )
    result = run_analyses(duck_store)
    t = duck_store.to_pandas(duck_store.table("analysis_cost_by_ltc_age"))
    assert len(t) == 1 and t.suppressed.all()
    assert t.people.isna().all() and t.mean_cost.isna().all() and t.cost_total.isna().all()
    assert "analysis_bed_demand" in result.skipped  # no activity table: noted, not an error


def test_derived_values_follow_only_their_own_counts():
    frame = pd.DataFrame({"members": [500], "died": [3], "mean_cost": [1234.0], "rate": [0.006]})
    out = suppress(
        frame,
        ["members", "died"],
        derived_from={"mean_cost": ("members",), "rate": ("died", "members")},
    )
    assert out.mean_cost[0] == 1234.0 and np.isnan(out.rate[0])
    assert np.isnan(out.died[0]) and out.members[0] == 500 and out.suppressed[0]


def test_risk_overlap_runs_when_scores_exist(tmp_path):
    store = Store(connect("duckdb", tmp_path))
    _fabricated(store, 2000)
    py = store.to_pandas(store.table("person_year"))
    rng = np.random.default_rng(3)
    scores = pd.DataFrame(
        {
            "person_id": py.person_id,
            "fy": py.fy,
            "score": py.cost_non_elective.fillna(0) + rng.random(len(py)) * 500,
        }
    )
    load(store, {"risk_score": scores.to_dict("records")})
    opts = AnalysisOptions.build(rules=(*AnalysisOptions().rules, *_score_rule()))
    result = run_analyses(store, opts)
    risk = result.tables["analysis_risk_overlap"]
    assert set(risk.segment) == {"both", "risk_only", "multimorbidity_only"}
    assert "analysis_risk_overlap" not in result.skipped
    assert "top_score:5" in set(result.tables["analysis_cohort_turnover"].rule)


def _score_rule():
    from yearofcare.population.analysis.common import SelectionRule

    return (SelectionRule(kind="top_score", value=5),)


def test_report_has_every_section_and_loads_nothing(analysed):
    _, _, files = analysed
    html = files.html.read_text(encoding="utf-8")
    for a in ANALYSES:
        assert f'id="{a.table}"' in html, a.table
        assert a.title in html
    assert html.count("What this shows.") == len(ANALYSES)
    assert html.count("<svg") == len(ANALYSES) - 1  # risk overlap skipped, with a note
    assert "no risk score table" in html
    assert "Financial year 2024/25" in html and "unit_costs = nhse_ncc_2023_24" in html
    # issue 9: the analysis population and the price uplift are stated on the report
    assert "Analysis population: registered with a practice during the year" in html
    assert "price_uplift = nhs_cost_uplift_2025_26" in html
    assert "yoc_ltc_catalogue_2026.csv" in html
    # nothing is fetched from anywhere: no external src/href/url(), no scripts, no links
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html, flags=re.I)
    refs += re.findall(r"url\(\s*['\"]?([^)'\"]*)", html, flags=re.I)
    assert refs and all(r.startswith("#") for r in refs), refs
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "@import" not in html


def test_report_tables_are_readable(analysed):
    _, _, files = analysed
    html = files.html.read_text(encoding="utf-8")
    assert "Mean cost per person (£)" in html and '<th scope="col">85+</th>' in html
    assert re.search(r"<td>£[\d,]+</td>", html)  # money with thousands separators
    assert re.search(r"<td>\d+\.\d%</td>", html)  # shares as percentages
    assert "By locality" in html  # the split tables


def test_workbook_has_a_sheet_per_table(analysed):
    _, _, files = analysed
    with zipfile.ZipFile(files.xlsx) as z:
        book = z.read("xl/workbook.xml").decode()
    sheets = re.findall(r'<sheet name="([^"]+)"', book)
    assert sheets == ["About", *TABLES]
    assert set(files.charts) == set(TABLES) - {"analysis_risk_overlap"}


def test_kent_findings_hold_on_a_realistic_population(analysed):
    store, _, _ = analysed
    k = kent_findings(store)
    assert k["ltc_explains_more_than_age"], k
    assert k["excess_mostly_non_elective"], k
    assert k["non_elective_share_of_excess"] > 0.5


def test_cli_analyse_writes_the_report(tmp_path, capsys):
    store = Store(connect("duckdb", tmp_path / "data"))
    _fabricated(store, 500)
    del store
    code = cli.main(["--data-dir", str(tmp_path / "data"), "analyse", "--by", "sex", "--report"])
    assert code == 0
    printed = capsys.readouterr().out
    report = tmp_path / "data" / "reports" / "analysis_report.html"
    assert report.exists() and "analysis_report.html" in printed.replace("\n", "")


def test_cli_rejects_an_unknown_split(tmp_path, capsys):
    code = cli.main(["--data-dir", str(tmp_path), "analyse", "--by", "ward"])
    assert code == ConfigError.exit_code
    assert "practice, locality" in capsys.readouterr().err


def test_unknown_year_is_a_config_error(duck_store):
    load(duck_store, {"person_year": [{"person_id": "a", "fy": 2024, "died_in_year": False}]})
    with pytest.raises(ConfigError, match="2019"):
        run_analyses(duck_store, AnalysisOptions.build(fy=2019))


@pytest.mark.spark
def test_spark_writes_the_same_tables_as_duckdb(tmp_path):
    frames = {}
    for kind in ("duckdb", "spark"):
        store = Store(connect(kind, tmp_path / kind))
        _fabricated(store, 400)
        frames[kind] = run_analyses(store, AnalysisOptions.build(by="sex")).tables
    for name in TABLES:
        duck, spark = frames["duckdb"][name], frames["spark"][name]
        pd.testing.assert_frame_equal(
            duck.reset_index(drop=True),
            spark.reset_index(drop=True),
            check_dtype=False,
            rtol=1e-9,
            obj=name,
        )
