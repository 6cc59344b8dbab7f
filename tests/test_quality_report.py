"""The quality report renders every section, supplier feedback shows only the supplier's own
files, small numbers of people are suppressed, and the CLI only parses and calls."""

from __future__ import annotations

import zipfile

import pytest

from tests.quality_spec import load_row
from tests.spec import load
from tests.spec.quality.test_measures import ACTIVITY, CODED, LOAD_A, LOAD_B, PEOPLE, REJECTS
from yearofcare.cli import main
from yearofcare.disclosure import SUPPRESSED
from yearofcare.errors import StageError
from yearofcare.quality import QualityOptions, run_quality
from yearofcare.quality.report import write_quality_report

HES = load_row(
    "lC0000000003",
    source="hes_apc",
    extract_id="hes_apc:2024-25",
    file_name="hes_apc_2024-25.csv",
    rows_read=20,
    rows_loaded=20,
    nhs_number_present=20,
    nhs_number_valid=20,
)


@pytest.fixture
def quality_store(duck_store, tmp_path):
    load(
        duck_store,
        {
            "ingest_load": [LOAD_A, LOAD_B, HES],
            "ingest_reject": REJECTS,
            "activity": ACTIVITY,
            "coded_event": CODED,
            "ingest_person": PEOPLE,
        },
    )
    contracts = tmp_path / "contracts.csv"
    contracts.write_text("name,source,fy,value\nCommunity,csds,2024/25,100\n", encoding="utf-8")
    run_quality(duck_store, QualityOptions(contracts_file=contracts))
    return duck_store


def test_report_has_every_section_and_a_page_per_supplier(quality_store, tmp_path):
    files = write_quality_report(quality_store, tmp_path / "out")
    html = files.html.read_text(encoding="utf-8")
    for anchor in ("summary", "priority1", "priority2", "priority3", "feedback", "about"):
        assert f'id="{anchor}"' in html
    for heading in (
        "NHS number, linkage, duplicates and codes by file",
        "Problems by file, column and reason",
        "Contract columns with problems",
        "Records by source and month",
        "Triangulation: loaded cost against contract and budget values",
        "Changes against earlier files",
        "Timeliness",
    ):
        assert heading in html, heading
    assert "<svg" in html and "<script" not in html
    assert set(files.feedback_html) == {"csds", "hes_apc"}
    csds = files.feedback_html["csds"].read_text(encoding="utf-8")
    assert "lA0000000001.csv" in csds and "hes_apc_2024-25.csv" not in csds
    assert "Triangulation" not in csds  # contract values are the commissioner's
    assert "OrgIDProv" in csds and "required value missing" in csds
    hes = files.feedback_html["hes_apc"].read_text(encoding="utf-8")
    assert "lA0000000001.csv" not in hes
    with zipfile.ZipFile(files.xlsx) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert len(sheets) == 1 + 1 + 6  # About, Findings and the six measure tables
    assert files.feedback_xlsx["csds"].is_file()


def test_people_and_monthly_volumes_are_suppressed_but_problem_rows_are_not(
    quality_store, tmp_path
):
    files = write_quality_report(quality_store, tmp_path / "out")
    html = files.html.read_text(encoding="utf-8")
    # April 2024: 6 records, 3 people — below the threshold of 10, so shown as *
    assert f"<td>csds</td><td>Apr 2024</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td>" in (
        html.replace("\n", "").replace('<td class="text">', "<td>")
    )
    # a file's problem rows are operational facts for its supplier: shown exactly (1 row)
    assert "column OrgIDProv: required value missing in 1 row" in html
    # the contract line built on 6 records: its loaded cost is suppressed with them
    row = "<td>Community</td><td>contract</td><td>csds</td><td>any</td><td>any</td><td>2024/25</td>"
    row += f"<td>£100</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td><td>{SUPPRESSED}</td>"
    assert row in html.replace("\n", "").replace('<td class="text">', "<td>")
    assert "rests on fewer than 10 records" in html


def test_no_quality_run_is_a_clear_error(duck_store, tmp_path):
    with pytest.raises(StageError, match="no successful `yoc quality` run"):
        write_quality_report(duck_store, tmp_path)
    with pytest.raises(StageError, match="no loads to check"):
        run_quality(duck_store)


def test_cli_runs_quality_and_says_where_the_report_is(quality_store, tmp_path, capsys):
    data_dir = quality_store.engine.data_dir
    quality_store.close()
    out = tmp_path / "rep"
    code = main(["--data-dir", str(data_dir), "quality", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "report:" in printed and (out / "quality_report.html").is_file()
    assert (out / "feedback" / "csds.html").is_file()


def test_cli_bad_contract_file_is_one_line_with_a_hint(quality_store, tmp_path, capsys):
    data_dir = quality_store.engine.data_dir
    quality_store.close()
    bad = tmp_path / "c.csv"
    bad.write_text("name,fy,value\nA,2024,lots\n", encoding="utf-8")
    code = main(["--data-dir", str(data_dir), "quality", "--contracts", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert "contract file c.csv, row 2, column value" in err and "Hint:" in err
    assert "Traceback" not in err


def test_the_whole_stage_runs_on_every_engine(store, tmp_path):
    """Every quality expression compiles and runs on each engine (DuckDB and Spark)."""
    load(
        store,
        {
            "ingest_load": [LOAD_A, LOAD_B, HES],
            "ingest_reject": REJECTS,
            "activity": ACTIVITY,
            "coded_event": CODED,
            "ingest_person": PEOPLE,
        },
    )
    contracts = tmp_path / "contracts.csv"
    contracts.write_text("name,source,fy,value\nCommunity,csds,2024/25,100\n", encoding="utf-8")
    result = run_quality(store, QualityOptions(contracts_file=contracts))
    assert result.tables["dq_load"] == 3
    assert result.tables["dq_reject"] == 6
    assert result.tables["dq_triangulation"] == 1
    drift = store.to_pandas(store.table("dq_drift"))
    volume = drift[(drift.check == "volume") & (drift.load_id == "lB0000000002")].iloc[0]
    assert volume.baseline == 10 and volume.change == pytest.approx((4 - 10) / 10)
    tri = store.to_pandas(store.table("dq_triangulation")).iloc[0]
    assert tri.loaded_cost == 50 + 20 and tri.difference == 70 - 100
    files = write_quality_report(store, tmp_path / "out")
    assert files.html.is_file() and set(files.feedback_html) == {"csds", "hes_apc"}
