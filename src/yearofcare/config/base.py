"""The one base model for every configuration file and options object.

Frozen (a stage's configuration cannot change under it) and strict about unknown keys (a typo
in a file is an error, not a silently ignored setting). Every stage's settings subclass
`ConfigModel` and are loaded through `yearofcare.config.loader`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class ConfigModel(BaseModel):
    """Base of every configuration model: frozen, unknown keys refused.

    `config_name` names the configuration in messages ("contract terms", "scenario");
    `config_hint` tells the user where the settings are documented.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    config_name: ClassVar[str] = "configuration"
    config_hint: ClassVar[str | None] = None
