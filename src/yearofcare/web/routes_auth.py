"""Login, logout, user administration and the audit log."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from yearofcare.errors import YocError
from yearofcare.web import auth
from yearofcare.web.app import BadRequest, render_html
from yearofcare.web.deps import check_csrf, current, require, web

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:300]
    return "/"


def _client(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def _login_page(request: Request, status: int = 200, message: str = "", **extra) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render_html(
        request,
        "login.html.j2",
        status,
        csrf=token,
        message=message,
        expired=request.query_params.get("expired") == "1",
        next=_safe_next(request.query_params.get("next")),
        **extra,
    )
    resp.set_cookie(
        auth.LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        secure=web(request).settings.secure_cookies,
        samesite="strict",
        max_age=3600,
    )
    return resp


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    ctx = web(request)
    if not auth.csrf_ok(request.cookies.get(auth.LOGIN_CSRF_COOKIE), csrf_token):
        return _login_page(request, 403, "The form's security token was missing; try again.")
    try:
        user = auth.authenticate(ctx.state, ctx.settings, username, password, _client(request))
    except auth.RateLimited as exc:
        resp = _login_page(
            request, 429, f"Too many failed attempts. Try again in {exc.retry_after // 60} minutes."
        )
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    if user is None:
        return _login_page(request, 401, "User name or password not recognised.")
    token, _csrf = auth.start_session(ctx.state, ctx.settings, user)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        auth.SESSION_COOKIE,
        token,
        httponly=True,
        secure=ctx.settings.secure_cookies,
        samesite="strict",
        max_age=ctx.settings.session_max_hours * 3600,
    )
    resp.delete_cookie(auth.LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(
    request: Request,
    principal: Annotated[auth.Principal, Depends(current)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, principal, csrf_token)
    web(request).state.end_session(request.cookies.get(auth.SESSION_COOKIE, ""))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(auth.SESSION_COOKIE)
    return resp


@router.get("/admin/users")
def users_page(
    request: Request,
    principal: Annotated[auth.Principal, Depends(require(auth.ADMINISTRATOR))],
    message: str = "",
) -> Response:
    return render_html(
        request,
        "users.html.j2",
        users=web(request).state.list_users(),
        roles=auth.ROLES,
        message=message[:200],
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    principal: Annotated[auth.Principal, Depends(require(auth.ADMINISTRATOR))],
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    practice: Annotated[str, Form(max_length=16)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, principal, csrf_token)
    ctx = web(request)
    try:
        auth.add_user(ctx.state, username, password, tuple(roles or ()), practice or None)
    except YocError as exc:
        raise BadRequest(exc.message, exc.hint or "") from None
    ctx.state.audit(principal.username, "user_added", {"user": username, "roles": roles})
    return RedirectResponse(f"/admin/users?message=Added+{username}", status_code=303)


@router.post("/admin/users/{username}/disable")
def disable_user(
    request: Request,
    username: str,
    principal: Annotated[auth.Principal, Depends(require(auth.ADMINISTRATOR))],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(request, principal, csrf_token)
    ctx = web(request)
    if username == principal.username:
        raise BadRequest("you cannot disable yourself", "ask another administrator")
    if not ctx.state.update_user(username, active=False):
        raise BadRequest(f"no user called {username[:64]!r}", "", status=404)
    ctx.state.audit(principal.username, "user_disabled", {"user": username})
    return RedirectResponse(f"/admin/users?message=Disabled+{username}", status_code=303)


@router.get("/admin/audit")
def audit_page(
    request: Request,
    principal: Annotated[auth.Principal, Depends(require(auth.ADMINISTRATOR))],
) -> Response:
    state = web(request).state
    return render_html(
        request, "audit.html.j2", rows=state.audit_rows(), broken=state.verify_audit()
    )
