"""Default paths, in one place: the data directory, the linkage key, reports and config files.

The linkage key must live outside the data directory (a store copied elsewhere must not carry
the key that re-identifies it), so its default sits beside the data directory, not inside it.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATA_DIR = Path("yoc-data")
REPORTS_DIR = "reports"
CONFIG_DIR = "config"
KEY_FILE_NAME = "yoc-linkage.key"
SERVICE_MAP_FILE = "service_map.yaml"
FINANCE_FILE = "finance.yaml"
FINANCE_WORKBOOK = "tariffs_and_budget.xlsx"


def reports_dir(data_dir: Path) -> Path:
    """Where reports (HTML, workbooks, statements, datapacks) are written for a store."""
    return Path(data_dir) / REPORTS_DIR


def config_dir(data_dir: Path) -> Path:
    """Where `yoc init` writes the example configuration files a user edits."""
    return Path(data_dir) / CONFIG_DIR


def config_file(data_dir: Path, name: str) -> Path | None:
    """`<data-dir>/config/<name>` when `yoc init` wrote it (and the user kept it), else None."""
    path = config_dir(data_dir) / name
    return path if path.is_file() else None


def default_key_file(data_dir: Path) -> Path:
    """The default linkage key for a store: beside the data directory, never inside it."""
    data_dir = Path(data_dir).resolve()
    return data_dir.parent / f"{data_dir.name}-secure" / KEY_FILE_NAME


def legacy_key_file(data_dir: Path) -> Path:
    """Where keys were made before the default moved: `yoc-linkage.key` beside the data
    directory, shared by every store in the same folder."""
    return Path(data_dir).resolve().parent / KEY_FILE_NAME


def key_file(data_dir: Path, given: Path | None = None) -> Path:
    """The linkage key a command uses: the one given (--key-file), else the default for the
    store; a store set up before the default moved keeps its key beside the data directory
    (a new key would break linkage with everything loaded before)."""
    if given is not None:
        return Path(given)
    default = default_key_file(data_dir)
    legacy = legacy_key_file(data_dir)
    return legacy if not default.exists() and legacy.is_file() else default


def is_inside(path: Path, directory: Path) -> bool:
    """True when `path` is `directory` or lies under it (after resolving links)."""
    try:
        Path(path).resolve().relative_to(Path(directory).resolve())
    except ValueError:
        return False
    return True
