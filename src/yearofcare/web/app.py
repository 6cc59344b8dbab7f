"""The FastAPI app: one factory, security headers, access log, errors as pages or JSON.

Every error a user can cause is a clear 4xx (or 503 while a stage is writing the store): the
exception handlers turn filter errors, validation errors, missing roles, expired sessions and
store errors into a page (browser) or `{"error", "hint"}` (API). Anything unexpected is logged
with an id and shown as a plain 500 with that id, never a traceback.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from yearofcare import __version__
from yearofcare.disclosure import DisclosurePolicy
from yearofcare.errors import StoreBusy, YocError
from yearofcare.web import pages as _pages  # noqa: F401  (registers the pages)
from yearofcare.web.data import StoreReader
from yearofcare.web.filters import FilterError, FilterOptions, load_options
from yearofcare.web.privacy import app_logger, protect_logger
from yearofcare.web.settings import WebSettings
from yearofcare.web.state import AppState

STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/"
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)

log = app_logger()


class NeedLogin(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(Exception):
    def __init__(self, message: str, hint: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.message, self.hint, self.status = message, hint, status


class WebContext:
    """What every request needs: settings, app state, the store reader and small caches."""

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.state = AppState(settings.state_file)
        self.reader = StoreReader(settings.data_dir, settings.engine)
        self.policy = DisclosurePolicy(settings.disclosure_threshold, settings.disclosure_rounding)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._lock = threading.Lock()
        self._options: tuple[float, FilterOptions] | None = None
        self._pages: OrderedDict[tuple, Any] = OrderedDict()

    def options(self, snap) -> FilterOptions:
        version = self.reader.version()
        with self._lock:
            if self._options and self._options[0] == version:
                return self._options[1]
        opts = load_options(snap)
        with self._lock:
            self._options = (version, opts)
        return opts

    def cached(self, key: tuple, make) -> Any:
        """A rendered page for (slug, filters, view), reused until the store changes."""
        key = (self.reader.version(), *key)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        value = make()
        with self._lock:
            self._pages[key] = value
            while len(self._pages) > 128:
                self._pages.popitem(last=False)
        return value


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def render_html(
    request: Request, template: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    ctx: WebContext = request.app.state.web
    principal = getattr(request.state, "principal", None)
    from yearofcare.web.registry import visible

    nav = visible(principal.roles) if principal else []
    body = ctx.templates.get_template(template).render(
        request_path=request.url.path,
        principal=principal,
        nav=nav,
        version=__version__,
        **values,
    )
    return HTMLResponse(body, status_code=status_code)


def error_response(request: Request, status: int, message: str, hint: str = "") -> Response:
    if wants_json(request):
        return JSONResponse({"error": message, "hint": hint}, status_code=status)
    return render_html(request, "error.html.j2", status, status=status, message=message, hint=hint)


def create_app(settings: WebSettings) -> FastAPI:
    app = FastAPI(
        title="Year of Care",
        version=__version__,
        description=(
            "Aggregate figures from a Year of Care store, the same as the web pages show. "
            "Authenticate with a session cookie or `Authorization: Bearer <token>` "
            "(`yoc users token NAME`). Small counts are suppressed unless you hold the analyst "
            "role; no response contains an NHS number."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.web = WebContext(settings)
    protect_logger("uvicorn.error")
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.middleware("http")
    async def headers_and_log(request: Request, call_next):
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        principal = getattr(request.state, "principal", None)
        log.info(
            "%s %s %s %.0fms user=%s",
            request.method,
            request.url.path,  # never the query string: it may hold rule text or filters
            response.status_code,
            (time.perf_counter() - t0) * 1000,
            principal.username if principal else "-",
        )
        return response

    @app.exception_handler(NeedLogin)
    async def _login(request: Request, exc: NeedLogin):
        if wants_json(request):
            message = "your session has expired" if exc.expired else "authentication required"
            return JSONResponse(
                {"error": message, "hint": "log in, or send Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = "/login?expired=1" if exc.expired else "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            from urllib.parse import quote

            sep = "&" if "?" in target else "?"
            target += f"{sep}next={quote(request.url.path)}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return error_response(request, 403, exc.message, "ask an administrator for the role")

    @app.exception_handler(BadRequest)
    async def _bad(request: Request, exc: BadRequest):
        return error_response(request, exc.status, exc.message, exc.hint)

    @app.exception_handler(FilterError)
    async def _filter(request: Request, exc: FilterError):
        return error_response(request, 400, exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{where or 'request'}: {e.get('msg', 'invalid')}")
        return error_response(request, 400, "; ".join(parts), "check the address or form")

    @app.exception_handler(StoreBusy)
    async def _busy(request: Request, exc: StoreBusy):
        return error_response(request, 503, exc.message, exc.hint or "")

    @app.exception_handler(YocError)
    async def _yoc(request: Request, exc: YocError):
        return error_response(request, 400, exc.message, exc.hint or "")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 404:
            message = f"there is no page at {request.url.path[:120]}"
        return error_response(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        ref = secrets.token_hex(4)
        log.error("internal error %s on %s: %s", ref, request.url.path, type(exc).__name__)
        log.debug("internal error %s", ref, exc_info=exc)
        return error_response(
            request, 500, f"something went wrong (reference {ref})", "this is a bug in yoc"
        )

    from yearofcare.web import routes_api, routes_auth, routes_pages, routes_reident

    app.include_router(routes_auth.router)
    app.include_router(routes_reident.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_api.router)
    return app


def static_text(name: str) -> str:
    return resources.files("yearofcare.web").joinpath("static", name).read_text(encoding="utf-8")
