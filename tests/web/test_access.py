"""Access control: every route × every role, sessions, CSRF, the login rate limit, audit."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, USERS, csrf_of, login
from yearofcare.errors import ConfigError
from yearofcare.web import auth
from yearofcare.web.registry import PAGES
from yearofcare.web.settings import WebSettings
from yearofcare.web.state import AppState, now

ROLES = (None, *auth.ROLES)

#: Expected access: route → roles allowed (None = not logged in). Pages come from the registry.
OPEN = {"/healthz", "/login", "/openapi.json", "/static/app.css"}
ANY_LOGGED_IN = {"/", "/api/me", "/api/filters", "/api/pages"}
ADMIN_ONLY = {"/admin/users", "/admin/audit"}
REIDENT_ONLY = {"/reidentify"}


def _expected(path: str, role: str | None) -> bool:
    if path in OPEN:
        return True
    if role is None:
        return False
    if path in ANY_LOGGED_IN:
        return True
    if path in ADMIN_ONLY:
        return role == auth.ADMINISTRATOR
    if path in REIDENT_ONLY:
        return role == auth.REIDENTIFICATION
    slug = path.split("/")[3] if path.startswith("/api/") else path.split("/")[2]
    return role in PAGES[slug].roles


def _routes() -> list[str]:
    routes = sorted(OPEN | ANY_LOGGED_IN | ADMIN_ONLY | REIDENT_ONLY)
    for slug in PAGES:
        routes += [f"/pages/{slug}", f"/api/pages/{slug}", f"/pages/{slug}/download/all.xlsx"]
    return routes


def test_every_route_is_known_to_the_matrix(web_app):
    from yearofcare.web import routes_api, routes_auth, routes_pages, routes_reident

    declared = {"/openapi.json", "/static"} | {
        r.path
        for m in (routes_api, routes_auth, routes_pages, routes_reident)
        for r in m.router.routes
    }
    covered = {
        "/healthz",
        "/login",
        "/openapi.json",
        "/",
        "/api/me",
        "/api/filters",
        "/api/pages",
        "/admin/users",
        "/admin/audit",
        "/reidentify",
        "/pages/{slug}",
        "/api/pages/{slug}",
        "/pages/{slug}/download/{table}.{fmt}",
        "/api/pages/{slug}/tables/{table}",
        "/logout",
        "/admin/users/{username}/disable",
        "/pages/cohorts/save",
        "/static",
    }
    assert declared - covered == set(), "a new route needs a row in the access matrix"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_route_by_role(client_for, role):
    c = client_for(role)
    for path in _routes():
        r = c.get(path, follow_redirects=False)
        allowed = _expected(path, role)
        if allowed:
            ok = r.status_code in (200, 303) or (
                path.endswith(".xlsx") and r.status_code == 404 and "yoc " in r.text
            )
            if path == "/" and role == auth.REIDENTIFICATION:
                ok = r.status_code == 303 and r.headers["location"] == "/reidentify"
            assert ok, (path, role, r.status_code, r.text[:200])
        elif role is None:
            assert r.status_code in (401, 303), (path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login")
        else:
            assert r.status_code == 403, (path, role, r.status_code)


def test_reidentification_role_sees_no_data_pages(client_for):
    c = client_for(auth.REIDENTIFICATION)
    assert c.get("/api/pages").json() == []


def test_session_cookie_flags(web_app):
    c = TestClient(web_app, base_url="https://testserver")
    r = login(c, USERS[auth.ANALYST])
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie


def test_wrong_password_and_rate_limit(web_settings, web_app):
    st = AppState(web_settings.state_file)
    auth.add_user(st, "victim", PASSWORD, (auth.FINANCE,))
    c = TestClient(web_app, base_url="https://testserver", client=("10.9.9.9", 1234))
    for _ in range(web_settings.login_failures_allowed):
        assert login(c, "victim", "wrong password!").status_code == 401
    locked = login(c, "victim", PASSWORD)
    assert locked.status_code == 429 and "Too many failed attempts" in locked.text
    assert int(locked.headers["retry-after"]) > 0


def test_login_without_csrf_is_refused(web_app):
    c = TestClient(web_app, base_url="https://testserver")
    r = c.post("/login", data={"username": USERS["analyst"], "password": PASSWORD})
    assert r.status_code == 403 and "security token" in r.text


def test_forged_or_missing_csrf_on_forms(web_app):
    c = TestClient(web_app, base_url="https://testserver")
    login(c, USERS[auth.ADMINISTRATOR])
    form = {"username": "newbie", "password": PASSWORD, "roles": "finance"}
    assert c.post("/admin/users", data=form).status_code == 403
    assert c.post("/admin/users", data={**form, "csrf_token": "forged"}).status_code == 403
    assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    ok = c.post("/admin/users", data={**form, "csrf_token": csrf_of(c)}, follow_redirects=False)
    assert ok.status_code == 303


def test_expired_session_asks_to_log_in_again(web_settings, web_app):
    auth.add_user(AppState(web_settings.state_file), "expiring", PASSWORD, (auth.PUBLIC_HEALTH,))
    c = TestClient(web_app, base_url="https://testserver")
    login(c, "expiring")
    with sqlite3.connect(web_settings.state_file) as db:
        db.execute(
            "UPDATE sessions SET expires_at = ? WHERE username = 'expiring'",
            ((now() - timedelta(minutes=1)).isoformat(sep=" "),),
        )
    page = c.get("/pages/population", follow_redirects=False)
    assert page.status_code == 303 and "expired=1" in page.headers["location"]
    assert "session has expired" in c.get(page.headers["location"]).text
    api = c.get("/api/pages/population")
    assert api.status_code == 401 and "expired" in api.json()["error"]


def test_api_token_is_read_only(web_settings, web_app):
    st = AppState(web_settings.state_file)
    token = auth.new_api_token(st, web_settings, USERS[auth.FINANCE])
    c = TestClient(web_app, base_url="https://testserver")
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/me", headers=h).json()["roles"] == [auth.FINANCE]
    assert c.post("/logout", headers=h, data={"csrf_token": "x"}).status_code == 403
    assert c.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_roles_are_checked_when_users_are_made(web_settings):
    st = AppState(web_settings.state_file)
    with pytest.raises(ConfigError, match="cannot be combined"):
        auth.add_user(st, "mixed", PASSWORD, (auth.REIDENTIFICATION, auth.ANALYST), "Y02001")
    with pytest.raises(ConfigError, match="needs the practice"):
        auth.add_user(st, "nopractice", PASSWORD, (auth.REIDENTIFICATION,))
    with pytest.raises(ConfigError, match="too short"):
        auth.add_user(st, "short", "abc", (auth.ANALYST,))
    with pytest.raises(ConfigError, match="unknown role"):
        auth.add_user(st, "odd", PASSWORD, ("superuser",))
    found = st.user(USERS[auth.ANALYST])
    assert found is not None and found[1].startswith("$argon2id$")


def test_audit_log_is_append_only_and_chained(tmp_path):
    st = AppState(tmp_path / "s.sqlite")
    st.audit("a", "x", {"n": 1}, reason="first")
    st.audit("b", "y", {"n": 2})
    assert st.verify_audit() is None
    with sqlite3.connect(tmp_path / "s.sqlite") as db, pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM audit_log")
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        db.execute("DROP TRIGGER audit_no_update")  # someone with file access tampers…
        db.execute("UPDATE audit_log SET reason = 'edited' WHERE id = 1")
    assert st.verify_audit() == 1  # …and the chain shows it


def test_settings_refuse_nonsense(tmp_path):
    from yearofcare.config import settings

    with pytest.raises(ConfigError, match="session_idle_minutes"):
        settings(
            WebSettings,
            data_dir=tmp_path,
            state_file=tmp_path / "s.sqlite",
            session_idle_minutes=0,
        )
