"""docs/ingest.md describes the formats the adapters actually declare."""

from __future__ import annotations

from pathlib import Path

from yearofcare.sources.render import MARKER, formats_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "ingest.md"


def test_formats_section_is_fresh():
    text = DOC.read_text(encoding="utf-8")
    assert MARKER + text.split(MARKER, 1)[1] == formats_markdown(), (
        "docs/ingest.md is stale: python -c 'from yearofcare.sources.render import "
        'write_formats; from pathlib import Path; write_formats(Path("docs/ingest.md"))\''
    )
