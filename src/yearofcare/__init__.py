"""yearofcare: the Long Term Conditions Year of Care commissioning toolkit."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("yearofcare")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
