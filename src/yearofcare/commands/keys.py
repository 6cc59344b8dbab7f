"""`yoc keygen`: create the pseudonymisation key, kept outside the store."""

from __future__ import annotations

from pathlib import Path

import typer

from yearofcare.cli import app, options, out


@app.command()
def keygen(
    ctx: typer.Context,
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        help="Where to write the key (default: <data-dir>-secure/yoc-linkage.key, beside the "
        "data directory; never inside it).",
    ),
) -> None:
    """Create a new random key for keyed NHS-number pseudonyms (refuses to overwrite one, or to
    write it inside the data directory)."""
    from yearofcare.config import paths
    from yearofcare.errors import ConfigError
    from yearofcare.linkage.pseudonym import create_key

    data_dir = options(ctx).data_dir
    path = key_file or paths.default_key_file(data_dir)
    in_use = paths.key_file(data_dir)
    if key_file is None and in_use != path:
        raise ConfigError(
            f"this store already has a linkage key, {in_use}",
            hint="reuse it (a new key breaks linkage with everything loaded before), or give "
            "--key-file to make a key for another store",
        )
    if paths.is_inside(path, data_dir):
        raise ConfigError(
            f"linkage key {path} would be inside the data directory {data_dir}",
            hint="keep the key outside the store, so a copy of the store cannot be "
            f"re-identified; e.g. --key-file {paths.default_key_file(data_dir)}",
        )
    create_key(path)
    out.print(f"wrote a new linkage key to {path}; keep it outside the store and back it up")
