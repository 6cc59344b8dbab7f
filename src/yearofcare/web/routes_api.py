"""The HTTP API: the pages' figures as JSON for Power BI, Excel and R (OpenAPI at /openapi.json).

The same disclosed tables as the pages: a principal without the analyst role gets suppressed
counts. Filters are query parameters with the pages' names; an unknown one is a 400.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from yearofcare import __version__
from yearofcare.disclosure import rule_text
from yearofcare.schemas.population import AGE_BANDS
from yearofcare.web import auth, export
from yearofcare.web.app import BadRequest
from yearofcare.web.deps import current, web
from yearofcare.web.filters import FILTERS, NEED_LEVELS
from yearofcare.web.registry import visible
from yearofcare.web.views import page_for, rendered

router = APIRouter(prefix="/api", tags=["data"])

AgeBand = Literal[tuple(b[0] for b in AGE_BANDS)]  # type: ignore[valid-type]
NeedLevel = Literal[NEED_LEVELS]  # type: ignore[valid-type]


def filter_query(
    fy: Annotated[int | None, Query(description="Financial year by its start year")] = None,
    place: Annotated[str | None, Query(max_length=100, description="Locality")] = None,
    practice: Annotated[str | None, Query(max_length=20, description="Practice code")] = None,
    age_band: Annotated[AgeBand | None, Query()] = None,  # type: ignore[valid-type]
    imd_quintile: Annotated[int | None, Query(ge=1, le=5, description="1 most deprived")] = None,
    need_level: Annotated[NeedLevel | None, Query()] = None,  # type: ignore[valid-type]
) -> None:
    """Declares the filters for the schema; values are read and checked by the view."""


def input_query(
    rule: Annotated[
        str | None, Query(max_length=2000, description="Cohort explorer: a cohort rule")
    ] = None,
    cohort: Annotated[
        str | None, Query(max_length=80, description="Budget calculator: cohort")
    ] = None,
    members: Annotated[
        str | None, Query(max_length=20, description="Budget calculator: members on 1 April")
    ] = None,
    tariff_change: Annotated[
        str | None, Query(max_length=20, description="Budget calculator: tariff change, %")
    ] = None,
    contract: Annotated[
        str | None, Query(max_length=80, description="Risk-share calculator: sample contract")
    ] = None,
    outturn: Annotated[
        str | None, Query(max_length=40, description="Risk-share calculator: outturn, pounds")
    ] = None,
) -> None:
    """Declares the pages' own inputs (calculators, the cohort explorer's rule) for the
    schema; each page reads and checks those it has, and another page's is a 400."""


class PageInfo(BaseModel):
    slug: str
    title: str
    audience: str
    description: str
    filters: list[str]
    available: bool
    command: str


class TableOut(BaseModel):
    key: str
    title: str
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    note: str | None = None


class ProvenanceOut(BaseModel):
    table: str
    run_id: str
    stage: str
    finished_at: str
    code_version: str
    engine: str
    rows: int | None = None


class PageOut(BaseModel):
    page: str
    title: str
    filters: dict[str, Any]
    missing: list[str]
    command: str | None
    headline: list[list[str]]
    notes: list[str]
    provenance: list[ProvenanceOut]
    suppressed: bool
    disclosure: str
    tables: list[TableOut]
    charts: dict[str, dict[str, Any]]
    inputs: dict[str, str] = {}
    error: str | None = None


class Me(BaseModel):
    username: str
    roles: list[str]
    record_level: bool
    version: str


@router.get("/me", response_model=Me)
def me(principal: Annotated[auth.Principal, Depends(current)]) -> Me:
    return Me(
        username=principal.username,
        roles=sorted(principal.roles),
        record_level=principal.record_level,
        version=__version__,
    )


@router.get("/filters")
def filters(
    request: Request, principal: Annotated[auth.Principal, Depends(current)]
) -> dict[str, Any]:
    """Every filter, the values this store allows, and why a filter is unavailable."""
    ctx = web(request)
    with ctx.reader.connect() as snap:
        opts = ctx.options(snap)
    return {
        f.name: {
            "label": f.label,
            "hint": f.hint,
            "values": list(opts.values(f.name)),
            "unavailable": opts.unavailable.get(f.name),
        }
        for f in FILTERS
    }


@router.get("/pages", response_model=list[PageInfo])
def pages(
    request: Request, principal: Annotated[auth.Principal, Depends(current)]
) -> list[PageInfo]:
    ctx = web(request)
    with ctx.reader.connect() as snap:
        return [
            PageInfo(
                slug=p.slug,
                title=p.title,
                audience=p.audience,
                description=p.description,
                filters=list(p.filters),
                available=all(snap.exists(t) for t in p.requires),
                command=p.command,
            )
            for p in visible(principal.roles)
        ]


@router.get(
    "/pages/{slug}",
    response_model=PageOut,
    dependencies=[Depends(filter_query), Depends(input_query)],
)
def page(
    request: Request, slug: str, principal: Annotated[auth.Principal, Depends(current)]
) -> PageOut:
    """A page's headline, tables (rows as objects) and Vega-Lite chart specs."""
    ctx = web(request)
    p = page_for(slug, principal)
    result, _ = rendered(ctx, p, principal, request.query_params)
    return PageOut(
        page=p.slug,
        title=p.title,
        filters=result.filters.active(),
        missing=result.missing,
        command=p.command if result.missing else None,
        headline=[list(h) for h in result.headline],
        notes=result.notes,
        provenance=[ProvenanceOut(**pr.as_dict()) for pr in result.provenance],
        suppressed=result.suppressed,
        disclosure="none (analyst)"
        if principal.record_level
        else f"suppressed: {rule_text(ctx.policy)}",
        tables=[TableOut(**export.table_json(t)) for t in result.tables],
        charts={c.key: spec for c, spec in result.charts},
        inputs=dict(result.inputs),
        error=result.error,
    )


@router.get(
    "/pages/{slug}/tables/{table}",
    response_model=TableOut,
    dependencies=[Depends(filter_query), Depends(input_query)],
)
def page_table(
    request: Request,
    slug: str,
    table: str,
    principal: Annotated[auth.Principal, Depends(current)],
) -> TableOut:
    """One table of a page, e.g. for Power BI's Web connector."""
    ctx = web(request)
    p = page_for(slug, principal)
    result, _ = rendered(ctx, p, principal, request.query_params)
    if result.missing:
        raise BadRequest(f"the {p.title} page has no data yet", f"run `{p.command}` first", 404)
    try:
        return TableOut(**export.table_json(result.table(table)))
    except KeyError:
        keys = ", ".join(t.key for t in result.tables)
        raise BadRequest(f"no table {table[:40]!r} on {p.title}", f"tables: {keys}", 404) from None
