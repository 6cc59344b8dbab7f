"""The reports layer: each stage declares its report sections as data (`Section`), the layer
renders them into self-contained HTML pages (inline SVG charts from Vega-Lite specs) and Excel
workbooks, with provenance from the run log and suppression through `yearofcare.disclosure`.
See docs/architecture.md, "Adding a report section"."""

from yearofcare.reports.section import Chart, Section, SectionData, Sheet, all_sections

__all__ = ["Chart", "Section", "SectionData", "Sheet", "all_sections"]
