"""`run_evaluations`: evaluate one or more services in one stage (`yoc evaluate`), writing
evaluation_summary, evaluation_balance and evaluation_trajectory."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from yearofcare.config import settings
from yearofcare.errors import InputError, StageError
from yearofcare.outcomes.evaluation import EvaluateOptions, evaluate
from yearofcare.outcomes.run import _typed
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

STAGE = "evaluate"


@dataclass
class EvaluationsResult:
    run_id: str
    summary: pd.DataFrame
    balance: pd.DataFrame
    trajectory: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def run_evaluations(
    store: Store, services: list[str], progress: Progress = SILENT, **options
) -> EvaluationsResult:
    if not services:
        raise StageError(
            "no service to evaluate: the store has no service_enrolment or cohort_member rows",
            hint="load a service's enrolment list or run `yoc cohort select`; or name --service",
        )
    opts = [settings(EvaluateOptions, service=s, **options) for s in services]
    with store.stage(STAGE, {"services": services, **options}) as run:
        parts: dict[str, list[pd.DataFrame]] = {"summary": [], "balance": [], "trajectory": []}
        notes = []
        for o in opts:
            try:
                e = evaluate(store, o, run.run_id, progress)
            except InputError as exc:
                if len(opts) == 1:
                    raise
                notes.append(f"{o.service}: not evaluated: {exc.message}")
                continue
            parts["summary"].append(e.summary)
            parts["balance"].append(e.balance)
            parts["trajectory"].append(e.trajectory)
            notes.append(
                f"{o.service}: {e.matched:,} of {e.treated:,} enrolled matched "
                f"({e.unmatched:,} without a control in the caliper; {e.excluded_follow_up:,} "
                "without 12 months before and after); controls from "
                + (
                    "practices where nobody joined"
                    if e.controls_from == "other_practices"
                    else "people not enrolled at any practice (every practice took part: the "
                    "people a service passes over are healthier than their past use shows, so "
                    "the effect may be understated)"
                )
            )
        if not parts["summary"]:
            raise StageError(
                "no service could be evaluated: " + "; ".join(notes), hint="see the notes"
            )
        frames = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
        run.write("evaluation_summary", _typed("evaluation_summary", frames["summary"]))
        run.write("evaluation_balance", _typed("evaluation_balance", frames["balance"]))
        run.write("evaluation_trajectory", _typed("evaluation_trajectory", frames["trajectory"]))
        run_id = run.run_id
    return EvaluationsResult(
        run_id, frames["summary"], frames["balance"], frames["trajectory"], notes
    )
