"""The `yoc` command line: parses options and calls service functions, nothing more.

Errors a user can act on (YocError) are printed as one line plus a hint and exit non-zero;
`--debug` shows the traceback as well.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.exceptions import TyperException

from yearofcare import __version__, interrupt
from yearofcare.config.paths import DEFAULT_DATA_DIR
from yearofcare.errors import YocError

app = typer.Typer(
    name="yoc",
    help="Year of Care commissioning toolkit: link, cost, classify, budget, share risk, evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: Control characters other than tab and newline (C0, DEL, C1): shown as \\xNN, never sent.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Console(Console):
    """A console that never passes a control character of the text it is given to the
    terminal: data holding ANSI escape sequences (ESC, CSI) or backspaces is shown with the
    control characters as visible `\\x1b`, so a value cannot recolour, move or clear the
    terminal. Rich's own styling is added after this, so it is unaffected."""

    def render_str(self, text: str, **kwargs):  # type: ignore[override]
        return super().render_str(
            _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text), **kwargs
        )


#: Messages (stderr) use markup for their labels only: data in them goes through `escape`.
console = _Console(stderr=True, soft_wrap=True)
#: Results (stdout) carry data (file names, table cells): printed literally, never as markup.
out = _Console(markup=False)

#: Modules under yearofcare.commands that add their commands to `app`, in pipeline order.
COMMAND_MODULES: tuple[str, ...] = (
    "store_cmds",
    "init",
    "keys",
    "synth",
    "ingest",
    "build",
    "analyse",
    "need",
    "cohort",
    "outcomes",
    "quality",
    "finance",
    "settle",
    "simulate",
    "rrr",
    "report",
    "web",
    "demo",
)


@dataclass(frozen=True)
class Options:
    data_dir: Path
    engine: str
    debug: bool


class RichProgress:
    """The rich progress bar handed to service functions (see yearofcare.progress)."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    @contextmanager
    def task(self, description: str, total: float | None = None) -> Iterator[object]:
        with self._bar:
            task_id = self._bar.add_task(description, total=total)

            class _T:
                def advance(_self, amount: float = 1) -> None:
                    self._bar.advance(task_id, amount)

            yield _T()
            if total is not None:
                self._bar.update(task_id, completed=total)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, "--data-dir", help="Where the store lives."),
    engine: str = typer.Option("duckdb", "--engine", help="Compute engine: duckdb or spark."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit()
    ctx.obj = Options(data_dir=data_dir, engine=engine, debug=debug)


def options(ctx: typer.Context) -> Options:
    return ctx.find_root().obj


def open_store(ctx: typer.Context):
    from yearofcare.store import open_store as _open

    opts = options(ctx)
    store = _open(opts.engine, opts.data_dir)
    if store.recovered:
        console.print(
            f"[bold yellow]Note:[/] {escape(store.recovered.describe())}", highlight=False
        )
    return store


for _name in COMMAND_MODULES:
    importlib.import_module(f"yearofcare.commands.{_name}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn user errors into one clear line."""
    args = sys.argv[1:] if argv is None else argv
    with interrupt.handled():
        return _main(args)


def _main(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        app(args=args, standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        return _interrupted()
    except YocError as exc:
        if interrupt.requested():
            return _interrupted()
        console.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            console.print(f"[bold]Hint:[/] {escape(exc.hint)}", highlight=False)
        if debug:
            console.print_exception()
        return exc.exit_code
    except typer.Exit as exc:
        if interrupt.requested():
            return _interrupted()
        return exc.exit_code
    except TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        exc.show()
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - unexpected failures: one line, no traceback
        if interrupt.requested():  # an engine's own exception for a cancelled query
            return _interrupted()
        console.print(
            f"[bold red]Internal error:[/] {type(exc).__name__}: {escape(str(exc))}",
            highlight=False,
        )
        console.print(
            "[bold]Hint:[/] this is a bug in yoc; rerun with --debug and report the traceback"
        )
        if debug:
            console.print_exception()
        return 70
    if interrupt.requested():  # Ctrl-C reached code that swallowed it: still an interrupt
        return _interrupted()
    return 0


def _interrupted() -> int:
    console.print("Interrupted; the store is unchanged by the unfinished stage.")
    return 130


if __name__ == "__main__":
    sys.exit(main())
