"""The bad-input corpus (`tests/ingest_corpus.py`, generated, 16 files per format over every
format `yoc ingest` accepts: 15 formats, 240 files): no crash, every line accounted for, nothing
live.

Files that should load are loaded together, one call per format (and one per mapping file), so
the corpus runs within its time budget; files that must be refused are tried one at a time.
For every loaded file: rows read = the data records the file holds (counted by the generator,
not by the reader under test) = loaded + quarantined + opted out.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict

import pytest

from tests import ingest_corpus as corpus
from tests.ingest_support import run
from yearofcare.engine import connect
from yearofcare.errors import YocError
from yearofcare.linkage.pseudonym import create_key
from yearofcare.reports.section import Sheet
from yearofcare.reports.workbook import FORMULA_START, csv_bytes, workbook_bytes
from yearofcare.store import Store


@pytest.fixture(scope="module")
def corpus_key(tmp_path_factory):
    return create_key(tmp_path_factory.mktemp("corpus-key") / "yoc-linkage.key")


@pytest.mark.slow  # 6 full parses and 10 refusals per format: ~5 s of CPU each on a quiet machine
@pytest.mark.parametrize("fmt", corpus.FORMATS)
def test_corpus(fmt, tmp_path, corpus_key):
    store = Store(connect("duckdb", tmp_path / "store"))
    groups: dict[str | None, list[corpus.Variant]] = defaultdict(list)
    refused = []
    for v in corpus.variants(fmt):
        (tmp_path / v.name).write_bytes(v.data)
        (refused if v.records is None else groups[v.mapping]).append(v)
    problems = []
    for v in refused:
        try:
            run(store, fmt, tmp_path / v.name, key=corpus_key)
            problems.append(f"{v.name}: loaded, expected a refusal")
        except YocError as e:
            assert v.name in e.message, e.message
    results = {}
    for mapping, group in groups.items():
        kw = {}
        if mapping:
            kw["mapping_file"] = tmp_path / f"{group[0].kind}.yaml"
            kw["mapping_file"].write_text(mapping)
        paths = [tmp_path / v.name for v in group]
        try:
            out = run(store, fmt, *paths, key=corpus_key, **kw)
        except YocError as e:
            problems.append(f"{[v.name for v in group]}: refused: {e}")
            continue
        results.update({f.file: f for f in out.files})
    for v in (v for g in groups.values() for v in g):
        f = results.get(v.name)
        if f is None:
            continue
        c = f.counts
        accounted = c["rows_loaded"] + c["rows_quarantined"] + c["rows_opted_out"]
        if f.status != "loaded" or c["rows_read"] != v.records or accounted != v.records:
            problems.append(
                f"{v.name}: {f.status}, {v.records} records, read {c.get('rows_read')}, "
                f"loaded + quarantined + opted out {accounted} ({f.reasons})"
            )
    assert not problems, "\n".join(problems)
    _no_live_formula(store)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _no_live_formula(store: Store) -> None:
    """Issue 10 finding 6: the `=HYPERLINK(...)` text the corpus put in every free-text column
    reaches no workbook or CSV written by the one writer as a live formula."""
    sheets = []
    for name in store.tables():
        if name == "run_log":
            continue
        frame = store.to_pandas(store.table(name))
        sheets.append(Sheet(name[:31], frame))
        text = csv_bytes(frame).decode("utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not [c for c in cells if c.startswith(FORMULA_START) and not _number(c)], name
    book = zipfile.ZipFile(io.BytesIO(workbook_bytes(sheets, [("corpus", "issue 10")])))
    xml = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/"))
    assert "<f>" not in xml  # every cell a value: no formula anywhere in the workbook
