"""`yoc users …` and the demo users."""

from __future__ import annotations

from yearofcare.cli import main
from yearofcare.web.auth import ROLES, authenticate
from yearofcare.web.demo import demo_users
from yearofcare.web.settings import WebSettings, default_state_file
from yearofcare.web.state import AppState


def test_users_commands(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("YOC_PW", "a long enough password")
    base = ["--data-dir", str(data), "users"]
    assert main([*base, "add", "fin", "--role", "finance", "--password-env", "YOC_PW"]) == 0
    assert main([*base, "add", "fin", "--role", "finance", "--password-env", "YOC_PW"]) == 4
    assert "already exists" in capsys.readouterr().err
    code = main(
        [
            *base,
            "add",
            "mix",
            "--role",
            "reidentification",
            "--role",
            "analyst",
            "--practice",
            "A1",
            "--password-env",
            "YOC_PW",
        ]
    )
    assert code == 2 and "cannot be combined" in capsys.readouterr().err
    assert main([*base, "add", "x", "--role", "analyst", "--password-env", "NOT_SET"]) == 2
    assert main([*base, "token", "fin"]) == 0
    assert capsys.readouterr().out.strip().startswith("yoc_")
    assert main([*base, "disable", "fin"]) == 0
    assert main([*base, "list"]) == 0
    assert "fin" in capsys.readouterr().out
    state = AppState(default_state_file(data))
    assert state.list_users()[0].active is False


def test_demo_users_one_per_role_with_fresh_passwords(tmp_path):
    path = tmp_path / "s.sqlite"
    first = demo_users(path, "Y02001")
    assert {role for _, role, _ in first} == set(ROLES)
    second = demo_users(path, "Y02001")
    state = AppState(path)
    settings = WebSettings(data_dir=tmp_path, state_file=path)
    for (name, _, old), (_, _, new) in zip(first, second, strict=True):
        assert old != new
        assert authenticate(state, settings, name, new, "test") is not None
