"""The formats section of docs/ingest.md, rendered from the adapters (a test keeps it fresh)."""

from __future__ import annotations

from pathlib import Path

from yearofcare import sources
from yearofcare.sources import field_names

MARKER = "## Formats"


def formats_markdown() -> str:
    lines = [
        MARKER,
        "",
        "Rendered from the adapters in `src/yearofcare/sources/` (`sources.render`). Field names",
        "follow the national data dictionaries where there is one (HES/SUS, ECDS, the CSDS/MHSDS",
        "data items, the ASC-CLD specification). Header names match case-insensitively; absent",
        "optional columns read as blank; every name can be remapped in a mapping file.",
        "",
    ]
    for name in sources.FORMATS:
        a = sources.get(name)
        lines += [f"### `{name}`", "", a.description, ""]
        if name == "canonical":
            lines += [
                "One canonical table per file (`person`, `practice`, `registration`, `activity`,",
                "`coded_event`, `assessment`, `survey_response`; columns as in",
                "docs/data-model.md, nullable ones may be absent), named by the file or by",
                "`table:` in a mapping file. Shown for `activity`:",
                "",
            ]
        ids = [f"`{c.name}` ({c.kind.replace('_', ' ')})" for c in a.identifiers]
        lines.append(f"- Identifiers: {', '.join(ids) or 'none'}")
        must = [f"`{c.name}`" for c in a.columns if not c.optional and not c.is_identifier]
        lines.append(f"- Columns that must be present: {', '.join(must) or 'none'}")
        req = [f"`{c.name}`" for c in a.columns if c.required]
        lines.append(
            f"- Values required (a blank or invalid one quarantines the row): {', '.join(req) or 'none'}"
        )
        opt = [c.name for c in a.columns if c.optional and not c.is_identifier]
        if opt:
            shown = ", ".join(f"`{o}`" for o in opt[:12]) + (" …" if len(opt) > 12 else "")
            lines.append(f"- Optional columns: {shown}")
        if a.dataset:
            names = field_names.load()
            alts = names.alternatives(a)
            shown = "; ".join(
                f"`{c}`: {', '.join(f'`{x}`' for x in others)}"
                for c, others in list(alts.items())[:6]
            )
            lines.append(
                f"- Published spellings accepted with no mapping ({len(alts)} columns; "
                f"`reference/field_names/{field_names.DEFAULT}.yaml`, HES data set "
                f"`{a.dataset}`), e.g. {shown} …"
            )
        if a.record_key:
            lines.append(f"- Duplicates: same {', '.join(f'`{k}`' for k in a.record_key)}")
        lines += [f"- Rule ({r.reason}): {r.message}" for r in a.rules]
        if a.code_maps:
            lines.append(f"- Code maps (overridable): {', '.join(f'`{k}`' for k in a.code_maps)}")
        lines.append(
            f"- Feeds: {', '.join(a.feeds)}; default funding route: "
            f"{a.defaults.get('funding_route', '-')}; demographics rank {a.person_rank}"
        )
        lines.append("")
    return "\n".join(lines)


def write_formats(doc: Path) -> None:
    """Replace everything from the formats heading to the end of `doc`."""
    text = doc.read_text(encoding="utf-8")
    head = text.split(MARKER, 1)[0]
    doc.write_text(head + formats_markdown(), encoding="utf-8")
