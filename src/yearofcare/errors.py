"""One exception hierarchy for everything a user can get wrong.

Each error carries a message (what was found, what was expected, naming the file, row, column
or setting at fault) and a hint (the fix). The CLI maps them to exit codes in one place.
"""

from __future__ import annotations


class YocError(Exception):
    """Base class for errors a user can act on. Never shown with a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"


class ConfigError(YocError):
    """A setting, option or configuration file is invalid."""

    exit_code = 2


class InputError(YocError):
    """An input file or table does not meet its contract."""

    exit_code = 3


class StoreError(YocError):
    """The data store cannot be opened, read or written."""

    exit_code = 4


class StoreBusy(StoreError):
    """The store file is locked by a stage that is writing to it."""


class EngineError(YocError):
    """The compute engine is unavailable or misconfigured."""

    exit_code = 5


class StageError(YocError):
    """A stage cannot run because what it needs is missing."""

    exit_code = 6
