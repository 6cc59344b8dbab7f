"""Data quality (analysts): what each load brought, Kent's prioritised findings, completeness by
source and month, and what the build found (activity after death, activity for unknown people).
Each section names the command to run when its table is missing."""

from __future__ import annotations

import pandas as pd

from yearofcare.web import charts
from yearofcare.web.auth import ADMINISTRATOR, ANALYST
from yearofcare.web.registry import (
    ChartDef,
    Column,
    Page,
    PageContext,
    PageData,
    TableView,
    register,
)

LOAD_COLUMNS = (
    Column("source", "Source"),
    Column("file_name", "File"),
    Column("status", "Status"),
    Column("rows_read", "Rows read", "int"),
    Column("rows_loaded", "Loaded", "int"),
    Column("rows_quarantined", "Quarantined", "int"),
    Column("rows_opted_out", "Opted out", "int"),
    Column("nhs_validity", "Valid NHS numbers", "pct"),
    Column("linkage_rate", "Linked", "pct"),
)


def build(ctx: PageContext) -> PageData:
    snap, tables, notes, sources = ctx.snap, [], [], []
    loads = "dq_load" if snap.exists("dq_load") else "ingest_load"
    if snap.exists(loads):
        t = snap.table(loads)
        cols = [c.name for c in LOAD_COLUMNS if c.name in t.columns]
        frame = snap.execute(t.select(*cols).order_by(["source", "file_name"]))
        sources.append(loads)
        # row counts of files, not of people: nothing here identifies anyone
        tables.append(
            TableView(
                "loads",
                "Loads",
                [c for c in LOAD_COLUMNS if c.name in cols],
                frame,
                already_disclosed=True,
            )
        )
    else:
        notes.append("Loads: run `yoc ingest` first.")
    if snap.exists("dq_finding"):
        t = snap.table("dq_finding")
        frame = snap.execute(
            t.select("priority", "severity", "check", "source", "file_name", "message", "action")
            .order_by(["priority", "source", "check"])
            .limit(500)
        )
        sources.append("dq_finding")
        tables.append(
            TableView(
                "findings",
                "Findings (Kent priority 1 first)",
                [
                    Column("priority", "Priority", "int"),
                    Column("severity", "Severity"),
                    Column("check", "Check"),
                    Column("source", "Source"),
                    Column("file_name", "File"),
                    Column("message", "What was found"),
                    Column("action", "What to do"),
                ],
                frame,
                already_disclosed=True,
            )
        )
    else:
        notes.append("Findings and completeness by month: run `yoc quality` first.")
    if snap.exists("dq_source_month"):
        t = snap.table("dq_source_month")
        frame = snap.execute(
            t.select(
                "source", "month", "records", "linkage_rate", "costed_rate", "coded_rate"
            ).order_by(["source", "month"])
        )
        frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
        sources.append("dq_source_month")
        tables.append(
            TableView(
                "source_month",
                "Completeness by source and month",
                [
                    Column("source", "Source"),
                    Column("month", "Month"),
                    Column("records", "Records", "int"),
                    Column("linkage_rate", "Linked", "pct"),
                    Column("costed_rate", "Costed", "pct"),
                    Column("coded_rate", "Coded", "pct"),
                ],
                frame,
                already_disclosed=True,
            )
        )
    if snap.exists("build_dq_finding"):
        t = snap.table("build_dq_finding")
        if ctx.filters.fy is not None:
            t = t.filter(t.fy == ctx.filters.fy)
        frame = snap.execute(
            t.group_by(["finding", "fy"])
            .aggregate(records=t.count(), people=t.person_id.nunique())
            .order_by(["finding", "fy"])
        )
        sources.append("build_dq_finding")
        tables.append(
            TableView(
                "build_findings",
                "What the build found",
                [
                    Column("finding", "Finding"),
                    Column("fy", "Year", "int"),
                    Column("records", "Activity rows", "count"),
                    Column("people", "People", "count"),
                ],
                frame,
                counts=("records", "people"),
            )
        )
    else:
        notes.append("Build findings: run `yoc build` first.")
    return PageData(tables=tables, notes=notes, sources=sources)


PAGE = register(
    Page(
        slug="quality",
        title="Data quality",
        audience="Analysts",
        description=(
            "Whether the data can be trusted: every load accounted for, prioritised findings, "
            "completeness by source and month."
        ),
        roles=frozenset({ANALYST, ADMINISTRATOR}),
        requires=(),
        command="yoc ingest, then yoc quality",
        build=build,
        order=90,
        filters=("fy",),
        charts=(
            ChartDef(
                "linkage",
                "Linkage by month",
                "source_month",
                lambda d: charts.line(
                    d,
                    "month",
                    "linkage_rate",
                    "source",
                    title="Records linked to a person, by source and month",
                    x_title="Month",
                    y_title="Linked",
                    y_format=".0%",
                ),
            ),
        ),
    )
)
