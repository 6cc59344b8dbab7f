"""Helpers for ingest and linkage tests: a key outside the store, one-call ingest, snapshots."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import duckdb
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


def raw_identifiers(raw: Path) -> dict[str, set[str]]:
    """Every NHS number (valid or not) and postcode the raw files hold."""
    nhs, postcodes = set(), set()
    con = duckdb.connect()
    for f in raw.rglob("*.csv"):
        rel = con.sql(f"SELECT * FROM read_csv('{f}', all_varchar = true)")
        for c in rel.columns:
            values = {v for (v,) in rel.select(f'"{c}"').distinct().fetchall() if v}
            if c.lower().replace("_", "") in ("nhsnumber", "newnhsno"):
                nhs |= values
            if c.lower() in ("postcode", "homeadd"):
                postcodes |= values
    return {"nhs": nhs, "postcode": postcodes}


_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")


def scan_text(text: str, secrets) -> set[str]:
    hits = {m for m in _DIGITS.findall(text) if m in secrets["nhs"]}
    hits |= {p for p in secrets["postcode"] if p in text}
    return hits


def scan_store(store: Store, secrets) -> set[str]:
    found: set[str] = set()
    for name in store.tables():
        t = store.table(name)
        for col, typ in t.schema().items():
            if not typ.is_string():
                continue
            values = store.to_pandas(t.select(col).distinct())[col].dropna()
            found |= scan_text("\n".join(values.astype(str)), secrets)
    return found


def scan_files(root: Path, secrets) -> set[str]:
    """Every file under `root` (xlsx and other zip containers opened) scanned for identifiers."""
    found: set[str] = set()
    for f in root.rglob("*"):
        if not f.is_file():
            continue
        data = f.read_bytes()
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(f) as z:
                for member in z.namelist():
                    found |= scan_text(z.read(member).decode("latin-1"), secrets)
        else:
            found |= scan_text(data.decode("latin-1"), secrets)
    return found
