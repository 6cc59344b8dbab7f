"""Load a whole directory of extracts by its plan (`ingest_plan.json`): one ingest per format.

`yoc synth --raw DIR` writes such a plan; a care economy can write its own. The plan is a JSON
list of `{"source": FORMAT, "files": [paths relative to the plan], "mapping": optional path}`,
loaded in order (GP registrations first) and in one stage: every file is read once, each
stored table is rewritten once, and the whole directory loads or nothing does.
"""

from __future__ import annotations

import json
from pathlib import Path

from yearofcare.errors import ConfigError
from yearofcare.ingest.load import ingest_batch
from yearofcare.ingest.options import IngestOptions, IngestResult
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

PLAN_FILE = "ingest_plan.json"


def read_plan(path: Path) -> list[dict]:
    path = Path(path)
    if path.is_dir():
        path = path / PLAN_FILE
    if not path.is_file():
        raise ConfigError(f"ingest plan {path} not found", hint="yoc synth --raw DIR writes one")
    try:
        steps = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"ingest plan {path} is not valid JSON: {exc}") from None
    if not isinstance(steps, list) or not all(
        isinstance(s, dict) and "source" in s and isinstance(s.get("files"), list) for s in steps
    ):
        raise ConfigError(
            f"ingest plan {path} must be a list of {{source, files}} objects",
            hint='e.g. [{"source": "hes_apc", "files": ["hes_apc/hes_apc_2024-25.csv"]}]',
        )
    base = path.parent
    return [
        {
            "source": s["source"],
            "files": [base / f for f in s["files"]],
            "mapping": base / s["mapping"] if s.get("mapping") else None,
        }
        for s in steps
    ]


def ingest_plan(
    store: Store,
    plan: Path,
    key_file: Path,
    *,
    optouts_file: Path | None = None,
    progress: Progress = SILENT,
) -> list[IngestResult]:
    """Run every step of the plan in one stage: all of it loads, or nothing does."""
    requests = []
    for step in read_plan(plan):
        files = step["files"]
        if step["source"] == "canonical":  # one canonical table per request
            from yearofcare.sources.canonical import table_for

            groups: dict[str, list[Path]] = {}
            for f in files:
                groups.setdefault(table_for(f.stem), []).append(f)
            batches = list(groups.values())
        else:
            batches = [files]
        requests += [
            IngestOptions(
                source=step["source"],
                paths=tuple(batch),
                key_file=key_file,
                mapping_file=step["mapping"],
                optouts_file=optouts_file,
            )
            for batch in batches
        ]
    return ingest_batch(store, requests, progress=progress)
