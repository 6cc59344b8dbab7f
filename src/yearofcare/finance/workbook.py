"""The tariff and budget workbook a finance lead opens: inputs and assumptions first (the About
sheet), then one formatted sheet per view (finance/views.py), written by the one workbook
writer (`reports.workbook`). A sheet for a stage that has not run says which command to run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from yearofcare.finance import views
from yearofcare.reports.section import Sheet
from yearofcare.reports.workbook import write_workbook as write_sheets
from yearofcare.store import Store

#: Sheet, the view that makes it, the tables it needs, the command that writes them.
SHEETS = (
    ("Service map", "service_map", "yoc tariff (or yoc tag)", "Agreed by both sides; the most specific entry in force decides."),
    ("Tariffs", "tariff", "yoc tariff", "Pounds per registered person-year; counts under 10 suppressed with the values derived from them."),
    ("Tariff bridge", "tariff_bridge", "yoc tariff", "How each step moved the tariff."),
    ("Budget", "budget", "yoc budget", "Each step in the stated order; memo rows (in_total FALSE) are not part of the budget."),
    ("Budget cover", "budget_cover", "yoc budget", "The budget covering the outturn with probability p; overspend probability at each level."),
    ("Movements", "budget_movement", "yoc budget", "In-year changes to the budget by month and reason."),
    ("Payment schedule", "payment_schedule", "yoc budget", "Largest remainder in whole pence: the months sum to the annual budget exactly."),
    ("Reconciliation", "reconciliation", "yoc reconcile", "Totals, providers and settings; variance = budget − actual."),
    ("Reconciliation detail", "reconciliation", "yoc reconcile", "Provider × setting cells."),
    ("Double payment", "double_payment", "yoc reconcile (with billed lines loaded)", "Billed lines for care paid from the budget."),
)  # fmt: skip


def _params(store: Store, stage: str) -> dict:
    run = store.latest_run(stage)
    return json.loads(run.parameters) if run is not None and run.parameters else {}


def _view(name: str, table: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    if table == "service_map":
        return frame, {"effective_from": views.DATE, "effective_to": views.DATE}
    makers = {
        "tariff": views.tariffs,
        "tariff_bridge": views.bridge,
        "budget": views.budget,
        "budget_cover": views.cover,
        "budget_movement": views.movements,
        "payment_schedule": views.schedule,
        "double_payment": views.double_payment,
    }
    if table == "reconciliation":
        return views.reconciliation(frame, detail=name.endswith("detail"))
    return makers[table](frame)


def sheets(store: Store) -> list[Sheet]:
    out = []
    for name, table, command, note in SHEETS:
        if not store.exists(table):
            missing = pd.DataFrame({"note": [f"Not yet computed: run {command}."]})
            out.append(Sheet(name, missing, note))
            continue
        frame, formats = _view(name, table, store.to_pandas(store.table(table)))
        out.append(Sheet(name, frame, note, formats))
    tags = views.tag_summary(_params(store, "tag"))
    if tags is not None:
        out.append(
            Sheet("Activity tags", tags[0], "Activity inside and outside, by reason.", tags[1])
        )
    return out


def write_workbook(store: Store, path: Path) -> Path:
    """Write the workbook to `path` (its folder is created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    about = [("Workbook", "Year of Care tariffs and capitated budget")]
    about += views.assumptions(
        _params(store, "tariff"), _params(store, "budget"), _params(store, "reconcile")
    )
    found = sheets(store)
    about += [(s.name, s.description) for s in found]
    return write_sheets(path, found, about)
