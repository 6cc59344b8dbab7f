"""What `yoc ingest` is asked to do and what it reports back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from yearofcare.errors import ConfigError
from yearofcare.fy import fy_end, fy_of, fy_start
from yearofcare.sources.columns import Bounds

#: The largest plausible number in a column with no declared maximum (£100m: more than any one
#: activity or billed line costs; 1e15-1e308 are export errors, not costs).
DEFAULT_MAX_VALUE = 1e8
#: What to do with records an earlier extract already holds (`IngestOptions.duplicates`).
DUPLICATE_POLICIES = ("quarantine", "replace", "refuse")
_FY_IN_NAME = re.compile(r"(?<!\d)(20\d{2})[-_]?(\d{2})(?!\d)")


@dataclass(frozen=True)
class IngestOptions:
    """Options of one ingest: a format, its files, and where the key and opt-outs are."""

    source: str
    paths: tuple[Path, ...]
    key_file: Path
    mapping_file: Path | None = None
    optouts_file: Path | None = None
    extract_id: str | None = None
    period: tuple[date, date] | None = None
    strict: bool = False
    threads: int | None = None
    #: dates after this are implausible (default: the end of the financial year after today's)
    latest_date: date | None = None
    #: numbers above this, in a column with no declared maximum, are implausible (costs in
    #: pounds, quantities, units)
    max_value: float | None = None
    #: a record an earlier current extract already holds (same record key): quarantine it
    #: (never count it twice), replace the earlier extract, or refuse the file
    duplicates: str = "quarantine"

    def bounds(self, today: date | None = None) -> Bounds:
        """The plausibility bounds of this ingest (`sources.columns.Bounds`)."""
        latest = self.latest_date or fy_end(fy_of(today or date.today()) + 1)
        if self.max_value is not None and not self.max_value > 0:
            raise ConfigError(
                f"--max-value must be positive, got {self.max_value}",
                hint="give the largest plausible cost or quantity, e.g. 100000000",
            )
        return Bounds(latest, self.max_value or DEFAULT_MAX_VALUE)


@dataclass(frozen=True)
class FileResult:
    """What happened to one file."""

    file: str
    status: str  # loaded | replaced | unchanged
    load_id: str | None
    counts: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    first_problem: str | None = None
    output_rows: dict[str, int] = field(default_factory=dict)
    #: warnings: two published spellings of one field were both present (which was used)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestResult:
    run_id: str | None
    files: tuple[FileResult, ...]
    optouts_listed: int = 0


def parse_period(text: str | None) -> tuple[date, date] | None:
    """`2024` or `2024/25` (a financial year) or `2024-04-01:2024-06-30`."""
    if not text:
        return None
    text = text.strip()
    m = re.fullmatch(r"(\d{4})(?:[/-](\d{2}))?", text)
    if m:
        fy = int(m.group(1))
        return fy_start(fy), fy_end(fy)
    parts = text.split(":")
    if len(parts) == 2:
        try:
            start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
        except ValueError:
            start = end = None
        if start and end and start <= end:
            return start, end
    raise ConfigError(
        f"period {text!r} is not understood",
        hint="give a financial year (2024 or 2024/25) or a date range 2024-04-01:2024-06-30",
    )


def period_from_name(path: Path) -> tuple[date, date] | None:
    """A financial year written in the file name (`hes_apc_2024-25.csv`), if any."""
    for m in _FY_IN_NAME.finditer(path.stem):
        fy = int(m.group(1))
        if int(m.group(2)) == (fy + 1) % 100:
            return fy_start(fy), fy_end(fy)
    return None
