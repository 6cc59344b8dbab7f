"""A bad-input corpus for ingest, generated from the adapters' contracts (nothing committed).

For every format `yoc ingest` accepts, `base_rows` writes a small valid extract from the
format's own column declarations, and `variants` derives the damaged versions a real user
sends: other line endings and encodings, hostile text (formulas, terminal markup, ANSI
escapes, NUL bytes), overflowing numbers, dates far outside any extract's period, malformed
rows, blank lines, quoted headers, duplicates, truncation. Each variant says how many data
records its file holds (`records`), counted independently of the reader under test, so the
corpus test can check that every physical line is accounted for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from yearofcare import sources
from yearofcare.linkage import nhs_number
from yearofcare.sources.base import Adapter, RawColumn

#: Formats in the corpus (`canonical` as its activity table).
FORMATS = sources.FORMATS  # canonical is read as its activity table
ROWS = 6
INJECT = '=HYPERLINK("http://example.invalid/x","click")'
MARKUP = "bad [/b] [bold red]x[/] \x1b[31mred\x1b[0m"

#: Values a valid row needs where the first code-map entry would be excluded by a rule.
_CODE_CHOICE = {
    ("asc_cld", "Event_Type"): "SERVICE",
    ("hes_op", "ATTENDED"): "5",
    ("csds", "AttendOrDNACode"): "5",
    ("mhsds", "AttendOrDNACode"): "5",
    ("csds", "RecordType"): "CONTACT",
    ("mhsds", "RecordType"): "CONTACT",
}
_CODE_VALUE = {
    "icd10": "I10",
    "opcs4": "A011",
    "snomed": "44054006",
    "read2": "G30..00",
    "bnf": "0601023A0AAAAAA",
}


def adapter(fmt: str) -> Adapter:
    return sources.get(fmt, "activity" if fmt == "canonical" else None)


def file_name(fmt: str, stem: str) -> str:
    return f"activity_{stem}.csv" if fmt == "canonical" else f"{fmt}_{stem}.csv"


def _included(c: RawColumn) -> bool:
    if c.kind == "pseudonym":
        return False
    tail = c.name.rsplit("_", 1)[-1]
    return not (c.optional and tail.isdigit() and int(tail) > 1)


def _fmt_date(d: date, formats: tuple[str, ...]) -> str:
    return d.strftime(formats[0])


def _value(fmt: str, c: RawColumn, a: Adapter, i: int, nhs: list[str], prefix: str) -> str:
    day = date(2024, 5, 1) + timedelta(days=i)
    if c.kind == "nhs_number":
        return nhs[i]
    if c.kind == "dob":
        return _fmt_date(date(1950, 6, 15), c.formats)
    if c.kind == "postcode":
        return "ZZ99 3AA"
    if c.kind in ("token", "local_id"):
        return f"P{i}"
    if c.kind == "date":
        return _fmt_date(day, c.formats)
    if c.kind == "int":
        if c.name == "BIRTH_YEAR":
            return "1950"
        return str(int(c.minimum) if c.minimum is not None and c.minimum > 0 else 1)
    if c.kind == "float":
        return "12.5"
    if c.kind in _CODE_VALUE:
        return _CODE_VALUE[c.kind]
    if c.kind == "code":
        choice = _CODE_CHOICE.get((fmt, c.name))
        cmap = a.code_maps.get(c.name)
        if choice is None and cmap:
            choice = next(iter(cmap))
        if choice is None and fmt == "canonical":
            choice = {"setting": "acute"}.get(c.name, "")
        return choice or ""
    if c.name in a.record_key or c.name.lower().endswith(("_id", "key", "ref")):
        return f"{prefix}{i}"
    if fmt == "canonical" and c.name == "source":
        return "corpus"
    return f"x{i}"


def base_rows(fmt: str, seed: int = 11, prefix: str = "r") -> tuple[list[str], list[list[str]]]:
    """The header and `ROWS` valid rows of a small extract of format `fmt`."""
    a = adapter(fmt)
    cols = [c for c in a.columns if _included(c)]
    nhs = list(nhs_number.generate(np.random.default_rng(seed), ROWS))
    rows = [[_value(fmt, c, a, i, nhs, prefix) for c in cols] for i in range(ROWS)]
    return [c.name for c in cols], rows


def text_columns(fmt: str, header: list[str]) -> list[int]:
    a = adapter(fmt)
    kinds = {c.name: c for c in a.columns}
    return [
        i
        for i, h in enumerate(header)
        if kinds[h].kind == "string" and h not in a.record_key and not kinds[h].required
    ]


def _csv_line(cells: list[str], delim: str = ",") -> str:
    out = []
    for v in cells:
        if any(ch in v for ch in (delim, '"', "\n", "\r")):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return delim.join(out)


def _join(lines: list[str], ends: list[str] | str = "\n") -> str:
    if isinstance(ends, str):
        ends = [ends] * len(lines)
    return "".join(line + end for line, end in zip(lines, ends, strict=True))


@dataclass(frozen=True)
class Variant:
    """One corpus file: its name, bytes, mapping file text (or None) and data records in it.

    `records` None: the file must be refused whole with a clear message (nothing stored).
    """

    name: str
    data: bytes
    records: int | None
    mapping: str | None = None
    kind: str = ""


def variants(fmt: str) -> Iterator[Variant]:
    """The damaged versions of `fmt`'s base extract (see the module docstring): six that load
    (each combining several faults, since every loaded file costs a full parse) and ten that
    must be refused whole. Each file has its own record keys, so no file repeats another's."""
    a = adapter(fmt)
    kinds = {c.name: c for c in a.columns}
    header, _ = base_rows(fmt)
    texts = text_columns(fmt, header)
    n = ROWS

    def rows_of(stem: str, change=None) -> list[list[str]]:
        _, rows = base_rows(fmt, prefix=stem)
        for i, r in enumerate(rows):
            if change is not None:
                change(i, r)
        return rows

    def lines(stem: str, change=None) -> list[str]:
        return [_csv_line(header)] + [_csv_line(r) for r in rows_of(stem, change)]

    def v(stem: str, data: bytes, records: int | None, mapping: str | None = None) -> Variant:
        return Variant(file_name(fmt, stem), data, records, mapping, stem)

    # ---- files that load: every record read, loaded or quarantined --------------------------
    yield v(
        "bom_crlf_header_lf_rows",
        b"\xef\xbb\xbf" + _join(lines("chl"), ["\r\n"] + ["\n"] * n).encode(),
        n,
    )
    mixed = lines("mix")
    mixed[0] = ",".join(f'" {h} "' for h in header)  # quoted header cells with spaces
    ends = ["\r\n"] * (n + 1)
    ends[2] = "\n"
    mixed.insert(3, "")  # a blank line (not a record)
    ends.insert(3, "\r\n")
    yield v("mixed_endings_quoted_header_blank_line", _join(mixed, ends).encode(), n)
    yield v("cr_only_no_final_newline", _join(lines("cr"), "\r").encode()[:-1], n)
    yield v("utf16le_bom_crlf", _join(lines("u16le"), "\r\n").encode("utf-16"), n)
    ragged = lines("u16be")
    ragged[2] = ragged[2] + ",extra,cells"
    ragged[4] = ragged[4].rsplit(",", 2)[0]
    ragged += ragged[5:]  # the last two records again: duplicates
    yield v("utf16be_bom_ragged_duplicates", b"\xfe\xff" + _join(ragged).encode("utf-16-be"), n + 2)

    def hostile(i: int, r: list[str]) -> None:
        for j in texts:
            r[j] = [INJECT, MARKUP, f"Café “{i}” – €"][i % 3]
        for j, h in enumerate(header):
            c = kinds[h]
            if c.kind == "int" and i == 1:
                r[j] = "1e20"
            elif c.kind == "float":
                r[j] = ["1e15", "1e308", "1e400", "-0", "NaN", "12.5"][i % 6]
            elif c.kind == "date" and c.formats[0] != "%m%Y" and i == 4:
                r[j] = _fmt_date(date(2099, 1, 1), c.formats)

    cp = _join(lines("cp", hostile), "\r\n").encode("cp1252")
    yield v("cp1252_declared_latin1_hostile_values", cp, n, "encoding: latin-1\n")

    # ---- files refused whole, with a message naming the file --------------------------------
    good = _join(lines("bad"))
    cut = good[:-1]
    yield v("truncated", cut[: cut.rfind(",", 0, cut.rfind(","))].encode(), None)
    big = lines("nul")
    while sum(map(len, big)) < 70_000:
        big += lines(f"nul{len(big)}x")[1:]
    big.append(big[-1][:-1] + "\x00" + big[-1][-1:])
    yield v("nul_after_64k", _join(big).encode(), None)
    yield v("empty", b"", None)
    yield v("zip_archive", b"PK\x03\x04" + good.encode(), None)
    yield v("semicolon_delimited", good.replace(",", ";").encode(), None)
    required = next(h for h in header if not kinds[h].optional)
    yield v("missing_column", good.replace(required, "SOMETHING_ELSE", 1).encode(), None)
    dup_header = good.replace(header[-1], header[0], 1) if len(header) > 1 else good
    yield v("duplicate_header", dup_header.encode(), None)
    yield v("invalid_utf8", good.encode()[:-3] + b"\xff\xfe\n", None)
    yield v("utf16_without_bom_undeclared", good.encode("utf-16-le"), None)
    yield v("blank_first_line", ("\n" + good).encode(), None)
