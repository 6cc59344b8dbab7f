"""Request dependencies: who is asking (cookie or bearer token), role checks and CSRF."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from yearofcare.web import auth
from yearofcare.web.app import BadRequest, Forbidden, NeedLogin, WebContext


def web(request: Request) -> WebContext:
    return request.app.state.web


def current(request: Request) -> auth.Principal:
    """The logged-in principal; NeedLogin (redirect or 401) otherwise."""
    ctx = web(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token, via = header[7:].strip(), "api"
    else:
        token, via = request.cookies.get(auth.SESSION_COOKIE, ""), "browser"
    if not token:
        raise NeedLogin(expired=False)
    try:
        principal = auth.resolve(ctx.state, ctx.settings, token, via)
    except auth.SessionExpired:
        raise NeedLogin(expired=True) from None
    request.state.principal = principal
    return principal


def require(*roles: str) -> Callable[[Request], auth.Principal]:
    """A dependency: the principal, if they hold one of `roles` (else 403)."""

    def dep(request: Request) -> auth.Principal:
        p = current(request)
        if not p.roles & set(roles):
            raise Forbidden("you do not have access to this page")
        return p

    return dep


def check_csrf(request: Request, principal: auth.Principal, given: str | None) -> None:
    """Every state-changing browser request carries the session's CSRF token."""
    if principal.via == "api":
        raise Forbidden("API tokens are read-only: use the web pages to change anything")
    given = given or request.headers.get(auth.CSRF_HEADER)
    if not auth.csrf_ok(principal.csrf, given):
        raise BadRequest(
            "the form's security token is missing or out of date",
            "reload the page and try again",
            status=403,
        )
