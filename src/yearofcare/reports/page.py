"""Templates and the page shell: one jinja2 environment for every report.

Template names are "package:file.html.j2" (the file under that package's `templates/` folder,
so a stage keeps its section templates beside its code) or a bare name for the layer's own
templates in `yearofcare/reports/templates/`: `page.html.j2` (the self-contained page: inline
CSS, header, contents, sections, "About these figures"), `section.html.j2` (what a section
template extends) and `blocks.html.j2` (tables, details, findings, links).

Autoescaping is on: every value from the data is escaped; only the SVG the layer draws itself
is marked safe. Pages load nothing (no scripts, no links, no fonts): they open from an email.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from yearofcare import __version__
from yearofcare.errors import StoreError

LAYER_PACKAGE = "yearofcare.reports"


def _load(name: str) -> str | None:
    package, _, file = name.rpartition(":")
    try:
        return (
            resources.files(package or LAYER_PACKAGE)
            .joinpath("templates", file)
            .read_text(encoding="utf-8")
        )
    except (FileNotFoundError, ModuleNotFoundError):
        return None


@cache
def environment() -> jinja2.Environment:
    """The one jinja2 environment (autoescaping, undefined names are errors)."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def template(name: str) -> jinja2.Template:
    return environment().get_template(name)


def render_block(name: str, block: str, context: Mapping[str, Any]) -> str:
    """One block of a template rendered alone, as plain text (for the workbook's About sheet)."""
    t = template(name)
    if block not in t.blocks:
        return ""
    html = "".join(t.blocks[block](t.new_context(dict(context))))
    return Markup(html).striptags()


@dataclass(frozen=True)
class Page:
    """A report page: its heading, notes, the "About these figures" words and provenance."""

    title: str
    subtitle: Sequence[str] = ()
    notes: Sequence[str] = ()
    about: Sequence[str] = ()
    provenance: Sequence[tuple[str, str]] = ()
    run_label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def generated_at() -> str:
    return datetime.now(UTC).strftime("%d %B %Y %H:%M UTC")


def ensure_dir(path: Path) -> Path:
    """Create the output folder, or say clearly why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot write the report to {path} ({exc.strerror or exc})",
            hint="choose another directory with --out",
        ) from None
    return path


def write_page(
    path: Path,
    page: Page,
    sections: Sequence[tuple[str, str, Markup]],
    *,
    template_name: str = "page.html.j2",
    generated: str | None = None,
) -> Path:
    """Render `page` with its rendered `sections` (id, title, html) to `path`."""
    html = template(template_name).render(
        page=page,
        sections=[{"id": i, "title": t, "html": h} for i, t, h in sections],
        version=__version__,
        generated=generated or generated_at(),
    )
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise StoreError(
            f"cannot write the report {path} ({exc.strerror or exc})",
            hint="choose another directory with --out",
        ) from None
    return path
