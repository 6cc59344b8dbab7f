"""Demo users for `make demo`: one per role, with a fresh random password printed once."""

from __future__ import annotations

import secrets
from pathlib import Path

from yearofcare.web.auth import REIDENTIFICATION, ROLES, add_user, hash_password
from yearofcare.web.state import AppState


def demo_users(state_file: Path, practice: str | None) -> list[tuple[str, str, str]]:
    """Create (or reset the password of) `demo-<role>` for every role: (user, role, password).
    The re-identification user works for `practice` (skipped when the store has none)."""
    state = AppState(state_file)
    made = []
    for role in ROLES:
        if role == REIDENTIFICATION and not practice:
            continue
        name = f"demo-{role.replace('_', '-')}"
        password = secrets.token_urlsafe(9)
        if state.user(name) is None:
            add_user(state, name, password, (role,), practice if role == REIDENTIFICATION else None)
        else:
            state.update_user(name, password_hash=hash_password(password), active=True)
        made.append((name, role, password))
    return made
