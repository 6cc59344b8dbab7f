"""Text encodings and line endings of delimited extracts: detected or declared, then normalised.

Extracts arrive as UTF-8 (with or without a byte-order mark), UTF-16 (little or big endian,
usually with a BOM, as Excel's "Unicode text" writes it), Windows-1252 or Latin-1, and with LF,
CRLF, CR-only or mixed line endings. DuckDB's CSV reader is fast on UTF-8 with one kind of line
end, so:

- a BOM decides UTF-8 / UTF-16 LE / UTF-16 BE; otherwise the mapping file's `encoding`;
- `latin-1`, `iso-8859-1` and `windows-1252` all decode as Windows-1252, as the WHATWG Encoding
  Standard (https://encoding.spec.whatwg.org/#names-and-labels) defines those labels — an
  extract "declared Latin-1" is almost always Windows-1252 (curly quotes, en dash, euro sign);
  the five bytes Windows-1252 leaves undefined decode to the C1 control of the same value, as
  the standard says, so decoding never fails;
- `scan` counts LF, CRLF and lone CR line ends and finds the first NUL in one streaming pass
  (preflight's pass, which also hashes the file);
- a file that is not UTF-8, or whose line ends are CR-only or mixed, is transcoded once into
  UTF-8 with LF line ends (`normalise`, Python's universal-newline reader) in the run's scratch
  folder, and DuckDB reads the copy. UTF-8 files with LF or CRLF throughout are read as they are.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

#: Encodings a mapping file may declare (after `canonical_encoding`).
ENCODINGS = ("utf-8", "windows-1252", "utf-16", "utf-16-le", "utf-16-be")
_ALIASES = {
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "l1": "windows-1252",
    "cp1252": "windows-1252",
    "win-1252": "windows-1252",
    "ansi": "windows-1252",
    "utf16": "utf-16",
    "ucs-2": "utf-16",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ERRORS = "yoc-whatwg-c1"
NEWLINE = re.compile(r"\r\n|\r|\n")


def _c1(exc: UnicodeError) -> tuple[str, int]:
    """Windows-1252's undefined bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) → the C1 control."""
    if isinstance(exc, UnicodeDecodeError):
        return "".join(chr(b) for b in exc.object[exc.start : exc.end]), exc.end
    raise exc


codecs.register_error(_ERRORS, _c1)


def canonical_encoding(name: str) -> str:
    """The encoding a declared name means (`latin-1` → `windows-1252`); unknown names as given."""
    norm = name.strip().lower().replace("_", "-")
    return _ALIASES.get(norm, norm)


def from_bom(head: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark at the start of `head` announces, and the BOM's length."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    return None, 0


def decoder(encoding: str):
    """An incremental decoder for `encoding` (strict, but never failing for Windows-1252)."""
    python = {"utf-16": "utf-16", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}
    name = python.get(encoding, "cp1252" if encoding == "windows-1252" else "utf-8")
    errors = _ERRORS if encoding == "windows-1252" else "strict"
    return codecs.getincrementaldecoder(name)(errors=errors)


def decode(data: bytes, encoding: str) -> str:
    """Decode a piece of a file for a message or a header (bad bytes replaced)."""
    if encoding == "windows-1252":
        return data.decode("cp1252", errors=_ERRORS)
    return data.decode(encoding, errors="replace")


@dataclass
class Newlines:
    """Line ends counted in a stream of text (or bytes), carried across chunk boundaries."""

    lf: int = 0
    crlf: int = 0
    cr: int = 0
    _cr_pending: bool = False

    def add(self, chunk: str | bytes) -> None:
        cr, lf = ("\r", "\n") if isinstance(chunk, str) else (b"\r", b"\n")
        if not chunk:
            return
        crlf = chunk.count(cr + lf)
        n_cr, n_lf = chunk.count(cr) - crlf, chunk.count(lf) - crlf
        if self._cr_pending and chunk[:1] == lf:  # a CRLF split across two chunks
            self.cr -= 1
            n_lf -= 1
            crlf += 1
        self.crlf += crlf
        self.cr += n_cr
        self.lf += n_lf
        self._cr_pending = chunk[-1:] == cr

    @property
    def lines(self) -> int:
        return self.lf + self.crlf + self.cr

    @property
    def style(self) -> str:
        kinds = [k for k in ("lf", "crlf", "cr") if getattr(self, k)]
        return kinds[0] if len(kinds) == 1 else ("mixed" if kinds else "lf")


def needs_copy(encoding: str, newline: str) -> bool:
    """Whether DuckDB must read a normalised copy (see the module docstring)."""
    return encoding != "utf-8" or newline in ("cr", "mixed")


def normalise(path: Path, encoding: str, target: Path, chunk: int = 8 << 20) -> Path:
    """Write `path` as UTF-8 with LF line ends to `target` (streaming; BOM dropped)."""
    python = {"windows-1252": "cp1252", "utf-8": "utf-8-sig"}.get(encoding, encoding)
    errors = _ERRORS if encoding == "windows-1252" else "strict"
    with (
        path.open("r", encoding=python, errors=errors, newline=None) as src,
        target.open("w", encoding="utf-8", newline="\n") as out,
    ):
        while text := src.read(chunk):
            out.write(text.lstrip("\ufeff") if out.tell() == 0 else text)
    return target
