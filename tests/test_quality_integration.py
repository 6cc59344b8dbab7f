"""Integration: a small synthetic economy written as raw extracts with counted defects, ingested
by its plan, measured by `yoc quality` — every planted defect shows in the quality tables and
the report with its count, and no raw NHS number reaches the store, the run log or an output."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from yearofcare.engine import connect
from yearofcare.ingest.plan import ingest_plan
from yearofcare.quality import QualityOptions, run_quality
from yearofcare.quality.findings import REASON_LABELS
from yearofcare.quality.report import write_quality_report
from yearofcare.store import Store
from yearofcare.synth.generate import generate
from yearofcare.synth.params import SynthParams
from yearofcare.synth.raw import MANIFEST, write_raw

KEY_HEX = "5eed" * 16  # a fixed linkage key, so pseudonyms (and this test) are deterministic


class _Tables(HTMLParser):
    """Every <table> of an HTML page as (header, rows) of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._header: list[str] = []
        self._rows: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._header, self._rows = [], []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._header:
                self._rows.append(self._row)
            else:
                self._header = self._row
            self._row = None
        elif tag == "table":
            self.tables.append((self._header, self._rows))

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(path: Path) -> list[tuple[list[str], list[list[str]]]]:
    p = _Tables()
    p.feed(path.read_text(encoding="utf-8"))
    return p.tables


def _rows_of(tables, first_header: str, must_have: str) -> list[dict[str, str]]:
    out = []
    for header, rows in tables:
        if header and header[0] == first_header and must_have in header:
            out += [dict(zip(header, r, strict=True)) for r in rows]
    return out


@pytest.fixture(scope="module")
def economy(tmp_path_factory):
    base = tmp_path_factory.mktemp("economy")
    params = SynthParams(people=400, years=2, seed=11, end_fy=2024)
    population = generate(params)
    raw = base / "raw"
    manifest = write_raw(population, raw, np.random.default_rng(5))
    key = base / "yoc-linkage.key"
    key.write_text(KEY_HEX + "\n", encoding="utf-8")
    store = Store(connect("duckdb", base / "store"))
    ingest_plan(store, raw, key)
    contracts = base / "contracts.csv"
    contracts.write_text(
        "name,source,fy,value\nPrescribing 2024/25,prescribing,2024/25,1000\n", encoding="utf-8"
    )
    result = run_quality(store, QualityOptions(contracts_file=contracts))
    out = base / "reports"
    files = write_quality_report(store, out, run_id=result.run_id)
    return {
        "base": base,
        "raw": raw,
        "store": store,
        "manifest": manifest,
        "files": files,
        "out": out,
        "population": population,
    }


def _shown(tables, first, must, where, column) -> int:
    """The count in `column` of the first row `where` holds, in tables headed `first`."""
    found = [r for r in _rows_of(tables, first, must) if where(r)]
    return int(found[0][column].replace(",", "")) if found else 0


def _link(name: str, column: str, tables) -> int:
    return _shown(tables, "File", "NHS no. present", lambda r: r["File"] == name, column)


def _problem(name: str, column: str, reason: str, action: str, tables) -> int:
    label = REASON_LABELS[reason]
    return _shown(
        tables,
        "File",
        "Example rows (file line numbers)",
        lambda r: (
            r["File"] == name
            and r["Column"] == column
            and r["Problem"] == label
            and r["Action taken"] == action
        ),
        "Rows",
    )


def _late(name: str, tables) -> int:
    column = "Rows dated before the period"
    return _shown(tables, "File", column, lambda r: r["File"] == name, column)


def _rejected(rejects, column: str, reasons: list[str], action: str) -> int:
    r = rejects[
        (rejects.column == column) & rejects.reason.isin(reasons) & (rejects.action == action)
    ]
    return int(r.rows.sum())


def _figure(defect: str, f: dict, name: str, load, mine, pages) -> tuple[int, set[int]] | None:
    """(count in the dq tables, counts shown in the report and the feedback page)."""
    cols, detail = f["columns"], f["detail"]
    if defect in ("missing_nhs_number", "invalid_nhs_number"):
        if cols["nhs_number"] is None:
            return None  # the file has no NHS number column (e.g. the practice list)
        missing = defect.startswith("missing")
        found = int(load["nhs_number_missing" if missing else "nhs_number_invalid"])
        return found, {_link(name, "Missing" if missing else "Invalid", t) for t in pages}
    if defect == "duplicate":
        key = load_key_column(mine)
        found = int(load.rows_duplicate)
        assert found == _rejected(mine, key, ["duplicate"], "quarantined")
        shown = {_link(name, "Duplicates in file", t) for t in pages}
        return found, shown | {_problem(name, key, "duplicate", "quarantined", pages[0])}
    if defect == "late":
        return int(load.rows_late), {_late(name, t) for t in pages}
    if defect == "blank_date":
        if cols["date"] is None:
            return None
        found = _rejected(mine, cols["date"], ["missing_required"], "quarantined")
        return found, {
            _problem(name, cols["date"], "missing_required", "quarantined", t) for t in pages
        }
    if cols["code"] is None:  # unknown_code
        return None
    d = detail["unknown_code"]
    found = _rejected(mine, cols["code"], [d["reason"]], d["action"])
    return found, {_problem(name, cols["code"], d["reason"], d["action"], t) for t in pages}


def _expected_vs_found(economy) -> list[tuple[str, str, int, int, int]]:
    """(file, defect, expected, found in dq tables, found in the report) for every file and
    defect of the manifest; the report count is -1 when the main report and the supplier's
    feedback page disagree."""
    store = economy["store"]
    manifest = json.loads((economy["raw"] / MANIFEST).read_text())
    loads = store.to_pandas(store.table("dq_load"))
    rejects = store.to_pandas(store.table("dq_reject"))
    files = economy["files"]
    report = _html_tables(files.html)
    out = []
    for rel, f in sorted(manifest["files"].items()):
        name = rel.rsplit("/", 1)[-1]
        load = loads[(loads.file_name == name) & (loads.status == "current")]
        assert len(load) == 1, f"{rel} was not loaded once"
        load = load.iloc[0]
        mine = rejects[rejects.load_id == load.load_id]
        pages = (report, _html_tables(files.feedback_html[load.source]))
        for defect, expected in sorted(f["defects"].items()):
            got = _figure(defect, f, name, load, mine, pages)
            if got is None:
                continue
            found, shown = got
            out.append((rel, defect, expected, found, shown.pop() if len(shown) == 1 else -1))
    return out


def load_key_column(rejects) -> str:
    """The column ingest records duplicates against (the format's first record-key column)."""
    dup = rejects[rejects.reason == "duplicate"]
    return dup.column.iloc[0] if len(dup) else ""


def test_every_planted_defect_shows_with_its_count(economy):
    figures = _expected_vs_found(economy)
    totals: dict[str, list[int]] = {}
    for _, defect, expected, found, shown in figures:
        t = totals.setdefault(defect, [0, 0, 0])
        t[0] += expected
        t[1] += found
        t[2] += max(shown, 0)
    wrong = [f for f in figures if not (f[2] == f[3] == f[4])]
    assert not wrong, "expected / in tables / in report differ:\n" + "\n".join(map(str, wrong))
    manifest = economy["manifest"]
    assert all(totals[d][0] > 0 for d in manifest["totals"]), "every defect type was planted"
    (economy["base"] / "figures.json").write_text(json.dumps(totals, indent=1))


def test_quality_tables_and_report_are_complete(economy):
    store = economy["store"]
    for name in ("dq_load", "dq_reject", "dq_column", "dq_source_month", "dq_finding"):
        assert store.count(name) > 0, name
    tri = store.to_pandas(store.table("dq_triangulation"))
    assert len(tri) == 1 and tri.loaded_cost.iloc[0] > 0
    files = economy["files"]
    html = files.html.read_text(encoding="utf-8")
    for section in ("priority1", "priority2", "priority3", "feedback", "Triangulation"):
        assert section in html
    assert "<script" not in html and "<link" not in html  # self-contained: no JS, no CDN
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)
    loads = store.to_pandas(store.table("dq_load"))
    assert set(files.feedback_html) == set(loads.source)
    for source, page in files.feedback_html.items():
        text = page.read_text(encoding="utf-8")
        others = loads[loads.source != source].file_name
        assert not [f for f in others if f in text], f"{source} feedback shows other files"


# ---- privacy ------------------------------------------------------------------------------------
def _raw_nhs_numbers(economy) -> set[str]:
    """Every NHS number written to any raw extract (valid or deliberately broken)."""
    numbers: set[str] = set()
    for rel, f in economy["manifest"]["files"].items():
        column = f["columns"]["nhs_number"]
        if column is None:
            continue
        with (economy["raw"] / rel).open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                v = (row.get(column) or "").strip()
                if v:
                    numbers.add(re.sub(r"\D", "", v))
    person = economy["population"].person
    numbers |= {str(v) for v in person["nhs_number"].to_pylist() if v}
    return {n for n in numbers if len(n) == 10}


_DIGITS = re.compile(r"\d{3}[ -]?\d{3}[ -]?\d{4}|\d{10,}")


def _leaks(text: str, numbers: set[str]) -> set[str]:
    found = set()
    for m in _DIGITS.finditer(text):
        run = re.sub(r"\D", "", m.group())
        for i in range(len(run) - 9):
            if run[i : i + 10] in numbers:
                found.add(run[i : i + 10])
    return found


def test_no_raw_nhs_number_in_the_store_logs_or_outputs(economy):
    numbers = _raw_nhs_numbers(economy)
    assert len(numbers) > 300
    sample = next(economy["raw"].glob("hes_apc/*.csv")).read_text(encoding="utf-8")
    assert _leaks(sample, numbers), "the scan finds numbers where they are (positive control)"
    store: Store = economy["store"]
    con = store.engine.raw  # the DuckDB connection: scan every value of every column as text
    leaks: dict[str, set[str]] = {}
    for table in store.tables():  # every table, the run log included
        cols = store.table(table).schema()
        for col, dtype in cols.items():
            if not (dtype.is_string() or dtype.is_integer() or dtype.is_decimal()):
                continue
            values = con.execute(
                f'SELECT DISTINCT CAST("{col}" AS VARCHAR) FROM "{table}" WHERE "{col}" IS NOT NULL'
            ).fetchall()
            hit = _leaks("\n".join(v[0] for v in values), numbers)
            if hit:
                leaks[f"{table}.{col}"] = hit
    outputs = [p for p in economy["out"].rglob("*") if p.is_file()]
    assert any(p.suffix == ".xlsx" for p in outputs) and any(p.suffix == ".html" for p in outputs)
    for path in outputs:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        hit = _leaks(text, numbers)
        if hit:
            leaks[str(path)] = hit
    for path in (economy["base"] / "store").rglob("*"):
        if path.is_file():  # the database file itself, as bytes
            hit = _leaks(path.read_bytes().decode("latin-1"), numbers)
            if hit:
                leaks[str(path)] = hit
    assert not leaks, f"raw NHS numbers found: { {k: sorted(v)[:3] for k, v in leaks.items()} }"
