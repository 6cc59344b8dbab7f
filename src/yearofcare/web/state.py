"""App state in SQLite (SQLAlchemy Core): users, sessions, login attempts, audit log, cohorts.

Kept apart from the analytics store: the store is read-only to the app, and copying a store
never copies who may read it. The audit log is append-only twice over: SQLite triggers refuse
UPDATE and DELETE, and each row carries the SHA-256 of the previous row, so `verify_audit`
notices a row removed or edited behind the app's back. Secrets are stored only as hashes
(argon2 for passwords, SHA-256 for random session and API tokens).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from yearofcare.errors import StoreError

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),  # comma-separated role names
    sa.Column("practice_code", sa.String(16)),  # re-identification users: their own practice
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # "browser" or "api"
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("ok", sa.Boolean, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("detail", sa.Text, nullable=False),  # JSON: counts and names, never identifiers
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("row_hash", sa.String(64), nullable=False),
)

saved_cohorts = sa.Table(
    "saved_cohorts",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
GENESIS = "0" * 64
_AUDIT_LOCK = threading.Lock()  # one writer at a time keeps the hash chain linear


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    username: str
    roles: tuple[str, ...]
    practice_code: str | None
    active: bool


class AppState:
    """The app's SQLite database: one engine, short transactions, no ORM session state."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the app state folder {self.path.parent}: {exc.strerror or exc}",
                hint="choose another location with --state, or fix the folder's permissions",
            ) from None
        self.engine = sa.create_engine(f"sqlite:///{self.path}", future=True)
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        with self.engine.begin() as con:
            for ddl in _APPEND_ONLY:
                con.exec_driver_sql(ddl)

    # ---- users ---------------------------------------------------------------------------
    def add_user(
        self, username: str, password_hash: str, roles: tuple[str, ...], practice: str | None
    ) -> None:
        with self.engine.begin() as con:
            if con.execute(sa.select(users.c.username).where(users.c.username == username)).first():
                raise StoreError(
                    f"user {username!r} already exists",
                    hint="choose another name, or `yoc users passwd` / `yoc users disable` it",
                )
            con.execute(
                users.insert().values(
                    username=username,
                    password_hash=password_hash,
                    roles=",".join(roles),
                    practice_code=practice,
                    active=True,
                    created_at=now(),
                )
            )

    def user(self, username: str) -> tuple[User, str] | None:
        with self.engine.connect() as con:
            row = con.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            return None
        return _user(row), row.password_hash

    def list_users(self) -> list[User]:
        with self.engine.connect() as con:
            return [_user(r) for r in con.execute(sa.select(users).order_by(users.c.username))]

    def update_user(self, username: str, **values: Any) -> bool:
        with self.engine.begin() as con:
            done = con.execute(users.update().where(users.c.username == username).values(**values))
            if values.get("active") is False or "password_hash" in values:
                con.execute(sessions.delete().where(sessions.c.username == username))
        return bool(done.rowcount)

    # ---- sessions ------------------------------------------------------------------------
    def create_session(
        self, token: str, username: str, kind: str, csrf: str, expires_at: datetime
    ) -> None:
        t = now()
        with self.engine.begin() as con:
            con.execute(
                sessions.insert().values(
                    token_hash=token_hash(token),
                    username=username,
                    kind=kind,
                    csrf=csrf,
                    created_at=t,
                    last_seen=t,
                    expires_at=expires_at,
                )
            )

    def session(self, token: str) -> Mapping[str, Any] | None:
        with self.engine.connect() as con:
            row = con.execute(
                sa.select(sessions).where(sessions.c.token_hash == token_hash(token))
            ).first()
        return None if row is None else row._mapping

    def touch_session(self, token: str, expires_at: datetime) -> None:
        with self.engine.begin() as con:
            con.execute(
                sessions.update()
                .where(sessions.c.token_hash == token_hash(token))
                .values(last_seen=now(), expires_at=expires_at)
            )

    def end_session(self, token: str) -> None:
        with self.engine.begin() as con:
            con.execute(sessions.delete().where(sessions.c.token_hash == token_hash(token)))

    def purge_sessions(self) -> None:
        with self.engine.begin() as con:
            con.execute(sessions.delete().where(sessions.c.expires_at < now()))

    # ---- login attempts ------------------------------------------------------------------
    def record_attempt(self, username: str, client: str, ok: bool) -> None:
        with self.engine.begin() as con:
            con.execute(
                login_attempts.insert().values(username=username, client=client, at=now(), ok=ok)
            )

    def failures_since(self, since: datetime, *, username: str, client: str) -> int:
        """Failed logins since `since` for this user name or from this client."""
        q = (
            sa.select(sa.func.count())
            .select_from(login_attempts)
            .where(login_attempts.c.at >= since)
            .where(login_attempts.c.ok.is_(False))
            .where(sa.or_(login_attempts.c.username == username, login_attempts.c.client == client))
        )
        with self.engine.connect() as con:
            return int(con.execute(q).scalar_one())

    # ---- audit ---------------------------------------------------------------------------
    def audit(
        self, username: str, action: str, detail: Mapping[str, Any], reason: str | None = None
    ) -> int:
        """Append one audit row, chained to the previous row's hash. Returns its id."""
        at = now()
        body = json.dumps(dict(detail), sort_keys=True, default=str)
        with _AUDIT_LOCK, self.engine.begin() as con:
            last = con.execute(
                sa.select(audit_log.c.row_hash).order_by(audit_log.c.id.desc()).limit(1)
            ).first()
            prev = last.row_hash if last else GENESIS
            digest = _audit_hash(prev, at, username, action, reason, body)
            res = con.execute(
                audit_log.insert().values(
                    at=at,
                    username=username,
                    action=action,
                    reason=reason,
                    detail=body,
                    prev_hash=prev,
                    row_hash=digest,
                )
            )
        return int(res.inserted_primary_key[0])

    def audit_rows(self, limit: int = 500) -> list[Mapping[str, Any]]:
        with self.engine.connect() as con:
            rows = con.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
            return [r._mapping for r in rows]

    def verify_audit(self) -> int | None:
        """The id of the first row whose chain is broken, or None when the log is intact."""
        prev = GENESIS
        with self.engine.connect() as con:
            for r in con.execute(sa.select(audit_log).order_by(audit_log.c.id)):
                expected = _audit_hash(prev, r.at, r.username, r.action, r.reason, r.detail)
                if r.prev_hash != prev or r.row_hash != expected:
                    return int(r.id)
                prev = r.row_hash
        return None

    # ---- saved cohorts -------------------------------------------------------------------
    def save_cohort(self, name: str, rule: str, description: str | None, username: str) -> None:
        with self.engine.begin() as con:
            con.execute(saved_cohorts.delete().where(saved_cohorts.c.name == name))
            con.execute(
                saved_cohorts.insert().values(
                    name=name,
                    rule=rule,
                    description=description,
                    created_by=username,
                    created_at=now(),
                )
            )

    def cohorts(self) -> list[Mapping[str, Any]]:
        with self.engine.connect() as con:
            rows = con.execute(sa.select(saved_cohorts).order_by(saved_cohorts.c.name))
            return [r._mapping for r in rows]


def _sqlite_pragmas(dbapi_con: Any, _record: Any) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _user(row: Any) -> User:
    roles = tuple(r for r in str(row.roles).split(",") if r)
    return User(row.username, roles, row.practice_code, bool(row.active))


def _audit_hash(
    prev: str, at: datetime, username: str, action: str, reason: str | None, detail: str
) -> str:
    text = json.dumps([prev, at.isoformat(), username, action, reason, detail])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
