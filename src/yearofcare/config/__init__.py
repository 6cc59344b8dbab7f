"""Configuration as validated data: one base model, one loader, default paths in one place.

from yearofcare.config import ConfigModel, load_yaml, settings

class TariffSettings(ConfigModel):
    config_name: ClassVar[str] = "tariff settings"
    trim_percentile: float = Field(95, gt=0, le=100)

loaded = load_yaml(TariffSettings, "tariffs.yaml")   # file, line and setting in errors
options = settings(TariffSettings, trim_percentile=value)  # None = default
cli = options(TariffSettings, trim_percentile=cli_value)     # errors name --trim-percentile
"""

from yearofcare.config.base import ConfigModel
from yearofcare.config.loader import (
    Loaded,
    config_error_at,
    load_settings,
    load_yaml,
    options,
    read_yaml,
    settings,
    validate,
)

__all__ = [
    "ConfigModel",
    "Loaded",
    "config_error_at",
    "load_settings",
    "load_yaml",
    "options",
    "read_yaml",
    "settings",
    "validate",
]
