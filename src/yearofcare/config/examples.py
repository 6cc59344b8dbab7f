"""Example configuration files a user edits, shipped inside the package; `yoc init` writes them.

A stage adds its files to EXAMPLES: (package, file inside it, name written, what it is).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from yearofcare.errors import ConfigError


@dataclass(frozen=True)
class Example:
    package: str
    resource: str
    name: str
    description: str

    def text(self) -> str:
        return (resources.files(self.package) / self.resource).read_text(encoding="utf-8")


EXAMPLES: tuple[Example, ...] = (
    Example(
        "yearofcare.finance",
        "examples/service_map.yaml",
        "service_map.yaml",
        "service map: which services are inside the capitated budget (yoc tariff, budget, tag)",
    ),
    Example(
        "yearofcare.finance",
        "examples/finance.yaml",
        "finance.yaml",
        "finance settings: outliers, bootstrap, budget adjustments, schedule (yoc tariff, budget)",
    ),
)


def write_examples(folder: Path, *, force: bool = False) -> list[tuple[Path, str]]:
    """Write every example into `folder`; refuses to overwrite an edited file unless `force`."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder", hint="choose another --dir")
    targets = [(folder / e.name, e) for e in EXAMPLES]
    clash = [str(p) for p, e in targets if p.exists() and p.read_text(encoding="utf-8") != e.text()]
    if clash and not force:
        raise ConfigError(
            f"{', '.join(clash)} already exist(s) and differ from the examples",
            hint="keep your edits, or pass --force to overwrite them with the examples",
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path, e in targets:
        path.write_text(e.text(), encoding="utf-8")
        written.append((path, e.description))
    return written
