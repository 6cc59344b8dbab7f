"""The HTML pages and their CSV / xlsx downloads."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yearofcare.disclosure import rule_text
from yearofcare.errors import YocError
from yearofcare.fy import fy_label
from yearofcare.reports import formats
from yearofcare.web import auth, export
from yearofcare.web.app import BadRequest, render_html
from yearofcare.web.deps import check_csrf, current, web
from yearofcare.web.filters import FILTERS
from yearofcare.web.registry import PAGES, visible
from yearofcare.web.views import page_for, rendered

router = APIRouter(include_in_schema=False)

_FMT = {
    "count": formats.integer,
    "int": lambda v: f"{int(v)}",
    "money": formats.money,
    "pence": lambda v: f"£{v:,.2f}" if v >= 0 else f"−£{-v:,.2f}",
    "pct": formats.percent,
    "number": formats.number,
}


def cell(value: Any, kind: str, disclosed: bool) -> str:
    """A table cell as text: suppressed cells are '*', missing values '–'."""
    hidden = "*" if disclosed and kind in _FMT else "–"  # text is never suppressed
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return hidden
    try:
        if value != value:  # pandas NA-likes
            return hidden
    except (TypeError, ValueError):
        pass
    fmt = _FMT.get(kind)
    if fmt is None:
        return str(value)
    try:
        return fmt(value)
    except (TypeError, ValueError):
        return str(value)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: Annotated[auth.Principal, Depends(current)]) -> Response:
    if principal.roles == {auth.REIDENTIFICATION}:
        from fastapi.responses import RedirectResponse

        return RedirectResponse("/reidentify", status_code=303)
    return render_html(request, "home.html.j2", pages=visible(principal.roles))


@router.get("/pages/{slug}", response_class=HTMLResponse)
def page_view(
    request: Request, slug: str, principal: Annotated[auth.Principal, Depends(current)]
) -> Response:
    ctx = web(request)
    page = page_for(slug, principal)
    result, options = rendered(ctx, page, principal, request.query_params)
    return render_html(
        request,
        page.template,
        page=page,
        result=result,
        options=options,
        filter_defs=list(FILTERS),
        fy_label=fy_label,
        cell=cell,
        specs={c.key: json.dumps(spec, default=str) for c, spec in result.charts},
        query=urlencode({**result.filters.active(), **result.inputs}),
        record_level=principal.record_level,
        threshold=ctx.policy.threshold,
        rounding=ctx.policy.rounding,
        disclosure_rule=rule_text(ctx.policy),
        extra=page_extra(request, page, principal),
    )


def page_extra(request: Request, page, principal) -> dict[str, Any]:
    """Page-specific context (saved cohorts for the explorer, and so on)."""
    if page.slug == "cohorts":
        from yearofcare.web.pages.cohorts import example_rules

        return {
            "saved": web(request).state.cohorts(),
            "examples": example_rules(),
            "csrf": principal.csrf,
        }
    return {"csrf": principal.csrf}


@router.get("/pages/{slug}/download/{table}.{fmt}")
def download(
    request: Request,
    slug: str,
    table: str,
    fmt: str,
    principal: Annotated[auth.Principal, Depends(current)],
) -> Response:
    ctx = web(request)
    page = page_for(slug, principal)
    if fmt not in ("csv", "xlsx"):
        raise BadRequest(f"cannot download as {fmt[:10]!r}", "use .csv or .xlsx", status=404)
    result, _ = rendered(ctx, page, principal, request.query_params)
    if result.missing:
        raise BadRequest(
            f"the {page.title} page has no data yet", f"run `{page.command}` first", status=404
        )
    stem = f"{slug}-{result.filters.fy or 'all'}"
    if table == "all":
        tables = result.tables
    else:
        try:
            tables = [result.table(table)]
        except KeyError:
            keys = ", ".join(t.key for t in result.tables)
            raise BadRequest(
                f"the {page.title} page has no table {table[:40]!r}", f"tables: {keys}", status=404
            ) from None
        stem += f"-{table}"
    prov = "; ".join(f"{p.table}={p.run_id}" for p in result.provenance)
    headers = {"X-Yoc-Provenance": prov}
    if fmt == "csv":
        if len(tables) != 1:
            raise BadRequest("CSV holds one table", "name a table, or download all as .xlsx")
        headers["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
        return Response(export.to_csv(tables[0]), media_type="text/csv", headers=headers)
    body = export.to_xlsx(result, tables, ctx.policy, principal.record_level)
    headers["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=headers,
    )


@router.post("/pages/cohorts/save")
def save_cohort(
    request: Request,
    principal: Annotated[auth.Principal, Depends(current)],
    name: Annotated[str, Form(max_length=60)] = "",
    rule: Annotated[str, Form(max_length=2000)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Save the explorer's rule as a named cohort definition (app state, not the store)."""
    page_for("cohorts", principal)
    check_csrf(request, principal, csrf_token)
    name = name.strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", name):
        raise BadRequest(
            f"cohort name {name[:60]!r} cannot be used", "use lower-case letters, digits and _"
        )
    from yearofcare.cohorts.config import adhoc_rule

    try:
        checked = adhoc_rule(rule)
    except YocError as exc:
        raise BadRequest(exc.message, exc.hint or "") from None
    web(request).state.save_cohort(
        name, checked.text, description.strip() or None, principal.username
    )
    web(request).state.audit(
        principal.username, "save_cohort", {"name": name, "rule": checked.text}
    )
    return RedirectResponse(f"/pages/cohorts?{urlencode({'rule': checked.text})}", status_code=303)


def known_pages() -> list[str]:
    return list(PAGES)
