"""Mapping files: how a local extract differs from the national layout, without code changes.

A mapping file is YAML, validated on load::

    source: hes_apc                 # optional: refuse the file for any other format
    delimiter: "|"                  # otherwise detected among , | and tab
    encoding: windows-1252          # utf-8 (default), windows-1252 (= latin-1), utf-16
    columns:                        # contract column: column name in this file
      ADMIDATE: ADMISSION_DATE
      NEWNHSNO: NHS_NUMBER
    date_formats:                   # contract column: formats tried in order (strptime)
      ADMIDATE: ["%d/%m/%Y"]
    code_maps:                      # contract column: {code in file: code the adapter expects}
      ADMIMETH: {"99": "21"}
    null_values: ["NULL", "N/A"]    # extra values read as blank
    defaults:                       # adapter defaults, e.g. funding route or provider
      funding_route: block
    table: activity                 # canonical source only: which table the file holds
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator

from yearofcare.config import ConfigModel, load_yaml
from yearofcare.errors import ConfigError
from yearofcare.sources.base import Adapter
from yearofcare.sources.text import ENCODINGS, canonical_encoding


class Mapping(ConfigModel):
    """A validated mapping file (see the module docstring)."""

    config_name: ClassVar[str] = "mapping"
    config_hint: ClassVar[str | None] = (
        "see the mapping file format in docs/ingest.md (`yoc init` writes a commented example)"
    )

    source: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    columns: dict[str, str] = Field(default_factory=dict)
    date_formats: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    code_maps: dict[str, dict[str, str]] = Field(default_factory=dict)
    null_values: tuple[str, ...] = ()
    defaults: dict[str, str] = Field(default_factory=dict)
    table: str | None = None

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v) != 1:
            raise ValueError(f"delimiter must be one character, got {v!r}")
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        norm = canonical_encoding(v)
        if norm not in ENCODINGS:
            raise ValueError(
                f"encoding {v!r} is not supported; use one of {', '.join(ENCODINGS)} "
                "(latin-1 and iso-8859-1 read as windows-1252)"
            )
        return norm


NO_MAPPING = Mapping()


def load_mapping(path: Path | None) -> tuple[Mapping, str | None]:
    """Read and validate a mapping file; returns the mapping and the file's SHA-256."""
    if path is None:
        return NO_MAPPING, None
    loaded = load_yaml(Mapping, path)
    return loaded.model, loaded.sha256


def check_against(mapping: Mapping, adapter: Adapter, path: Path | None) -> None:
    """Refuse settings that name columns the format does not have (typos fail loudly)."""
    where = f"mapping file {path}" if path else "mapping"
    if mapping.source is not None and mapping.source != adapter.name:
        raise ConfigError(
            f"{where} is for source {mapping.source!r}, not {adapter.name!r}",
            hint=f"use --source {mapping.source}, or another mapping file",
        )
    known = set(adapter.names)
    for section in ("columns", "date_formats", "code_maps"):
        for name in getattr(mapping, section):
            if name not in known:
                raise ConfigError(
                    f"{where}, {section}: {name!r} is not a column of the {adapter.name} format",
                    hint="keys are the format's column names: " + ", ".join(adapter.names[:40]),
                )
    for name in mapping.date_formats:
        if adapter.column(name).kind not in ("date", "dob"):
            raise ConfigError(f"{where}, date_formats: {name} is not a date column")
        _check_formats(where, name, mapping.date_formats[name])
    _check_columns(where, mapping, adapter)


def _check_columns(where: str, mapping: Mapping, adapter: Adapter) -> None:
    """Each file column feeds one format column, and an identifier's column never feeds a
    column that is stored as it is (that would store raw NHS numbers, dates of birth or
    postcodes beside the pseudonyms)."""
    from yearofcare.sources import field_names

    alternatives = field_names.load().alternatives(adapter)
    spelled = {  # every name a column is read under when the mapping does not rename it
        n.upper(): c.name
        for c in adapter.columns
        if c.name not in mapping.columns
        for n in (c.name, *alternatives.get(c.name, ()))
    }
    used: dict[str, str] = {}
    for col, file_col in mapping.columns.items():
        key = file_col.strip().upper()
        other = used.get(key) or spelled.get(key)
        if other is not None and other != col:
            raise ConfigError(
                f"{where}, columns: {col} and {other} would both read the file column {file_col!r}",
                hint=f"each file column feeds one column of the {adapter.name} format: map "
                f"{col} to its own column (or map {other} elsewhere)",
            )
        used[key] = col
        c = adapter.column(col)
        owner = next(
            (
                i.name
                for i in adapter.identifiers
                if i.name != col
                and key
                in {
                    n.upper()
                    for n in (
                        i.name,
                        mapping.columns.get(i.name, i.name),
                        *alternatives.get(i.name, ()),
                    )
                }
            ),
            None,
        )
        if owner is not None and not c.is_identifier:
            raise ConfigError(
                f"{where}, columns: {col} is mapped to {file_col!r}, the {owner} identifier "
                f"column: its raw values would be stored in {col}",
                hint=f"map {col} to the file's own {col} column; identifiers are only read "
                "by the pseudonymising step",
            )


def _check_formats(where: str, name: str, formats: tuple[str, ...]) -> None:
    """Each date format must be one DuckDB's strptime understands (tried on the format's own
    rendering of a date, so a typo fails here rather than part-way through a file)."""
    import duckdb

    if not formats:
        raise ConfigError(f"{where}, date_formats: {name} has no formats", hint='e.g. ["%d/%m/%Y"]')
    con = duckdb.connect()
    try:
        for fmt in formats:
            bad = "%" not in fmt
            if not bad:
                try:
                    con.execute("SELECT strftime(DATE '2024-05-17', ?)", [fmt]).fetchall()
                    con.execute("SELECT try_strptime('2024', ?)", [fmt]).fetchall()
                except duckdb.Error:
                    bad = True
            if bad:
                raise ConfigError(
                    f"{where}, date_formats: {name}: {fmt!r} is not a date format",
                    hint="use strptime codes, e.g. %d/%m/%Y for 17/05/2024, %Y%m%d for "
                    "20240517 (https://duckdb.org/docs/sql/functions/dateformat)",
                )
    finally:
        con.close()
