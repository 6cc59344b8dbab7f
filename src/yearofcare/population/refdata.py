"""Reading the versioned reference files (code lists, weights, unit costs) shipped in the package.

Files are CSV; lines starting with `#` are comments (sources and notes). Each read returns the
rows and a SHA-256 fingerprint of the file, so outputs can record exactly what they used.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import pandas as pd

from yearofcare.errors import ConfigError, InputError


@dataclass(frozen=True)
class RefFile:
    """One reference file: where it came from, its rows and its fingerprint."""

    path: str
    frame: pd.DataFrame
    sha256: str


def reference_root() -> Traversable:
    return resources.files("yearofcare.reference")


def reference_dir(*parts: str) -> Traversable:
    node = reference_root()
    for p in parts:
        node = node / p
    return node


def available(*parts: str, suffix: str = ".csv") -> list[str]:
    """Names (without suffix) of the files or folders under reference/<parts>."""
    node = reference_dir(*parts)
    if not node.is_dir():
        return []
    return sorted(
        p.name[: -len(suffix)] if suffix and p.name.endswith(suffix) else p.name
        for p in node.iterdir()
        if not p.name.startswith((".", "_")) and (not suffix or p.name.endswith(suffix))
    )


def read_csv(node: Traversable, label: str, required: tuple[str, ...]) -> RefFile:
    """Read a reference CSV (string columns), checking its header names every required column."""
    if not node.is_file():
        raise ConfigError(
            f"reference file {label} does not exist",
            hint="check the name in the population configuration",
        )
    raw = node.read_bytes()
    text = raw.decode("utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"reference file {label} lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(frame.columns)}",
            hint="restore the header row of the file",
        )
    frame = frame.apply(lambda col: col.str.strip())
    return RefFile(label, frame, hashlib.sha256(raw).hexdigest())


def fingerprint(files: list[RefFile]) -> str:
    """One SHA-256 over several files (names and contents), order-independent."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f.path.encode())
        h.update(f.sha256.encode())
    return h.hexdigest()
