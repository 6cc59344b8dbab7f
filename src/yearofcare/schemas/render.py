"""Render the declared tables into docs/data-model.md (checked fresh by a test)."""

from __future__ import annotations

from pathlib import Path

from yearofcare import schemas

HEADER = """# Data model

Generated from the declarations in `src/yearofcare/schemas/` by `yoc docs`; do not edit by hand
(a test fails when this file and the declarations disagree).

Time is in NHS financial years (1 April – 31 March, named by the year they start in) unless a
table says otherwise. `person_id` is always the keyed pseudonym of the NHS number.
"""


def render() -> str:
    parts = [HEADER]
    tables = schemas.all_tables()
    canonical = [t for t in tables if not t.derived]
    derived = [t for t in tables if t.derived]
    for heading, group in (("Canonical tables", canonical), ("Derived tables", derived)):
        if not group:
            continue
        parts.append(f"\n## {heading}\n")
        for t in group:
            parts.append(f"\n### `{t.name}`\n\n{t.description}\n\n- Grain: {t.grain}")
            if t.key:
                parts.append(f"- Key: {', '.join(f'`{k}`' for k in t.key)}")
            if t.produced_by:
                parts.append(f"- Written by: {t.produced_by}")
            parts.append("\n| column | type | role, constraints | description |\n|---|---|---|---|")
            for c in t.columns:
                parts.append(f"| `{c.name}` | {c.type} | {c.constraint_text()} | {c.description} |")
    return "\n".join(parts) + "\n"


def write_data_model(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
