"""Where a report's figures come from, read from the run log: the stage run (id, time, engine,
code version), the runs that wrote its inputs with the versions of the reference data they used
(code lists, unit costs, catalogue …), and the disclosure rule. One record per stage, shown in
"About these figures" and on the workbook's About sheet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from yearofcare.store import Store

#: Run parameters whose name says they identify a version of reference data or an input file
#: (the price uplift index and its factors too: outputs state how prices were moved to a year).
VERSION_WORDS = (
    "version",
    "catalogue",
    "codelist",
    "code_list",
    "unit_cost",
    "price_uplift",
    "tariff",
    "weights",
)

Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class InputRun:
    table: str
    run_id: str
    stage: str
    finished: str
    code_version: str
    versions: str


@dataclass(frozen=True)
class Provenance:
    """The run behind a stage's tables, and the runs behind its inputs."""

    command: str
    run_id: str
    finished: str
    engine: str
    code_version: str
    details: tuple[tuple[str, str], ...] = ()
    inputs: tuple[InputRun, ...] = ()

    def rows(self) -> Rows:
        rows: Rows = [
            (
                f"{self.command} run",
                f"{self.run_id} (finished {self.finished} UTC, engine {self.engine})",
            ),
            ("Code version", self.code_version),
            *self.details,
        ]
        rows += [
            (
                f"Input {i.table}",
                f"run {i.run_id} ({i.stage}, {i.finished}, {i.code_version}); "
                f"reference data: {i.versions}",
            )
            for i in self.inputs
        ]
        return rows


def short(value: Any) -> str:
    """A run parameter as short text: lists joined, long hashes cut to 12 characters."""
    if isinstance(value, dict):
        # a nested mapping (the uplift factors by price year) in brackets, so it reads back
        return "; ".join(
            f"{k}: ({short(v)})" if isinstance(v, dict) else f"{k}: {short(v)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(short(v) for v in value) or "none"
    text = str(value)
    return text[:12] if len(text) >= 40 and all(c in "0123456789abcdef" for c in text) else text


def versions(params: Mapping[str, Any]) -> str:
    """The reference-data versions a run recorded, as "name = version, …"."""
    found = {k: short(v) for k, v in params.items() if any(w in k.lower() for w in VERSION_WORDS)}
    return ", ".join(f"{k} = {v}" for k, v in found.items()) or "not recorded"


def params_of(run: pd.Series | None) -> dict[str, Any]:
    if run is None:
        return {}
    return json.loads(run.parameters or "{}")


def provenance(
    store: Store,
    run: pd.Series,
    command: str,
    details: Sequence[tuple[str, str]] = (),
) -> Provenance:
    """The provenance of a stage run; its inputs from the `input_runs` it recorded."""
    params = params_of(run)
    runs = store.runs().set_index("run_id", drop=False)
    inputs = []
    for table, rid in sorted(params.get("input_runs", {}).items()):
        if rid not in runs.index:
            continue
        r = runs.loc[rid]
        inputs.append(
            InputRun(
                table,
                rid,
                str(r.stage),
                str(r.finished_at)[:19],
                str(r.code_version),
                versions(json.loads(r.parameters or "{}")),
            )
        )
    return Provenance(
        command=command,
        run_id=str(run.run_id),
        finished=str(run.finished_at)[:19],
        engine=str(run.engine),
        code_version=str(run.code_version),
        details=tuple(details),
        inputs=tuple(inputs),
    )
