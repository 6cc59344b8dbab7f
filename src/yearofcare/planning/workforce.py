"""Workforce: which staff group delivers each setting's activity, and how much one whole-time
equivalent (WTE) delivers in a year (productivity). WTE = units × share / units per WTE.

The packaged file (`examples/workforce.yaml`, version yoc-workforce-2026.1) holds planning
assumptions with their arithmetic stated beside each figure; replace them with local job plans
(`yoc simulate --workforce FILE`; `yoc init` writes a copy to edit).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from yearofcare.config import ConfigModel, Loaded, load_yaml
from yearofcare.planning import settings as st

DEFAULT = "workforce.yaml"


class StaffGroup(ConfigModel):
    staff_group: str
    label: str | None = None
    setting: str
    unit: Literal["activity", "bed_days"] = "activity"
    share: float = Field(1.0, gt=0, le=1)
    per_wte: float = Field(gt=0)
    basis: str | None = None

    @field_validator("setting")
    @classmethod
    def _setting(cls, v: str) -> str:
        if v not in st.SETTINGS:
            raise ValueError(f"no setting {v!r} (settings: {', '.join(st.IDS)})")
        return v


class Workforce(ConfigModel):
    config_name: ClassVar[str] = "workforce file"
    config_hint: ClassVar[str | None] = (
        "see the workforce.yaml `yoc init` writes: staff_groups with setting, unit, share, per_wte"
    )

    version: str
    staff_groups: tuple[StaffGroup, ...] = ()


def load_workforce(path: Path | str | None = None) -> Loaded:
    """The workforce file given, else the packaged assumptions."""
    if path is not None:
        return load_yaml(Workforce, path)
    node = resources.files("yearofcare.planning") / "examples" / DEFAULT
    with resources.as_file(node) as p:
        return load_yaml(Workforce, p)
