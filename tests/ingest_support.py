"""Helpers for ingest and linkage tests: a key outside the store, one-call ingest, snapshots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from yearofcare.ingest import IngestOptions, IngestResult, ingest
from yearofcare.linkage.pseudonym import create_key
from yearofcare.store import Store

DATA = Path(__file__).parent / "data"
EXCERPT = DATA / "artificial_hes_apc_excerpt.csv"
SHARED_APC = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "artificial_hes"
    / "artificial_hes_apc_0102_truncated.csv"
).resolve()


def make_key(tmp_path: Path) -> Path:
    path = tmp_path / "yoc-linkage.key"
    if not path.exists():
        create_key(path)
    return path


def run(store: Store, source: str, *paths: Path, key: Path, **kw) -> IngestResult:
    return ingest(store, IngestOptions(source=source, paths=tuple(paths), key_file=key, **kw))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every table's rows (sorted), except the run log: to prove a failure changed nothing."""
    out = {}
    for name in store.tables():
        if name == "run_log":
            continue
        frame = store.to_pandas(store.table(name)).astype(str)
        out[name] = sorted(map(tuple, frame.itertuples(index=False)))
    return out


def table(store: Store, name: str) -> pd.DataFrame:
    return store.to_pandas(store.table(name))
