"""`yoc demo` runs from raw extracts through ingest, linkage, quality and build, and no raw NHS
number reaches the store, the run log, the reports or the command's output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest_support import raw_identifiers, scan_files, scan_store, scan_text, table
from yearofcare.cli import main
from yearofcare.config.paths import default_key_file
from yearofcare.engine import connect
from yearofcare.store import Store


@pytest.mark.slow
def test_demo_from_raw_extracts_keeps_identifiers_out(tmp_path: Path, capsys):
    data = tmp_path / "yoc-data"
    code = main(["--data-dir", str(data), "demo", "--people", "400", "--years", "2"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    raw = tmp_path / "yoc-data-raw"
    assert (raw / "defects.json").exists() and default_key_file(data).exists()
    store = Store(connect("duckdb", data))
    stages = set(store.runs().stage)
    assert {"ingest", "link", "build"} <= stages
    loads = table(store, "ingest_load")
    assert loads.rows_opted_out.sum() > 0
    assert (
        loads.rows_read == loads.rows_loaded + loads.rows_quarantined + loads.rows_opted_out
    ).all()
    secrets = raw_identifiers(raw)
    found = scan_store(store, secrets) | scan_text(printed.out + printed.err, secrets)
    store.close()
    found |= scan_files(data, secrets)
    assert not found
