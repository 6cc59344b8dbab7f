"""`yoc init`: write commented example configuration files to edit."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import app, options, out


@app.command()
def init(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(
        None, help="Where to write the files (default: <data-dir>/config)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> None:
    """Write commented example configuration files (mapping file, quality thresholds, contract
    values, analysis options …) into DIR; existing files are kept unless --force."""
    from yearofcare.config import paths
    from yearofcare.config.examples import EXAMPLES
    from yearofcare.errors import ConfigError

    target = directory or paths.config_dir(options(ctx).data_dir)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is a file, not a folder", hint="name a folder for yoc init")
    target.mkdir(parents=True, exist_ok=True)
    t = Table("file", "what it sets", "used by", "written", title=f"yoc init {target}")
    for e in EXAMPLES:
        path = target / e.name
        kept = path.exists() and not force
        if not kept:
            path.write_text(e.text(), encoding="utf-8")
        t.add_row(e.name, e.what, f"{e.command} {e.name}", "kept (exists)" if kept else "yes")
    out.print(t)
