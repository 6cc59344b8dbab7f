"""Ctrl-C as a clean interrupt: the unfinished stage rolls back, the run log says so.

`handled()` (around every CLI command) replaces Python's SIGINT handler with one that records the
request and raises KeyboardInterrupt as usual. The record matters because an engine may turn
the interrupt into its own exception (DuckDB raises an `InterruptException` when a running
query is cancelled): `requested()` lets `Store.stage` and the CLI tell an interrupt from a
failure whatever exception carried it.

`deferred()` holds an interrupt back while a stage commits and writes its run-log row, so
Ctrl-C can never separate the two: it is raised as soon as the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = {"requested": False, "deferring": 0, "pending": False}


def _handler(signum, frame) -> None:
    _state["requested"] = True
    if _state["deferring"]:
        _state["pending"] = True
        return
    raise KeyboardInterrupt


@contextmanager
def handled() -> Iterator[None]:
    """Handle SIGINT as described above while the block runs (in the main thread; elsewhere
    nothing changes), then put the previous handler back."""
    reset()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def reset() -> None:
    _state.update(requested=False, deferring=0, pending=False)


def requested() -> bool:
    """Whether Ctrl-C was pressed since `handled()` began (or `reset()`)."""
    return bool(_state["requested"])


def is_interrupt(exc: BaseException) -> bool:
    """`exc` ends the work because the user interrupted it (whatever its type)."""
    return isinstance(exc, KeyboardInterrupt) or requested()


@contextmanager
def deferred() -> Iterator[None]:
    """Run a block that must not be cut in two by Ctrl-C; an interrupt during it is raised
    when it ends (only inside `handled()`; otherwise Python's default applies)."""
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1
        if not _state["deferring"] and _state["pending"]:
            _state["pending"] = False
            raise KeyboardInterrupt
