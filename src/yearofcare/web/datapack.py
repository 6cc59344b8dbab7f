"""Datapacks (`yoc datapack`): for a place, a practice (or every practice) or a cohort, one
self-contained HTML file (charts as inline SVG, no script), a PDF (charts as images) and the
tables as xlsx — in the spirit of the Commissioning for Value packs (seed 004 §5.7: Leeds gave
every CCG and practice one).

The figures are the web pages' own, through the same registry and the same disclosure as a
role without record-level access sees: a datapack is made to be shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
import vl_convert as vlc
from fpdf import FPDF
from markupsafe import Markup

from yearofcare import __version__
from yearofcare.disclosure import DisclosurePolicy, rule_text
from yearofcare.errors import StageError
from yearofcare.fy import fy_label
from yearofcare.progress import SILENT, Progress
from yearofcare.web import export
from yearofcare.web.data import StoreReader
from yearofcare.web.filters import load_options, parse_filters
from yearofcare.web.registry import PAGES, RenderedPage, render
from yearofcare.web.routes_pages import cell

SECTIONS = ("population", "budget", "outcomes")  # pages a datapack draws on, in order
_LATIN1 = {"≥": ">=", "≤": "<=", "–": "-", "—": "-", "…": "...", "’": "'", "×": "x", "·": "-"}


@dataclass(frozen=True)
class Written:
    name: str
    html: Path
    pdf: Path
    xlsx: Path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "all"


def write_datapacks(
    data_dir: Path,
    engine: str,
    out_dir: Path,
    *,
    place: str | None = None,
    practice: str | None = None,
    every_practice: bool = False,
    cohort: str | None = None,
    fy: int | None = None,
    policy: DisclosurePolicy | None = None,
    progress: Progress = SILENT,
) -> list[Written]:
    policy = policy or DisclosurePolicy()
    reader = StoreReader(data_dir, engine)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with reader.connect() as snap:
        if not snap.exists("person_year"):
            raise StageError("the store has no person_year", hint="run `yoc build` first")
        options = load_options(snap)
        if cohort is not None and not snap.exists("cohort_member"):
            raise StageError(
                "the store has no cohort register (cohort_member)",
                hint="run `yoc cohort select` first",
            )
        if cohort is not None:
            m = snap.table("cohort_member")
            known = snap.execute(m.select("cohort_id").distinct()).cohort_id
            if cohort not in set(known):
                raise StageError(
                    f"no cohort {cohort[:60]!r} on the cohort register",
                    hint="cohorts: "
                    + (", ".join(sorted(known)) or "none")
                    + "; `yoc cohort select` and `yoc cohort review` add one",
                )
        targets: list[tuple[str, dict[str, str]]] = []
        base = {"fy": str(fy)} if fy is not None else {}
        if every_practice:
            targets = [(f"practice {p}", {**base, "practice": p}) for p in options.practice]
        elif practice is not None:
            targets = [(f"practice {practice}", {**base, "practice": practice})]
        elif place is not None:
            targets = [(f"place {place}", {**base, "place": place})]
        elif cohort is not None:
            targets = [(f"cohort {cohort}", {**base, "cohort": cohort})]
        else:
            targets = [("whole population", base)]
        with progress.task("Datapacks", total=len(targets)) as bar:
            for name, params in targets:
                filters = parse_filters(params, options, extra=("cohort",))
                pages = [
                    render(PAGES[s], snap, filters, options, record_level=False, policy=policy)
                    for s in SECTIONS
                    if s in PAGES
                ]
                stem = out_dir / f"datapack-{_slug(name)}-{filters.fy}"
                title = _title(name, filters.fy, options.practice_names)
                html = stem.with_suffix(".html")
                html.write_text(_html(title, pages, policy), encoding="utf-8")
                pdf = stem.with_suffix(".pdf")
                _pdf(title, pages, pdf)
                xlsx = stem.with_suffix(".xlsx")
                for p in pages:  # the calculators answer the app's users, not a pack
                    p.tables = [t for t in p.tables if not t.key.startswith("calc_")]
                tables = [t for p in pages for t in p.tables]
                xlsx.write_bytes(export.to_xlsx(pages[0], tables, policy, False))
                written.append(Written(name, html, pdf, xlsx))
                bar.advance()
    return written


def _title(name: str, fy: int | None, practice_names: dict) -> str:
    code = name.removeprefix("practice ")
    label = f"{name} {practice_names[code]}" if code in practice_names else name
    return f"Datapack: {label}, {fy_label(fy) if fy else ''}".strip(", ")


def _html(title: str, pages: list[RenderedPage], policy: DisclosurePolicy) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True,
    )
    sections = []
    for p in pages:
        svgs = {c.key: Markup(vlc.vegalite_to_svg(spec)) for c, spec in p.charts}
        sections.append({"page": p, "svgs": svgs})
    return env.get_template("datapack.html.j2").render(
        title=title,
        sections=sections,
        cell=cell,
        policy=policy,
        disclosure_rule=rule_text(policy),
        version=__version__,
        generated=datetime.now().strftime("%d %B %Y %H:%M"),
    )


def _latin1(text: object) -> str:
    s = str(text)
    for a, b in _LATIN1.items():
        s = s.replace(a, b)
    return s.encode("latin-1", "replace").decode("latin-1")


def _pdf(title: str, pages: list[RenderedPage], path: Path) -> None:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.set_text_color(0, 48, 135)
    _para(pdf, 9, _latin1(title))
    pdf.set_text_color(33, 43, 50)
    pdf.set_font("Helvetica", "", 9)
    _para(pdf, 5, _latin1(f"yearofcare {__version__}; small numbers suppressed (*)."))
    for p in pages:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 14)
        pdf.set_text_color(0, 48, 135)
        pdf.cell(0, 8, _latin1(p.page.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(33, 43, 50)
        pdf.set_font("Helvetica", "", 10)
        if p.missing:
            _para(pdf, 5, _latin1(f"No data yet: run `{p.page.command}` first."))
            continue
        for label, value in p.headline:
            pdf.cell(0, 6, _latin1(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
        for _chart, spec in p.charts:
            png = vlc.vegalite_to_png(spec, scale=1.5)
            pdf.image(png, w=170)
            pdf.ln(2)
        for t in p.tables:
            _pdf_table(pdf, t)
        for n in p.notes:
            _para(pdf, 5, _latin1(n))
    pdf.output(str(path))


def _para(pdf: FPDF, height: float, text: str) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _pdf_table(pdf: FPDF, t) -> None:
    cols = [c for c in t.columns if c.name in t.frame.columns][:7]
    pdf.set_font("Helvetica", "B", 10)
    _para(pdf, 6, _latin1(t.title))
    pdf.set_font("Helvetica", "", 7)
    with pdf.table(text_align="LEFT", first_row_as_headings=True) as table:
        row = table.row()
        for c in cols:
            row.cell(_latin1(c.label))
        for rec in t.frame.head(30).to_dict("records"):
            row = table.row()
            for c in cols:
                row.cell(_latin1(cell(rec[c.name], c.kind, True)))
    if len(t.frame) > 30:
        _para(pdf, 4, _latin1(f"({len(t.frame) - 30} more rows in the workbook)"))
    pdf.ln(2)
