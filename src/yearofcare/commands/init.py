"""`yoc init`: write the example configuration files a user edits into a folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import app, options, out


@app.command()
def init(
    ctx: typer.Context,
    folder: Path | None = typer.Option(
        None, "--dir", help="Where to write them (default: <data-dir>/config)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that were edited."),
) -> None:
    """Write commented example configuration files (service map, finance settings, …)."""
    from yearofcare.config.examples import write_examples
    from yearofcare.config.paths import config_dir

    target = folder or config_dir(Path(options(ctx).data_dir))
    t = Table("file", "what it is", title=f"yoc init: {target}")
    for path, description in write_examples(target, force=force):
        t.add_row(path.name, description)
    out.print(t)
