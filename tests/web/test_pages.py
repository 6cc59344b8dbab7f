"""Pages, filters, downloads, provenance and bad input, checked against the store."""

from __future__ import annotations

import io
import zipfile

import duckdb
import pandas as pd
import pytest

from tests.web.conftest import PRACTICE
from yearofcare.web.registry import PAGES


def _store_counts(store, sql: str) -> list[tuple]:
    con = duckdb.connect(str(store / "yoc.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _rounded(n: int) -> int:
    return int(round(n / 5) * 5)


def test_population_figures_match_the_store(client_for, web_store):
    (fy,) = _store_counts(web_store, "SELECT max(fy) FROM person_year")[0]
    (people,) = _store_counts(
        web_store, f"SELECT count(*) FROM person_year WHERE fy = {fy} AND months_registered > 0"
    )[0]
    body = client_for("public_health").get("/api/pages/population").json()
    assert body["filters"] == {"fy": fy}
    summary = next(t for t in body["tables"] if t["key"] == "summary")["rows"][0]
    assert summary["registered_population"] == _rounded(people)
    # the rule is stated, and cost per person is the rounded cost over the rounded population
    assert (
        body["disclosure"].startswith("suppressed: counts from 1 to 9")
        and "NHS" in body["disclosure"]
    )
    assert summary["cost_per_person"] * summary["registered_population"] == pytest.approx(
        summary["cost_total"], rel=1e-9
    )
    # the analyst sees the exact count
    body = client_for("analyst").get("/api/pages/population").json()
    summary = next(t for t in body["tables"] if t["key"] == "summary")["rows"][0]
    assert summary["registered_population"] == people
    assert body["disclosure"] == "none (analyst)"


def test_filters_narrow_the_population(client_for, web_store):
    (practice, n) = _store_counts(
        web_store,
        "SELECT practice_code, count(*) FROM person_year WHERE fy = (SELECT max(fy) FROM "
        "person_year) AND months_registered > 0 AND age_band = '65-74' GROUP BY 1 ORDER BY 1",
    )[0]
    r = client_for("analyst").get(f"/api/pages/population?practice={practice}&age_band=65-74")
    assert r.status_code == 200, r.text
    summary = next(t for t in r.json()["tables"] if t["key"] == "summary")["rows"][0]
    assert summary["registered_population"] == n


def test_provenance_names_the_run_that_wrote_the_data(client_for, web_store):
    run_ids = {
        r[0] for r in _store_counts(web_store, "SELECT run_id FROM run_log WHERE stage = 'build'")
    }
    body = client_for("public_health").get("/api/pages/population").json()
    prov = {p["table"]: p for p in body["provenance"]}
    assert prov["person_year"]["run_id"] in run_ids
    html = client_for("public_health").get("/pages/population").text
    assert prov["person_year"]["run_id"] in html


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("bogus=1", "unknown filter 'bogus'"),
        ("practice=ZZZ999", "practice 'ZZZ999' is not in this store"),
        ("fy=1900", "year '1900' is not in this store"),
        ("age_band=200", "'85+'"),
        ("need_level=High", "run `yoc risk score`"),
        ("imd_quintile=9", "imd_quintile"),
    ],
)
def test_bad_filters_are_clear_400s(client_for, query, words):
    api = client_for("public_health").get(f"/api/pages/population?{query}")
    assert api.status_code == 400
    assert words in api.json()["error"] + api.json()["hint"]
    page = client_for("public_health").get(f"/pages/population?{query}")
    assert page.status_code == 400
    assert "Traceback" not in page.text


def test_page_for_a_stage_not_run_names_the_command(client_for):
    page = client_for("finance").get("/pages/scenarios")
    assert page.status_code == 200
    assert "yoc simulate" in page.text
    api = client_for("finance").get("/api/pages/scenarios").json()
    assert api["missing"] and api["command"] == PAGES["scenarios"].command
    assert client_for("finance").get("/pages/scenarios/download/all.xlsx").status_code == 404


def test_downloads_carry_the_page_table(client_for):
    c = client_for("public_health")
    csv = c.get("/pages/population/download/prevalence.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    api = c.get("/api/pages/population/tables/prevalence").json()
    assert list(frame["Condition"] if "Condition" in frame else frame["condition"]) == [
        r["condition"] for r in api["rows"]
    ]
    assert "person_year=" in csv.headers["x-yoc-provenance"]
    xlsx = c.get("/pages/population/download/all.xlsx")
    assert xlsx.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(xlsx.content)).namelist()
    assert "xl/workbook.xml" in names
    workbook = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/workbook.xml").decode()
    assert "About" in workbook and "prevalence" in workbook
    assert c.get("/pages/population/download/nope.csv").status_code == 404
    assert c.get("/pages/population/download/prevalence.pdf").status_code == 404


def test_data_quality_page_shows_build_findings(client_for, web_store):
    body = client_for("analyst").get("/api/pages/quality").json()
    assert any("yoc ingest" in n for n in body["notes"])  # no loads in a synth-only store
    (n,) = _store_counts(web_store, "SELECT count(*) FROM build_dq_finding")[0]
    rows = next(t for t in body["tables"] if t["key"] == "build_findings")["rows"]
    assert sum(r["records"] for r in rows) == n


def test_openapi_schema_lists_the_data_routes(client_for):
    schema = client_for(None).get("/openapi.json").json()
    assert "/api/pages/{slug}" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/pages/{slug}"]["get"]["parameters"]}
    assert {"fy", "place", "practice", "age_band", "imd_quintile", "need_level"} <= params


def test_static_assets_are_served_from_the_package(client_for):
    r = client_for(None).get("/static/vendor/vega-bundle.min.js")
    assert r.status_code == 200 and "vegaEmbed" in r.text
    html = client_for("public_health").get("/pages/population").text
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html.replace("https://vega.github.io/schema", "")


def test_spark_store_is_read_through_duckdb(tmp_path, web_store):
    """A Spark store's Parquet folders are served without starting Spark."""
    from yearofcare.web.data import StoreReader

    spark = tmp_path / "sparkstore" / "spark"
    con = duckdb.connect(str(web_store / "yoc.duckdb"), read_only=True)
    for name in ("person_year", "practice", "run_log"):
        (spark / name).mkdir(parents=True)
        con.execute(f"COPY {name} TO '{spark / name / 'part-0.parquet'}' (FORMAT parquet)")
    (n,) = con.execute("SELECT count(*) FROM person_year").fetchone()
    con.close()
    reader = StoreReader(tmp_path / "sparkstore", "spark")
    with reader.connect() as snap:
        assert snap.exists("person_year")
        assert int(snap.execute(snap.table("person_year").count().as_table()).iloc[0, 0]) == n
        assert snap.provenance("person_year") is not None


def test_outcomes_page_shows_the_scorecard_from_the_store(client_for, web_store):
    rows = _store_counts(
        web_store,
        "SELECT label, measure_id, value, rag FROM outcome_scorecard "
        "WHERE fy = (SELECT max(fy) FROM outcome_scorecard)",
    )
    card = pd.DataFrame(rows, columns=["label", "measure_id", "value", "rag"])
    api = client_for("finance").get("/api/pages/outcomes").json()
    assert not api["missing"]
    tables = {t["key"]: t for t in api["tables"]}
    shown = {r["label"]: r for r in tables["scorecard"]["rows"]}
    assert set(shown) == set(card.label)
    row = card[card.measure_id == "spend_per_head"].iloc[0]
    assert shown[row.label]["value"] == pytest.approx(row.value)
    assert shown[row.label]["rag"] == row.rag
    assert {"ltc6", "kpis", "funnel", "achievement"} <= set(tables)
    # no evaluation in a two-year store: the page says what to run
    assert any("yoc evaluate" in n for n in api["notes"])
    page = client_for("public_health").get(f"/pages/outcomes?practice={PRACTICE}")
    assert page.status_code == 200 and f"practice {PRACTICE}" in page.text
