"""Mapping files: how a local extract differs from the national layout, without code changes.

A mapping file is YAML, validated on load::

    source: hes_apc                 # optional: refuse the file for any other format
    delimiter: "|"                  # otherwise detected among , | and tab
    encoding: latin-1               # utf-8 (default), latin-1 or utf-16
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

ENCODINGS = ("utf-8", "latin-1", "utf-16")


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
        norm = v.lower().replace("_", "-")
        norm = {"utf8": "utf-8", "latin1": "latin-1", "iso-8859-1": "latin-1"}.get(norm, norm)
        if norm not in ENCODINGS:
            raise ValueError(f"encoding {v!r} is not supported; use one of {', '.join(ENCODINGS)}")
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
