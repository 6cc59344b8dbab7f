"""Check a file before reading it: bytes, encoding, header, delimiter, columns, last line.

Everything that makes a whole file unreadable is found here, in one streaming pass (which also
hashes the file), and reported as one InputError naming the file, row and column. Nothing is
read into the store until a file passes.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from yearofcare.errors import InputError
from yearofcare.sources import field_names, text
from yearofcare.sources.base import Adapter
from yearofcare.sources.mapping import Mapping

CHUNK = 16 << 20
DELIMITERS = (",", "|", "\t")
OTHER_DELIMITERS = (";", ":", " ", "^", "~")
_NAMES = {",": "comma", "|": "pipe", "\t": "tab", ";": "semicolon", ":": "colon", " ": "space"}
_MAGIC = {
    b"PAR1": "a Parquet file",
    b"\x1f\x8b": "gzip-compressed",
    b"PK\x03\x04": "a zip archive (or an Excel .xlsx workbook)",
    b"\xd0\xcf\x11\xe0": "an Excel .xls workbook",
    b"%PDF": "a PDF",
}


@dataclass(frozen=True)
class FileFacts:
    """What preflight learned about a file."""

    path: Path
    size: int
    sha256: str
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    #: contract column name → column name in the file (absent optional columns left out)
    resolved: dict[str, str]
    ends_with_newline: bool
    kind: str = "csv"
    #: line ends: lf, crlf, cr or mixed (`sources.text`)
    newline: str = "lf"
    #: contract column → (file column used, other spellings present and not used), for every
    #: column read under another published spelling or found in more than one
    spellings: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def needs_copy(self) -> bool:
        """Whether the reader must read a UTF-8, LF copy (`sources.text.normalise`)."""
        return self.kind == "csv" and text.needs_copy(self.encoding, self.newline)

    @property
    def notes(self) -> tuple[str, ...]:
        """A warning for the analyst when two spellings of one field were both present: which
        was read (all of them in ingest_load.column_spellings)."""
        both = [(c, u, o) for c, (u, o) in self.spellings.items() if o]
        if not both:
            return ()
        shown = "; ".join(f"{c} from {u} (not {', '.join(o)})" for c, u, o in both[:6])
        more = f"; and {len(both) - 6} more" if len(both) > 6 else ""
        return (
            f"{self.path.name}: {len(both)} field(s) present under two published spellings, "
            f"read as: {shown}{more} (ingest_load.column_spellings)",
        )


def _fail(path: Path, row: int | None, column: str | None, what: str, hint: str) -> InputError:
    where = f"file {path.name}"
    if row is not None:
        where += f", row {row}"
    if column:
        where += f", column {column}"
    return InputError(f"{where}: {what}", hint=hint)


def describe(delim: str) -> str:
    return f"{_NAMES.get(delim, 'custom')} ({delim!r})"


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def inspect_file(path: Path, adapter: Adapter, mapping: Mapping) -> FileFacts:
    """Preflight one file against the adapter's contract (see module docstring)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(
            f"{path} is a folder, not a file",
            hint=f"give the files in it (e.g. {path}/*.csv), or load the folder by its plan "
            "with --plan",
        )
    if not path.is_file():
        raise InputError(f"file {path} not found", hint="check the path; globs must match files")
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if not head:
        raise _fail(
            path,
            None,
            None,
            "the file is empty (0 bytes); expected a header row and data rows",
            hint="re-export the extract; an empty file usually means the export failed",
        )
    if head.startswith(b"PAR1") and adapter.name == "canonical":
        return _inspect_parquet(path, adapter, mapping)
    bom, _ = text.from_bom(head)
    encoding = bom or mapping.encoding
    _check_not_binary(path, head, encoding)
    scan = _stream_check(path, encoding, mapping)
    header_line = _first_line(head, encoding)
    if not header_line.strip():
        raise _fail(
            path,
            1,
            None,
            "the first line is blank; expected a header row naming the columns",
            hint="remove blank lines before the header",
        )
    delimiter = _choose_delimiter(path, header_line, adapter, mapping)
    header = _parse_header(path, header_line, delimiter)
    resolved, spellings = _resolve(path, header, adapter, mapping, delimiter)
    if not scan.ends_with_newline:
        _check_last_line(path, header, delimiter, encoding, scan.newlines.lines)
    return FileFacts(
        path,
        scan.size,
        scan.sha256,
        encoding,
        delimiter,
        header,
        resolved,
        scan.ends_with_newline,
        spellings=spellings,
        newline=scan.newlines.style,
    )


def _inspect_parquet(path: Path, adapter: Adapter, mapping: Mapping) -> FileFacts:
    import pyarrow.parquet as pq

    try:
        names = tuple(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise _fail(
            path, None, None, f"cannot read the Parquet file ({exc})", hint="re-export it"
        ) from None
    sha, size = hash_file(path)
    resolved, spellings = _resolve(path, names, adapter, mapping, "")
    return FileFacts(
        path, size, sha, "utf-8", "", names, resolved, True, "parquet", spellings=spellings
    )


def _check_not_binary(path: Path, head: bytes, encoding: str) -> None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise _fail(
                path,
                None,
                None,
                f"the file is {what}, not delimited text",
                hint="export the extract as CSV (the canonical source also reads Parquet)",
            )
    if encoding.startswith("utf-16"):
        return
    nul = head.find(b"\x00")
    if nul >= 0:
        row = len(text.NEWLINE.findall(head[:nul].decode("latin-1"))) + 1
        raise _fail(
            path,
            row,
            None,
            f"the file looks binary (a NUL byte at byte {nul}), not delimited text",
            hint="export the extract as CSV text; if it is UTF-16, set `encoding: utf-16` "
            "in a mapping file",
        )


def _first_line(head: bytes, encoding: str) -> str:
    if encoding.startswith("utf-16"):
        head = head[: len(head) // 2 * 2]
    line = text.NEWLINE.split(text.decode(head, encoding), maxsplit=1)[0]
    return line.lstrip("\ufeff")


@dataclass
class _Scan:
    sha256: str
    size: int
    ends_with_newline: bool
    newlines: text.Newlines


def _stream_check(path: Path, encoding: str, mapping: Mapping) -> _Scan:
    """Hash the file, count its line ends, find any NUL and prove every byte decodes in
    `encoding` (naming the row and column of the first that does not)."""
    digest = hashlib.sha256()
    size = 0
    carry = b""
    last = ""
    lines = text.Newlines()
    dec = None if encoding == "utf-8" else text.decoder(encoding)
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if dec is not None:
                try:
                    decoded = dec.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise _fail(
                        path,
                        lines.lines + 1,
                        None,
                        f"bytes are not valid {encoding} (near byte {size - len(chunk) + exc.start})",
                        hint="re-export the extract, or set the right `encoding:` in a mapping "
                        "file (utf-8, windows-1252 / latin-1, utf-16)",
                    ) from None
                _check_nul(path, decoded, "\x00", lines)
                lines.add(decoded)
                last = decoded[-1:] or last
                continue
            data = carry + chunk
            try:
                data.decode("utf-8")
                carry = b""
            except UnicodeDecodeError as exc:
                if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
                    data, carry = data[: exc.start], data[exc.start :]
                    try:
                        data.decode("utf-8")
                    except UnicodeDecodeError as inner:
                        _encoding_error(path, data, inner.start, lines.lines, mapping)
                else:
                    _encoding_error(path, data, exc.start, lines.lines, mapping)
            _check_nul(path, data, b"\x00", lines)
            lines.add(data)
            last = data[-1:].decode("latin-1") or last
    if carry:
        _encoding_error(path, carry, 0, lines.lines, mapping)
    return _Scan(digest.hexdigest(), size, last in ("\n", "\r"), lines)


def _check_nul(path: Path, data, nul, lines: text.Newlines) -> None:
    at = data.find(nul)
    if at < 0:
        return
    before = data[:at]
    if isinstance(before, bytes):
        before = before.decode("latin-1")
    row = lines.lines + len(text.NEWLINE.findall(before)) + 1
    raise _fail(
        path,
        row,
        None,
        "a NUL byte (\\x00) in the text; delimited text never holds one",
        hint="the export or transfer damaged the file: re-export it, or remove the NUL bytes "
        "(e.g. `tr -d '\\000'`) if the rest of the file is sound",
    )


def _encoding_error(path: Path, data: bytes, offset: int, lines_before: int, mapping: Mapping):
    row = lines_before + len(text.NEWLINE.findall(data[:offset].decode("latin-1"))) + 1
    line_start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    prefix = data[line_start:offset]
    delimiter = (mapping.delimiter or ",").encode()
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    header = _first_line(head, "utf-8").strip()
    names = header.split(mapping.delimiter or _sniff(header))
    field = prefix.count(delimiter)
    column = names[field] if field < len(names) else f"field {field + 1}"
    bad = data[offset : offset + 4]
    raise _fail(
        path,
        row,
        column,
        f"bytes {bad!r} are not valid UTF-8 (found at byte {offset} of the line's chunk)",
        hint="re-export as UTF-8, or set `encoding: windows-1252` (or latin-1, read the same "
        "way) in a mapping file if the extract is Windows-1252/Latin-1",
    )


def _sniff(header: str) -> str:
    return max(DELIMITERS, key=header.count)


def _match_count(header_line: str, delimiter: str, wanted: set[str]) -> int:
    names = {n.strip().strip('"').strip().upper() for n in header_line.split(delimiter)}
    return len(names & wanted)


def _accepted(adapter: Adapter, mapping: Mapping) -> dict[str, tuple[str, ...]]:
    """Each contract column's accepted names in order: the mapping file's name alone, else the
    column's own name and its other published spellings."""
    alternatives = field_names.load().alternatives(adapter)
    return {
        c.name: (mapping.columns[c.name],)
        if c.name in mapping.columns
        else (c.name, *alternatives.get(c.name, ()))
        for c in adapter.columns
    }


def _choose_delimiter(path: Path, header_line: str, adapter: Adapter, mapping: Mapping) -> str:
    wanted = {n.upper() for names in _accepted(adapter, mapping).values() for n in names}
    if mapping.delimiter is not None:
        if _match_count(header_line, mapping.delimiter, wanted) or len(adapter.names) == 0:
            return mapping.delimiter
        candidates = (*DELIMITERS, *OTHER_DELIMITERS)
    else:
        scores = {d: _match_count(header_line, d, wanted) for d in DELIMITERS}
        best = max(scores, key=lambda d: scores[d])
        if scores[best] > 0:
            return best
        candidates = OTHER_DELIMITERS
    for other in candidates:
        if other != mapping.delimiter and _match_count(header_line, other, wanted) > 0:
            expected = describe(mapping.delimiter) if mapping.delimiter else "comma, pipe or tab"
            raise _fail(
                path,
                1,
                None,
                f"wrong delimiter: the header splits on {describe(other)}, expected {expected}",
                hint=f"set `delimiter: {other!r}` in a mapping file (--mapping) if that is "
                "the extract's delimiter",
            )
    return mapping.delimiter or _sniff(header_line)


def _parse_header(path: Path, header_line: str, delimiter: str) -> tuple[str, ...]:
    try:
        row = next(csv.reader(io.StringIO(header_line), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _fail(
            path, 1, None, f"the header row is malformed ({exc})", "fix the quoting"
        ) from None
    names = tuple(n.strip() for n in row)
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        key = name.upper()
        if not name:
            raise _fail(
                path,
                1,
                f"#{i}",
                "a header cell is blank; every column needs a name",
                hint="name the column, or remove the empty column",
            )
        if key in seen:
            raise _fail(
                path,
                1,
                name,
                f"duplicate header: {name!r} appears as column {seen[key]} and column {i}",
                hint="rename or drop one of them; each column must appear once",
            )
        seen[key] = i
    return names


def _resolve(
    path: Path, header: tuple[str, ...], adapter: Adapter, mapping: Mapping, delimiter: str
) -> tuple[dict[str, str], dict[str, tuple[str, tuple[str, ...]]]]:
    by_upper = {h.upper(): h for h in header}
    accepted = _accepted(adapter, mapping)
    resolved: dict[str, str] = {}
    spellings: dict[str, tuple[str, tuple[str, ...]]] = {}
    taken: set[str] = set()
    missing: list[str] = []
    for col in adapter.columns:
        present = []
        for name in accepted[col.name]:
            found = by_upper.get(name.upper())
            if found is not None and found not in taken and found not in present:
                present.append(found)
        if present:
            resolved[col.name] = present[0]
            taken.add(present[0])
            if present[0].upper() != col.name.upper() or len(present) > 1:
                spellings[col.name] = (present[0], tuple(present[1:]))
        elif not col.optional:
            missing.append(accepted[col.name][0])
    if missing:
        unused = [h for h in header if h not in resolved.values()]
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name.upper(), [u.upper() for u in unused], n=1)
            if close:
                local = next(u for u in unused if u.upper() == close[0])
                hints.append(f"{name}: {local}")
        hint = (
            "if a column was renamed, map it in a mapping file, e.g. columns: {"
            + ", ".join(hints)
            + "}"
            if hints
            else f"the {adapter.name} format needs: "
            + ", ".join(c.name for c in adapter.columns if not c.optional)
            + " (see docs/ingest.md)"
        )
        also = accepted.get(missing[0], ())[1:]
        if also:
            hint += f"; {missing[0]} is also accepted as " + ", ".join(also[:8])
        raise _fail(
            path,
            1,
            missing[0],
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            + (
                f"(the header has {len(header)} {describe(delimiter)}-separated columns)"
                if delimiter
                else f"(the file has {len(header)} columns)"
            ),
            hint=hint,
        )
    ids = [c for c in adapter.identifiers if c.kind in ("nhs_number", "token", "pseudonym")]
    if ids and not any(c.name in resolved for c in ids):
        raise _fail(
            path,
            1,
            None,
            "no person identifier column: expected one of " + ", ".join(c.name for c in ids),
            hint="map the file's NHS number column in a mapping file (columns: {"
            f"{ids[0].name}: YOUR_COLUMN}})",
        )
    return resolved, spellings


def _check_last_line(
    path: Path, header: tuple[str, ...], delimiter: str, encoding: str, total_lines: int
) -> None:
    n_fields = len(header)
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - (1 << 20)))
        tail = fh.read()
    if encoding.startswith("utf-16"):
        tail = tail[len(tail) % 2 :]
    last = text.NEWLINE.split(text.decode(tail, encoding))[-1]
    if total_lines == 0:
        raise _fail(
            path,
            1,
            None,
            "the file has a header but no data rows and no line end",
            hint="re-export the extract; it looks cut short",
        )
    try:
        fields = next(csv.reader(io.StringIO(last), delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        fields = []
    quotes_open = last.count('"') % 2 == 1
    if len(fields) < n_fields or quotes_open:
        column = header[min(max(len(fields), 1), n_fields) - 1]
        raise _fail(
            path,
            total_lines + 1,
            column,
            f"the last line is truncated ({len(fields)} of {n_fields} fields, no line end); "
            "the file looks cut short",
            hint="re-export or re-transfer the extract; nothing was loaded from it",
        )
