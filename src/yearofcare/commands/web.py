"""`yoc serve` (the web app) and `yoc users …` (who may use it)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer

from yearofcare.cli import app, options, out
from yearofcare.errors import ConfigError

users_app = typer.Typer(help="Users of the web app: add, list, disable, reset, API tokens.")
app.add_typer(users_app, name="users")

STATE_OPTION = typer.Option(
    None, "--state", help="App state database (default: <data-dir>-webapp/app.sqlite)."
)


def web_settings(ctx: typer.Context, state: Path | None = None, **values):
    from yearofcare.config import settings
    from yearofcare.web.settings import WebSettings, default_state_file

    opts = options(ctx)
    return settings(
        WebSettings,
        data_dir=opts.data_dir,
        engine=opts.engine,
        state_file=state or default_state_file(opts.data_dir),
        **values,
    )


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    state: Path | None = STATE_OPTION,
    key_file: Path | None = typer.Option(
        None, "--key-file", help="Linkage key, for the re-identification role only."
    ),
    insecure_cookies: bool = typer.Option(
        False,
        "--insecure-cookies",
        help="Send the session cookie over plain HTTP too (only for a trusted test network; "
        "put a TLS proxy in front instead).",
    ),
    workers: int = typer.Option(1, "--workers", help="Server worker processes."),
) -> None:
    """Serve the web app: pages per audience, the HTTP API (/openapi.json), downloads."""
    import uvicorn

    from yearofcare.web.app import create_app

    cfg = web_settings(
        ctx, state, key_file=key_file, secure_cookies=False if insecure_cookies else None
    )
    application = create_app(cfg)
    if not application.state.web.state.list_users():
        out.print(
            "[yellow]No users yet:[/] add one with `yoc users add NAME --role administrator`",
            markup=True,
        )
    out.print(f"Year of Care on http://{host}:{port}/ (store {cfg.data_dir}, {cfg.engine})")
    uvicorn.run(
        application,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app logs method, path, status and user, never query strings
        log_level="info",
    )


def _password(password_env: str | None) -> str:
    if password_env:
        value = os.environ.get(password_env)
        if not value:
            raise ConfigError(
                f"environment variable {password_env} is empty or not set",
                hint="set it to the password, or leave out --password-env to be asked",
            )
        return value
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise ConfigError("the two passwords differ", hint="run the command again")
    return first


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="User name (letters, digits, . _ - @)."),
    role: list[str] = typer.Option(
        ...,
        "--role",
        help="public_health, service_planner, finance, analyst, administrator, or "
        "reidentification (alone, with --practice). Repeat for several.",
    ),
    practice: str | None = typer.Option(
        None, "--practice", help="Practice code of a re-identification user."
    ),
    password_env: str | None = typer.Option(
        None, "--password-env", help="Read the password from this environment variable."
    ),
    state: Path | None = STATE_OPTION,
) -> None:
    """Create a user (the password is asked for, or read from --password-env)."""
    from yearofcare.web.auth import add_user
    from yearofcare.web.state import AppState

    cfg = web_settings(ctx, state)
    user = add_user(
        AppState(cfg.state_file), username, _password(password_env), tuple(role), practice
    )
    out.print(f"added {user.username} ({', '.join(user.roles)}) to {cfg.state_file}")


@users_app.command("list")
def users_list(ctx: typer.Context, state: Path | None = STATE_OPTION) -> None:
    """List users, their roles and whether they are active."""
    from rich.table import Table

    from yearofcare.web.state import AppState

    cfg = web_settings(ctx, state)
    table = Table("user", "roles", "practice", "active")
    for u in AppState(cfg.state_file).list_users():
        table.add_row(
            u.username, ", ".join(u.roles), u.practice_code or "", "yes" if u.active else "no"
        )
    out.print(table)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, username: str = typer.Argument(...), state: Path | None = STATE_OPTION
) -> None:
    """Disable a user and end their sessions (the audit log keeps their actions)."""
    from yearofcare.web.state import AppState

    cfg = web_settings(ctx, state)
    s = AppState(cfg.state_file)
    if not s.update_user(username, active=False):
        raise ConfigError(f"no user called {username!r}", hint="see `yoc users list`")
    s.audit("cli", "user_disabled", {"user": username})
    out.print(f"disabled {username}")


@users_app.command("passwd")
def users_passwd(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    password_env: str | None = typer.Option(None, "--password-env"),
    state: Path | None = STATE_OPTION,
) -> None:
    """Set a new password (ends the user's sessions)."""
    from yearofcare.web.auth import hash_password
    from yearofcare.web.state import AppState

    cfg = web_settings(ctx, state)
    s = AppState(cfg.state_file)
    if not s.update_user(username, password_hash=hash_password(_password(password_env))):
        raise ConfigError(f"no user called {username!r}", hint="see `yoc users list`")
    out.print(f"new password set for {username}")


@users_app.command("token")
def users_token(
    ctx: typer.Context, username: str = typer.Argument(...), state: Path | None = STATE_OPTION
) -> None:
    """Make a read-only API token (Authorization: Bearer …) for Power BI, Excel or R."""
    from yearofcare.web.auth import new_api_token
    from yearofcare.web.state import AppState

    cfg = web_settings(ctx, state)
    s = AppState(cfg.state_file)
    found = s.user(username)
    if found is None or not found[0].active:
        raise ConfigError(f"no active user called {username!r}", hint="see `yoc users list`")
    token = new_api_token(s, cfg, username)
    s.audit("cli", "api_token_issued", {"user": username, "days": cfg.api_token_days})
    out.print(token)


@app.command()
def datapack(
    ctx: typer.Context,
    place: str | None = typer.Option(None, "--place", help="A locality (place)."),
    practice: str | None = typer.Option(
        None, "--practice", help="A practice code, or 'all' for one datapack per practice."
    ),
    cohort: str | None = typer.Option(None, "--cohort", help="A cohort id (cohort register)."),
    fy: int | None = typer.Option(None, "--fy", help="Financial year (default: the latest)."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Where to write (default: <data-dir>/reports/datapacks)."
    ),
) -> None:
    """Write datapacks: self-contained HTML, PDF and xlsx for a place, practice(s) or cohort."""
    from yearofcare.cli import RichProgress
    from yearofcare.config.paths import reports_dir
    from yearofcare.web.datapack import write_datapacks

    chosen = [x for x in (place, practice, cohort) if x is not None]
    if len(chosen) > 1:
        raise ConfigError(
            "choose one of --place, --practice and --cohort", hint="run the command once for each"
        )
    opts = options(ctx)
    target = out_dir or reports_dir(opts.data_dir) / "datapacks"
    written = write_datapacks(
        opts.data_dir,
        opts.engine,
        target,
        place=place,
        practice=None if practice == "all" else practice,
        every_practice=practice == "all",
        cohort=cohort,
        fy=fy,
        progress=RichProgress(),
    )
    for w in written:
        out.print(f"{w.name}: {w.html}, {w.pdf}, {w.xlsx}")
