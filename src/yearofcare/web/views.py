"""From a request to a rendered page: filters, role, disclosure and the page cache in one place
(shared by the HTML pages, their downloads and the API)."""

from __future__ import annotations

from collections.abc import Mapping

from yearofcare.web.app import BadRequest, Forbidden, WebContext
from yearofcare.web.auth import Principal
from yearofcare.web.filters import FilterOptions, parse_filters
from yearofcare.web.registry import PAGES, Page, RenderedPage, render


def page_for(slug: str, principal: Principal) -> Page:
    page = PAGES.get(slug)
    if page is None:
        raise BadRequest(
            f"there is no page called {slug[:60]!r}",
            "pages: " + ", ".join(PAGES),
            status=404,
        )
    if not page.roles & principal.roles:
        raise Forbidden(f"the {page.title} page is not open to your role")
    return page


def rendered(
    ctx: WebContext,
    page: Page,
    principal: Principal,
    params: Mapping[str, str],
    *,
    extra: tuple[str, ...] = (),
) -> tuple[RenderedPage, FilterOptions]:
    inputs = page_inputs(page, params)
    names = {i.name for i in page.inputs}
    params = {k: v for k, v in params.items() if k not in names}
    with ctx.reader.connect() as snap:
        options = ctx.options(snap)
        filters = parse_filters(params, options, extra=extra)
        dropped = [k for k in filters.active() if k not in page.filters and k != "fy"]
        if dropped:
            raise BadRequest(
                f"the {page.title} page cannot be filtered by {', '.join(dropped)}",
                "filters for this page: " + ", ".join(page.filters),
            )
        key = (
            page.slug,
            tuple(sorted(filters.active().items())),
            tuple(sorted(inputs.items())),
            principal.record_level,
        )
        result = ctx.cached(
            key,
            lambda: render(
                page,
                snap,
                filters,
                options,
                record_level=principal.record_level,
                policy=ctx.policy,
                inputs=inputs,
            ),
        )
    return result, options


def page_inputs(page: Page, params: Mapping[str, str]) -> dict[str, str]:
    """The page's own inputs from the query (other pages' inputs are unknown filters)."""
    out = {}
    for i in page.inputs:
        raw = params.get(i.name)
        if raw is None or not str(raw).strip():
            continue
        text = str(raw).strip()
        if len(text) > i.max_length:
            raise BadRequest(
                f"{i.label.lower()} is longer than {i.max_length} characters",
                i.hint,
            )
        out[i.name] = text
    return out
