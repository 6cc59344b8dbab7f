"""Fixtures for the web app: one small realistic store (synthetic economy → person_year →
analyses, split by practice) and one user per role, shared by every web test in the session."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.stages import add_money_and_contracts
from yearofcare.cli import main
from yearofcare.web.app import create_app
from yearofcare.web.auth import ROLES, add_user
from yearofcare.web.settings import WebSettings
from yearofcare.web.state import AppState

PASSWORD = "correct horse battery"
PRACTICE = "Y02001"
USERS = {role: f"{role}_user" for role in ROLES}


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB store of 17,000 synthetic people over two years (two practices), with the
    analyses, the outcomes scorecard, a budget with its reconciliation and two contracts
    settled (tests/web/stages.py)."""
    root = tmp_path_factory.mktemp("web")
    data = root / "data"
    for args in (
        ["synth", "--people", "17000", "--years", "2", "--seed", "7"],
        ["build"],
        ["analyse", "--by", "practice"],
        ["scorecard"],
    ):
        assert main(["--data-dir", str(data), *args]) == 0, args
    add_money_and_contracts(data)
    return data


@pytest.fixture(scope="session")
def web_settings(web_store: Path) -> WebSettings:
    state = web_store.parent / "state" / "app.sqlite"
    s = WebSettings(data_dir=web_store, state_file=state)
    st = AppState(state)
    for role, name in USERS.items():
        add_user(st, name, PASSWORD, (role,), PRACTICE if role == "reidentification" else None)
    return s


@pytest.fixture(scope="session")
def web_app(web_settings: WebSettings):
    return create_app(web_settings)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )


@pytest.fixture(scope="session")
def client_for(web_app) -> Callable[[str | None], TestClient]:
    """A logged-in client per role (None: not logged in), reused across tests."""
    clients: dict[str | None, TestClient] = {}

    def make(role: str | None) -> TestClient:
        if role not in clients:
            c = TestClient(web_app, base_url="https://testserver")
            if role is not None:
                r = login(c, USERS[role])
                assert r.status_code == 303, r.text
            clients[role] = c
        return clients[role]

    return make


def csrf_of(client: TestClient) -> str:
    page = client.get("/")
    if page.status_code != 200:
        page = client.get("/reidentify")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
