"""Users, roles, passwords, sessions, CSRF and the login rate limit.

Roles follow the Kent and Leeds audiences (seed 004 §5.7): public health, service planners,
finance, analysts and administrators. Re-identification is a separate role, held alone by
someone at a GP practice (REQUIREMENTS §8: case-finding only, outside the commissioners'
reach): it cannot be combined with any other role and is tied to one practice.

Passwords are hashed with argon2id (argon2-cffi). A session is a random token in a Secure,
HttpOnly, SameSite=Strict cookie, stored only as its SHA-256; it expires after an idle time and
a maximum age. Every form carries the session's CSRF token (login uses a double-submit cookie).
API clients (Power BI, Excel, R) use bearer tokens made by `yoc users token`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from yearofcare.errors import ConfigError
from yearofcare.web.settings import WebSettings
from yearofcare.web.state import AppState, User, now

PUBLIC_HEALTH = "public_health"
SERVICE_PLANNER = "service_planner"
FINANCE = "finance"
ANALYST = "analyst"
ADMINISTRATOR = "administrator"
REIDENTIFICATION = "reidentification"

ROLES: dict[str, str] = {
    PUBLIC_HEALTH: "Public health",
    SERVICE_PLANNER: "Service planner",
    FINANCE: "Finance",
    ANALYST: "Analyst",
    ADMINISTRATOR: "Administrator",
    REIDENTIFICATION: "Re-identification (GP practice)",
}
#: Roles that see record-level (pseudonymised) data and unsuppressed aggregates.
RECORD_LEVEL_ROLES = frozenset({ANALYST})

SESSION_COOKIE = "yoc_session"
LOGIN_CSRF_COOKIE = "yoc_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, used to even out timing")


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user, their roles and their session's CSRF token."""

    user: User
    csrf: str
    via: str  # "browser" or "api"

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.user.roles)

    @property
    def record_level(self) -> bool:
        return bool(self.roles & RECORD_LEVEL_ROLES)


def check_roles(roles: tuple[str, ...], practice: str | None) -> tuple[str, ...]:
    """Validate a role list for a new or changed user."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ConfigError(
            f"unknown role(s) {', '.join(unknown) or '(none given)'}",
            hint=f"roles: {', '.join(ROLES)}",
        )
    if REIDENTIFICATION in roles and len(set(roles)) > 1:
        raise ConfigError(
            "the reidentification role cannot be combined with other roles",
            hint="create a separate user for re-identification (someone at the GP practice)",
        )
    if REIDENTIFICATION in roles and not practice:
        raise ConfigError(
            "a reidentification user needs the practice they work for",
            hint="add --practice ODS_CODE (they can re-identify only that practice's list)",
        )
    return tuple(dict.fromkeys(roles))


def check_username(name: str) -> str:
    if not _USERNAME.match(name):
        raise ConfigError(
            f"user name {name!r} is not allowed",
            hint="use 2-64 letters, digits, dots, dashes, underscores or @",
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(
            f"the password is too short ({len(password)} characters)",
            hint=f"use at least {MIN_PASSWORD} characters (a passphrase is best)",
        )
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def add_user(
    state: AppState,
    username: str,
    password: str,
    roles: tuple[str, ...],
    practice: str | None = None,
) -> User:
    roles = check_roles(roles, practice)
    state.add_user(check_username(username), hash_password(password), roles, practice)
    return User(username, roles, practice, True)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


def authenticate(
    state: AppState, settings: WebSettings, username: str, password: str, client: str
) -> User | None:
    """The user if the password is right; records the attempt; raises RateLimited when over."""
    window = timedelta(minutes=settings.login_window_minutes)
    failures = state.failures_since(now() - window, username=username[:64], client=client)
    if failures >= settings.login_failures_allowed:
        raise RateLimited(int(window.total_seconds()))
    found = state.user(username[:64])
    ok = False
    if found is None:
        _verify(_DUMMY_HASH, password)  # same work either way: no user-name oracle by timing
    else:
        user, hashed = found
        ok = user.active and _verify(hashed, password)
        if ok and _hasher.check_needs_rehash(hashed):
            state.update_user(user.username, password_hash=_hasher.hash(password))
    state.record_attempt(username[:64], client, ok)
    return found[0] if ok and found else None


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def start_session(state: AppState, settings: WebSettings, user: User) -> tuple[str, str]:
    """A new browser session: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    idle = now() + timedelta(minutes=settings.session_idle_minutes)
    state.create_session(token, user.username, "browser", csrf, idle)
    return token, csrf


def new_api_token(state: AppState, settings: WebSettings, username: str) -> str:
    token = "yoc_" + secrets.token_urlsafe(32)
    expires = now() + timedelta(days=settings.api_token_days)
    state.create_session(token, username, "api", secrets.token_urlsafe(16), expires)
    return token


class SessionExpired(Exception):
    """The cookie names a session that has ended (idle, too old, or logged out)."""


def resolve(state: AppState, settings: WebSettings, token: str, via: str) -> Principal:
    """The principal for a session cookie or API token; extends a browser session's idle time."""
    row = state.session(token)
    if row is None or row["kind"] != via:
        raise SessionExpired
    t = now()
    too_old = via == "browser" and t - row["created_at"] > timedelta(
        hours=settings.session_max_hours
    )
    if row["expires_at"] < t or too_old:
        state.end_session(token)
        raise SessionExpired
    found = state.user(row["username"])
    if found is None or not found[0].active:
        state.end_session(token)
        raise SessionExpired
    if via == "browser":
        state.touch_session(token, t + timedelta(minutes=settings.session_idle_minutes))
    return Principal(found[0], row["csrf"], via)


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
