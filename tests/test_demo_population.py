"""On the demo population (`make demo`: 50,000 people × 3 years, from raw extracts through
ingest, linkage, quality and build), the analyses reproduce Kent's findings (seed 004 §5.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yearofcare.demo import DemoOptions, run_demo
from yearofcare.engine import connect
from yearofcare.store import Store

DEMO_SEED = 20261123  # the Makefile's default SEED


@pytest.mark.slow
def test_demo_population_reproduces_kent_findings(tmp_path: Path):
    store = Store(connect("duckdb", tmp_path / "yoc-data"))
    result = run_demo(
        store,
        DemoOptions(50_000, 3, DEMO_SEED, tmp_path / "raw", tmp_path / "yoc-linkage.key"),
    )
    kent = result.kent
    # 1. cost rises more strongly with the number of LTCs than with age
    assert kent["eta_squared_ltc"] > 1.5 * kent["eta_squared_age"]
    # 2. the excess cost of people with many LTCs is mostly non-elective acute care
    assert kent["compared_bands"] == ("0", "5+")
    assert kent["largest_excess_setting"] == "non_elective"
    # the summary the demo prints: QOF-like prevalence found from codes after ingest
    prevalence = result.summary.prevalence.set_index("condition").percent
    assert 11 < prevalence["Hypertension"] < 17
    assert 4.5 < prevalence["Asthma"] < 8.5
    report = store.engine.data_dir / "reports" / "analysis_report.html"
    assert report.exists() and (store.engine.data_dir / "reports" / "analysis_tables.xlsx").exists()
    # risk share: the 3+ LTC cohort settled under two contracts, and their exposure compared
    settled = store.to_pandas(store.table("settlement_contract"))
    assert sorted(settled.contract_id) == ["demo-aqc", "demo-tiered"]
    exposure = store.to_pandas(store.table("settlement_exposure"))
    assert exposure.scenario.nunique() == 3  # tiered; AQC at levels 1 and 5
    html = (store.engine.data_dir / "reports" / "settlement" / "settlement.html").read_text()
    assert "Exposure before signing" in html and "demo-tiered" in html and "demo-aqc" in html
