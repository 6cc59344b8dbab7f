"""Source adapters: one module per extract format, each mapping raw files onto canonical tables."""

from __future__ import annotations

import importlib

from yearofcare.errors import ConfigError
from yearofcare.sources.base import Adapter

#: Extract formats `yoc ingest --source` accepts, in the order a pipeline usually loads them.
FORMATS: tuple[str, ...] = (
    "gp_registrations",
    "gp_events",
    "hes_apc",
    "hes_op",
    "hes_ae",
    "ecds",
    "csds",
    "mhsds",
    "asc_cld",
    "prescribing",
    "ambulance",
    "dst",
    "billed_lines",
    "delayed_discharge",
    "canonical",
)


def get(name: str, table: str | None = None) -> Adapter:
    """The adapter for format `name` (for `canonical`, the adapter of canonical `table`)."""
    if name not in FORMATS:
        raise ConfigError(
            f"unknown source format {name!r}",
            hint="use one of: " + ", ".join(FORMATS),
        )
    module = importlib.import_module(f"yearofcare.sources.{name}")
    if name == "canonical" and table is not None:
        return module.adapter_for(table)
    return module.ADAPTER
