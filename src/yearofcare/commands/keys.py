"""`yoc keygen`: create the pseudonymisation key, kept outside the store."""

from __future__ import annotations

from pathlib import Path

import typer

from yearofcare.cli import app, out


@app.command()
def keygen(
    key_file: Path = typer.Option(
        Path("yoc-linkage.key"), "--key-file", help="Where to write the key (outside the store)."
    ),
) -> None:
    """Create a new random key for keyed NHS-number pseudonyms (refuses to overwrite one)."""
    from yearofcare.linkage.pseudonym import create_key

    create_key(key_file)
    out.print(f"wrote a new linkage key to {key_file}; keep it outside the store and back it up")
