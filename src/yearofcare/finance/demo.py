"""The money in `make demo`: tariffs, a three-year budget, the schedule, tags, billed lines with
planted double payment, the reconciliation and the workbook.

Runs once the need-and-cohorts stage has written `person_currency` and `cohort_member`. Tariffs
come from the year before the last one with data, so the first budget year is the last year
with data and can be reconciled; the providers' billed lines for it are written by the
synthetic economy (outside the store: they carry NHS numbers) and loaded with `yoc ingest
--source billed_lines`, and their truth kept in `synth_billed_line`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from yearofcare.config.paths import FINANCE_WORKBOOK, reports_dir
from yearofcare.fy import fy_label
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

NEEDS = ("person_currency", "cohort_member")


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.0f}"


def demo_money(
    store: Store,
    population,
    raw_dir: Path,
    key_file: Path,
    seed: int,
    progress: Progress = SILENT,
) -> list[tuple[str, str]]:
    """Run the finance stages on the demo store; returns (step, summary) lines."""
    missing = [n for n in NEEDS if not store.exists(n)]
    if missing:
        return [
            (
                "money",
                f"skipped: needs {' and '.join(missing)} (yoc currency and yoc cohort select)",
            )
        ]
    from yearofcare.finance.budget_stage import run_budget
    from yearofcare.finance.map_loader import load_service_map
    from yearofcare.finance.reconcile_stage import run_reconcile
    from yearofcare.finance.service_map import example_path
    from yearofcare.finance.settings import example_settings_path, load_settings
    from yearofcare.finance.tagging import run_tag
    from yearofcare.finance.tariff_stage import run_tariffs
    from yearofcare.finance.workbook import write_workbook
    from yearofcare.ingest.load import ingest
    from yearofcare.ingest.options import IngestOptions
    from yearofcare.linkage.pseudonym import load_key
    from yearofcare.synth.billed_lines import billed_lines, write_billed_lines

    py = store.table("person_year")
    last = int(store.to_pandas(py.aggregate(last=py.fy.max())).iloc[0, 0])
    settings, _ = load_settings(example_settings_path())
    settings = settings.model_copy(
        update={
            "tariffs": settings.tariffs.model_copy(update={"years": (last - 1,)}),
            "budget": settings.budget.model_copy(update={"base_fy": last - 1}),
        }
    )
    smap = load_service_map(example_path())
    steps = []
    t = run_tariffs(store, settings, smap, progress=progress)
    base = t.tariffs[t.tariffs.fy == last - 1]
    steps.append(
        (
            "tariffs",
            f"{len(base)} currency values from {fy_label(last - 1)} costs "
            f"(service map {smap.version}); {int(base.small.sum())} flagged",
        )
    )
    b = run_budget(store, settings, progress=progress)
    totals = b.budget[b.budget.step == "total"].groupby("fy").running_total_pence.sum()
    steps.append(
        (
            "budget",
            "; ".join(f"{fy_label(int(fy))} {_pounds(int(v))}" for fy, v in totals.items())
            + " with a monthly schedule each",
        )
    )
    tags = run_tag(store, smap, progress=progress)
    steps.append(("tag", f"{tags.rows:,} activity rows tagged inside or outside"))
    register = store.to_pandas(store.table("cohort_member"))
    key = load_key(key_file, store_dir=store.engine.data_dir)
    lines = billed_lines(population, register, smap, key, last, np.random.default_rng(seed))
    path = Path(raw_dir) / "billed_lines" / f"billed_lines_{fy_label(last).replace('/', '-')}.csv"
    write_billed_lines(lines, path)
    with store.stage("synth-billed-lines", {"file": path.name}) as run:
        run.write("synth_billed_line", lines.truth)
    ingest(store, IngestOptions("billed_lines", (path,), key_file), progress=progress)
    rec = run_reconcile(store, settings, progress=progress)
    dp = {k: v for k, v in rec.get("double_payment", {}).items() if isinstance(v, dict)}
    lines_found = sum(v["lines"] for v in dp.values())
    billed = sum(v["billed_pence"] for v in dp.values())
    planted = int(sum(lines.truth["double_billed"].to_pylist()))
    steps.append(
        (
            "reconcile",
            f"{lines.extract.num_rows:,} billed lines: {lines_found:,} double payments found "
            f"({_pounds(billed)}; {planted:,} planted); monthly reconciliation of "
            f"{fy_label(last)}",
        )
    )
    book = write_workbook(store, reports_dir(store.engine.data_dir) / FINANCE_WORKBOOK)
    steps.append(("finance workbook", str(book)))
    return steps
