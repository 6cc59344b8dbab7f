"""Keyed one-way pseudonyms: HMAC-SHA-256 of the NHS number with a key kept outside the store.

The same key gives the same pseudonym in every source, so records link; without the key the
pseudonym cannot be reversed or recomputed from a guessed NHS number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from yearofcare.errors import ConfigError

KEY_BYTES = 32
PSEUDONYM_HEX = 32  # 128 bits: collisions negligible for any national population


def create_key(path: Path) -> Path:
    """Write a new random key to `path` (readable by the owner only). Refuses to overwrite."""
    path = Path(path)
    if path.exists():
        raise ConfigError(
            f"linkage key {path} already exists",
            hint="reuse it; a new key breaks linkage with earlier loads",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    return path


def load_key(path: Path, *, store_dir: Path | None = None) -> bytes:
    """Read a linkage key (hex text). It must not live inside the store directory."""
    path = Path(path)
    if store_dir is not None and Path(store_dir).resolve() in path.resolve().parents:
        raise ConfigError(
            f"linkage key {path} is inside the data store {store_dir}",
            hint="keep the key outside the store (e.g. ./yoc-linkage.key) so the store alone cannot re-identify anyone",
        )
    if not path.exists():
        raise ConfigError(
            f"linkage key file {path} not found",
            hint="create one with `yoc keygen --key-file PATH`, or pass --key-file",
        )
    text = path.read_text(encoding="utf-8").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(
            f"linkage key file {path} is not hex text", hint="it should hold 64 hex characters"
        ) from None
    if len(key) < 16:
        raise ConfigError(
            f"linkage key in {path} is too short ({len(key)} bytes)",
            hint="use at least 16 bytes (32 recommended)",
        )
    return key


#: The fixed text whose keyed hash identifies a key (never the key, nor anything derived from
#: an identifier): stored at the first ingest, compared at every later one.
FINGERPRINT_TEXT = b"yearofcare:linkage-key-fingerprint:v1"


def fingerprint(key: bytes) -> str:
    """The key's fingerprint: HMAC-SHA-256 of a fixed text with the key, first 16 hex."""
    return hmac.new(key, FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:16]


def check_key(store, key: bytes, key_file: Path) -> str | None:
    """Refuse a key other than the one the store's pseudonyms were made with.

    Returns the fingerprint to record when the store has none yet (its first ingest), else
    None. Pseudonyms made with two keys never link: one person would become two, and an
    opt-out would miss the rows made with the other key.
    """
    mine = fingerprint(key)
    if not store.exists("linkage_key"):
        return mine
    t = store.table("linkage_key")
    stored = set(store.to_pandas(t.select("fingerprint").distinct()).fingerprint)
    if stored and mine not in stored:
        raise ConfigError(
            f"the linkage key {key_file} is not the key this store's pseudonyms were made "
            f"with (key fingerprint {mine}; the store's is {', '.join(sorted(stored))})",
            hint="pass the store's own key with --key-file (by default it sits beside the data "
            "directory, in <data-dir>-secure/); a different key cannot link to what is stored. "
            "To start again with a new key, use a new data directory",
        )
    return None if stored else mine


class Hasher:
    """Keyed hashes of many values with one key: HMAC-SHA-256, hex, first `PSEUDONYM_HEX`.

    The key's inner and outer pads are hashed once and copied for every value (the HMAC
    construction, RFC 2104: H(K⊕opad ‖ H(K⊕ipad ‖ m))), so a million values take about a
    second; results equal Python's `hmac` module (a test checks). The key stays in this
    object: it never enters a database engine or an SQL text.
    """

    BLOCK = 64

    def __init__(self, key: bytes) -> None:
        if len(key) > self.BLOCK:
            key = hashlib.sha256(key).digest()
        k = key.ljust(self.BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def one(self, message: str) -> str:
        inner = self._inner.copy()
        inner.update(message.encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX]

    def many(self, messages: Iterable[str | None], prefix: str = "") -> list[str | None]:
        """The keyed hash of `prefix + m` for each message (None stays None)."""
        one = self.one
        return [None if m is None else one(prefix + m) for m in messages]


def pseudonymise(nhs_numbers: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """Pseudonyms for normalised NHS numbers (nulls stay null)."""
    return pa.array(Hasher(key).many(nhs_numbers.to_pylist()), type=pa.string())
