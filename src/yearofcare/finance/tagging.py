"""`yoc tag`: every activity row tagged inside or outside the capitated budget, with the reason.

Inside means both (004 §7.4): the person was on the cohort's register on the activity's start
date (join_date ≤ date ≤ leave_date, the last day of membership) and the service map entry in
force on that date puts the service inside. Otherwise the reason says why, the service first:
`outside_map_period` (no entry in force: before the map starts), `service_outside_map` (the
deciding entry keeps it outside; `map_entry` names it), `not_on_register`. Every row is tagged
once per cohort (spells of one person never overlap: the register is checked), so inside +
outside = the cost of all activity. The table is kept narrow (the person and dates of a row are
in `activity`, by `activity_id`): writing it is most of the stage's cost at scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import pandas as pd

from yearofcare.finance import register as rg
from yearofcare.finance.common import require
from yearofcare.finance.costs import check_all_costed, costed_rows
from yearofcare.finance.service_map import ServiceMap
from yearofcare.progress import SILENT, Progress
from yearofcare.schemas.finance import TAG_REASONS
from yearofcare.store import Store

STAGE = "tag"
OPEN = date(9999, 12, 31)


def tag(rows: ibis.Table, register: ibis.Table, smap: ServiceMap) -> ibis.Table:
    """activity_tag rows: costed activity × each cohort on the register (see module)."""
    cohorts = register.select(c_id="cohort_id").distinct()
    d = rows.mutate(**smap.decide(rows)).cross_join(cohorts)
    r = register.select(
        r_cohort="cohort_id",
        r_person="person_id",
        r_join="join_date",
        r_leave=register.leave_date.fill_null(OPEN),
    )
    j = d.left_join(
        r,
        [
            d.c_id == r.r_cohort,
            d.person_id == r.r_person,
            d.start_date >= r.r_join,
            d.start_date <= r.r_leave,
        ],
    )
    on_register = j.r_person.notnull()
    reason = ibis.cases(
        (j.map_entry.isnull(), "outside_map_period"),
        (~j.inside, "service_outside_map"),
        (~on_register, "not_on_register"),
        else_="inside",
    )
    return j.select(
        "activity_id",
        fy=j.fy.cast("int16"),
        month=j.month,
        cohort_id=j.c_id,
        setting=j.setting,
        provider_code=j.provider_code,
        cost_pence=j.cost_pence,
        inside=j.inside & on_register,
        reason=reason,
        map_entry=j.map_entry,
    )


def summary(tags: ibis.Table) -> ibis.Table:
    """Rows and cost by cohort, year, inside and reason (for the run log and the CLI)."""
    return tags.group_by(["cohort_id", "fy", "inside", "reason"]).aggregate(
        rows=tags.count(), cost_pence=tags.cost_pence.sum()
    )


def _categories(
    store: Store, rows: ibis.Table, register: ibis.Table, smap: ServiceMap
) -> dict[str, list[str]]:
    """Every value of activity_tag's repeated strings, so the engine can store them by code
    (Backend.create): writing a string per row is most of the cost of tagging at scale."""
    seen = store.to_pandas(rows.select("setting", "provider_code").distinct())
    cohorts = store.to_pandas(register.select("cohort_id").distinct())
    return {
        "cohort_id": sorted(cohorts.cohort_id),
        "setting": sorted(seen.setting.dropna().unique()),
        "provider_code": sorted(seen.provider_code.dropna().unique()),
        "reason": list(TAG_REASONS),
        "map_entry": [e.id for e in smap.entries],
    }


@dataclass
class TagResult:
    run_id: str
    rows: int
    summary: pd.DataFrame


def run_tag(store: Store, smap: ServiceMap, progress: Progress = SILENT) -> TagResult:
    """Tag every activity row (writes service_map and activity_tag)."""
    require(store, "activity", "cohort_member", stage="yoc tag")
    params = {"map_version": smap.version, "map_sha256": smap.sha256}
    with progress.task("tag activity", total=3) as bar, store.stage(STAGE, params) as run:
        register = run.read("cohort_member")
        rg.check_register(store, register)
        rows = costed_rows(store, run.read)
        bar.advance()
        run.write("service_map", smap.frame())
        categories = _categories(store, rows, register, smap)
        with store.engine.unique_strings():  # activity_id: one per row
            n = run.write("activity_tag", tag(rows, register, smap), categories=categories)
        bar.advance()
        tags = run.staged("activity_tag")
        if store.to_pandas(tags.filter(tags.cost_pence.isnull()).limit(1)).shape[0]:
            check_all_costed(store, rows)
        frame = store.to_pandas(summary(tags))
        run.parameters["summary"] = [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
            for r in frame.to_dict(orient="records")
        ]
        bar.advance()
        result = TagResult(run.run_id, n, frame)
    return result
