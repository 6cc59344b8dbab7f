"""Progress reporting that domain code can call without printing.

Service functions accept a `Progress` and call `progress.task(...)`; the CLI passes a rich
progress bar, tests and the web app pass the silent default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Task(Protocol):
    def advance(self, amount: float = 1) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: float | None = None) -> _TaskContext: ...


class _NullTask:
    def advance(self, amount: float = 1) -> None:
        return None


class _TaskContext(Protocol):
    def __enter__(self) -> Task: ...
    def __exit__(self, *exc: object) -> None: ...


class Silent:
    """Reports nothing."""

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[Task]:
        yield _NullTask()


SILENT = Silent()
