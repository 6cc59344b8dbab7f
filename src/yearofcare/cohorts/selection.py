"""Two-stage cohort selection and the register's stage runs (seed 004 §7.2, §7.4).

- `run_select`: stage one. A cohort's rule on one year's data proposes people who are not
  already members; each is listed for review by their practice with the facts that selected
  them (`cohort_review`, decision pending) and a CSV per practice is written for reviewers.
- `run_review`: stage two. The decisions file is read and checked (`decisions.py`); accepted
  people join the register, declined ones stay out, withdrawals end a membership.
- `run_update`: the annual review of a year: deaths, moves, step-downs and currency changes.

Each run rewrites the whole of `cohort_review` / `cohort_member` inside one stage, so a failed
run leaves both as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import ibis
import pandas as pd
import pyarrow as pa

from yearofcare import schemas
from yearofcare.cohorts.config import load_cohorts
from yearofcare.cohorts.decisions import check_listed, read_decisions
from yearofcare.cohorts.register import (
    annual_update,
    empty_register,
    join,
    member_facts,
    withdraw,
)
from yearofcare.config import ConfigModel
from yearofcare.config.paths import reports_dir
from yearofcare.errors import ConfigError, StageError
from yearofcare.progress import SILENT, Progress
from yearofcare.reports.workbook import write_csv
from yearofcare.segmentation.frame import need_frame
from yearofcare.store import Store

STAGE = "cohort"


class CohortOptions(ConfigModel):
    config_name: ClassVar[str] = "cohort options"
    cohorts: Path | None = None
    cohort: str
    fy: int | None = None
    decisions: Path | None = None
    out_dir: Path | None = None


@dataclass(frozen=True)
class SelectResult:
    run_id: str
    cohort_id: str
    fy: int
    proposed: int
    practices: int
    files: list[Path]


@dataclass(frozen=True)
class ReviewResult:
    run_id: str
    cohort_id: str
    fy: int
    accepted: int
    declined: int
    withdrawn: int
    pending: int


@dataclass(frozen=True)
class UpdateResult:
    run_id: str
    cohort_id: str
    fy: int
    transitions: dict[str, int]
    members: int


def _frame(run, store: Store) -> ibis.Table:
    py = run.read("person_year")
    need = run.read("need_level") if store.exists("need_level") else None
    return need_frame(py, need)


def _existing(store: Store, run, name: str) -> pd.DataFrame:
    """A stored table as pandas with dates as `datetime.date` and empty cells as None."""
    declared = schemas.get(name)
    if store.exists(name):
        frame = store.to_pandas(run.read(name))
    else:
        schema = declared.ibis_schema().to_pyarrow()
        frame = pa.Table.from_pylist([], schema=schema).to_pandas()
    frame = frame.astype(object).where(frame.notna(), None)
    for c in declared.columns:
        if c.type == "date" and c.name in frame.columns:
            frame[c.name] = [None if v is None else pd.Timestamp(v).date() for v in frame[c.name]]
    return frame


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    frame = frame.reindex(columns=schema.names).astype(object).where(frame.notna(), None)
    return pa.Table.from_pylist(frame.to_dict("records"), schema=schema)


def _year(store: Store, frame: ibis.Table, fy: int | None) -> int:
    years = sorted(int(v) for v in store.to_pandas(frame.select("fy").distinct())["fy"])
    if not years:
        raise StageError("person_year is empty", hint="run `yoc build` first")
    if fy is None:
        return years[-1]
    if fy not in years:
        raise ConfigError(
            f"person_year has no financial year {fy}",
            hint="years present: " + ", ".join(map(str, years)),
        )
    return fy


def facts_expr(t: ibis.Table, columns: tuple[str, ...]) -> ibis.Value:
    """'column=value; …' of the columns a rule read (empty values shown as empty)."""
    parts = []
    for c in columns:
        parts.append(ibis.literal(f"{c}=").concat(t[c].cast("string").fill_null("empty")))
    out = parts[0]
    for p in parts[1:]:
        out = out.concat(ibis.literal("; "), p)
    return out


def run_select(store: Store, options: CohortOptions, progress: Progress = SILENT) -> SelectResult:
    """Stage one: the review list of `options.cohort` from year `options.fy`'s data."""
    loaded, rules = load_cohorts(options.cohorts)
    cohort = loaded.model.get(options.cohort)
    rule = rules[cohort.id]
    params = {**options.model_dump(mode="json"), "cohorts_version": loaded.model.version}
    with (
        progress.task(f"Select cohort {cohort.id}", total=2) as bar,
        store.stage(STAGE, params) as run,
    ):
        frame = _frame(run, store)
        fy = _year(store, frame, options.fy)
        review = _existing(store, run, "cohort_review")
        register = _existing(store, run, "cohort_member")
        members = set(
            register[(register.cohort_id == cohort.id) & register.leave_date.isna()].person_id
        )
        mine = review[(review.cohort_id == cohort.id) & (review.selection_fy == fy)]
        decided = set(mine[mine.decision != "pending"].person_id)
        year = frame.filter(frame.fy == fy)
        chosen = year.filter(rule.compile(year))
        proposed = store.to_pandas(
            chosen.select("person_id", "practice_code", facts=facts_expr(chosen, rule.columns))
        )
        proposed = proposed[~proposed.person_id.isin(members | decided)]
        today = date.today()
        new = proposed.assign(
            cohort_id=cohort.id,
            selection_fy=fy,
            proposed_on=today,
            decision="pending",
        )
        keep = review[
            ~(
                (review.cohort_id == cohort.id)
                & (review.selection_fy == fy)
                & (review.decision == "pending")
            )
        ]
        out = pd.concat([keep, new], ignore_index=True)
        run.write("cohort_review", _arrow(out, "cohort_review"))
        run.write(
            "cohort_definition",
            _arrow(_definitions(store, run, loaded.model, rules), "cohort_definition"),
        )
        bar.advance()
        files = _review_files(
            new, options.out_dir or reports_dir(store.engine.data_dir) / "review", cohort.id, fy
        )
        run.parameters.update({"fy": fy, "proposed": len(new), "rule": cohort.rule})
        bar.advance()
    return SelectResult(run.run_id, cohort.id, fy, len(new), new.practice_code.nunique(), files)


def _definitions(store, run, config, rules) -> pd.DataFrame:
    rows = [
        {
            "cohort_id": c.id,
            "label": c.label,
            "rule": c.rule,
            "rule_columns": ",".join(rules[c.id].columns),
            "currency": c.currency,
            "cohorts_version": config.version,
        }
        for c in config.cohorts
    ]
    old = _existing(store, run, "cohort_definition")
    old = old[~old.cohort_id.isin([r["cohort_id"] for r in rows])]
    return pd.concat([old, pd.DataFrame(rows)], ignore_index=True)


def _review_files(new: pd.DataFrame, out_dir: Path, cohort_id: str, fy: int) -> list[Path]:
    """One CSV per practice: pseudonymised ids, the facts, and empty decision columns."""
    folder = Path(out_dir) / cohort_id / str(fy)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    frame = new.assign(practice_code=new.practice_code.fillna("unknown_practice"))
    for practice, g in frame.groupby("practice_code", sort=True):
        # the practice code comes from the data: only letters, digits, - and _ reach a file
        # name, and the file is written by the one CSV writer (formula-like text neutralised)
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", str(practice))[:40]
        path = folder / f"review_{safe}.csv"
        frame_out = (
            g[["person_id", "practice_code", "facts"]]
            .assign(decision="", decided_on="", reviewer="", reason="")
            .sort_values("person_id")
        )
        write_csv(path, frame_out)
        files.append(path)
    return files


def run_review(store: Store, options: CohortOptions, progress: Progress = SILENT) -> ReviewResult:
    """Stage two: apply a decisions file to the review list of (cohort, fy)."""
    if options.decisions is None:
        raise ConfigError(
            "no decisions file given", hint="give the reviewers' file with --decisions"
        )
    loaded, _ = load_cohorts(options.cohorts)
    cohort = loaded.model.get(options.cohort)
    decisions = read_decisions(options.decisions)
    params = {**options.model_dump(mode="json"), "cohorts_version": loaded.model.version}
    with (
        progress.task(f"Review cohort {cohort.id}", total=1) as bar,
        store.stage(STAGE, params) as run,
    ):
        review = _existing(store, run, "cohort_review")
        register = _existing(store, run, "cohort_member")
        if review.empty or not (review.cohort_id == cohort.id).any():
            raise StageError(
                f"cohort {cohort.id} has no review list",
                hint=f"run `yoc cohort select {cohort.id}` first",
            )
        fy = (
            options.fy
            if options.fy is not None
            else int(review[review.cohort_id == cohort.id].selection_fy.max())
        )
        listed_rows = review[(review.cohort_id == cohort.id) & (review.selection_fy == fy)]
        members = set(
            register[(register.cohort_id == cohort.id) & register.leave_date.isna()].person_id
        )
        check_listed(decisions, set(listed_rows.person_id), members, f"cohort {cohort.id} ({fy})")
        d = decisions.frame
        listed = d[d.decision != "withdrawn"].set_index("person_id")
        sel = (
            (review.cohort_id == cohort.id)
            & (review.selection_fy == fy)
            & review.person_id.isin(listed.index)
        )
        for col, src in (
            ("decision", "decision"),
            ("decided_on", "decided_on"),
            ("reviewer", "reviewer"),
            ("reason", "reason"),
            ("review_row", "row"),
        ):
            review.loc[sel, col] = review.loc[sel, "person_id"].map(listed[src]).values
        review.loc[sel, "review_file"] = str(decisions.path)
        accepted = review[sel & (review.decision == "accepted")]
        currency = _currency_values(store, run, cohort.currency, fy, set(accepted.person_id))
        accepted = accepted.assign(currency_value=accepted.person_id.map(currency))
        added = join(
            register,
            accepted,
            cohort_id=cohort.id,
            selection_fy=fy,
            rule=cohort.rule,
            version=loaded.model.version,
            currency=cohort.currency,
        )
        register = pd.concat([register, added], ignore_index=True) if len(added) else register
        withdrawn = d[d.decision == "withdrawn"]
        register = withdraw(register, cohort.id, withdrawn, date.today())
        run.write("cohort_review", _arrow(review, "cohort_review"))
        run.write("cohort_member", _arrow(register, "cohort_member"))
        counts = listed.decision.value_counts().to_dict()
        result = ReviewResult(
            run.run_id,
            cohort.id,
            fy,
            int(counts.get("accepted", 0)),
            int(counts.get("declined", 0)),
            len(withdrawn),
            decisions.pending,
        )
        run.parameters.update(
            {
                "fy": fy,
                "accepted": result.accepted,
                "declined": result.declined,
                "withdrawn": result.withdrawn,
                "pending_in_file": result.pending,
            }
        )
        bar.advance()
    return result


def _currency_values(store, run, currency: str | None, fy: int, people: set[str]) -> dict[str, str]:
    if not currency or not people or not store.exists("person_currency"):
        return {}
    pc = run.read("person_currency")
    t = pc.filter((pc.currency == currency) & (pc.fy == fy) & pc.person_id.isin(sorted(people)))
    frame = store.to_pandas(t.select("person_id", "value"))
    return dict(zip(frame.person_id, frame.value, strict=True))


def run_update(store: Store, options: CohortOptions, progress: Progress = SILENT) -> UpdateResult:
    """The annual review of year `options.fy` for the cohort's open spells."""
    loaded, rules = load_cohorts(options.cohorts)
    cohort = loaded.model.get(options.cohort)
    params = {**options.model_dump(mode="json"), "cohorts_version": loaded.model.version}
    with (
        progress.task(f"Update cohort {cohort.id}", total=1) as bar,
        store.stage(STAGE, params) as run,
    ):
        register = _existing(store, run, "cohort_member")
        frame = _frame(run, store)
        fy = _year(store, frame, options.fy)
        mine = register[(register.cohort_id == cohort.id) & register.leave_date.isna()]
        if mine.empty:
            raise StageError(
                f"cohort {cohort.id} has no open membership to review",
                hint=f"select and review members first (`yoc cohort select {cohort.id}`)",
            )
        members = ibis.memtable(mine[["person_id"]].astype(str))
        pc = (
            run.read("person_currency")
            if cohort.currency and store.exists("person_currency")
            else None
        )
        if pc is not None:
            pc = pc.filter(pc.currency == cohort.currency)
        facts = store.to_pandas(member_facts(frame, members, fy, rules[cohort.id], pc))
        before = register.copy()
        register = annual_update(register, cohort.id, facts, fy)
        closed = register[
            register.leave_date.notna() & before.reindex(register.index).leave_date.isna()
        ]
        transitions = closed.leave_reason.value_counts().to_dict()
        run.write("cohort_member", _arrow(register, "cohort_member"))
        open_now = int(((register.cohort_id == cohort.id) & register.leave_date.isna()).sum())
        run.parameters.update({"fy": fy, "transitions": transitions, "members": open_now})
        bar.advance()
    return UpdateResult(
        run.run_id, cohort.id, fy, {k: int(v) for k, v in transitions.items()}, open_now
    )


__all__ = ["CohortOptions", "empty_register", "run_review", "run_select", "run_update"]
