"""Datapacks: HTML (self-contained), PDF and xlsx per practice; a cohort needs the register."""

from __future__ import annotations

import pytest

from yearofcare.errors import StageError
from yearofcare.web.datapack import write_datapacks
from yearofcare.web.privacy import contains_nhs_number


def test_one_datapack_per_practice(web_store, tmp_path):
    written = write_datapacks(web_store, "duckdb", tmp_path, every_practice=True)
    assert len(written) == 2
    for w in written:
        html = w.html.read_text(encoding="utf-8")
        assert (
            "<svg" in html
            and "<script" not in html
            and "http://" not in html.replace("http://www.w3.org", "")
        )
        assert "Registered population" in html and not contains_nhs_number(html)
        assert w.pdf.read_bytes().startswith(b"%PDF") and w.pdf.stat().st_size > 20_000
        assert w.xlsx.read_bytes().startswith(b"PK")


def test_cohort_datapack_needs_the_register(web_store, tmp_path):
    with pytest.raises(StageError, match="yoc cohort select"):
        write_datapacks(web_store, "duckdb", tmp_path, cohort="frail")
