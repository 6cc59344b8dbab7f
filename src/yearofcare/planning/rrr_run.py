"""`yoc rrr`: RRR unbundling of the store's non-elective spells and the delayed-discharge audit,
written in one stage (a failure leaves the store as it was)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from yearofcare.errors import StageError
from yearofcare.finance.costs import costed_rows
from yearofcare.planning.rrr import rrr_spells, rrr_summary, unbundle, with_tiers
from yearofcare.planning.rrr_audit import delay_summary
from yearofcare.planning.rrr_settings import RrrSettings
from yearofcare.progress import SILENT, Progress
from yearofcare.schemas.planning import ALL
from yearofcare.store import Store

STAGE = "rrr"


@dataclass
class RrrResult:
    run_id: str
    spells: int
    #: the `all` rows of rrr_summary (one per financial year, every group and provider)
    totals: pd.DataFrame
    #: the `all` rows of delayed_discharge_summary by reason (None when no audit is loaded)
    delays: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def run_rrr(
    store: Store, settings: RrrSettings, progress: Progress = SILENT, source: str | None = None
) -> RrrResult:
    """Write rrr_spell and rrr_summary (and delayed_discharge_summary when an audit is loaded)."""
    if not store.exists("activity"):
        raise StageError(
            "yoc rrr needs the activity table, which is not in the store",
            hint="load activity first (yoc synth, or yoc ingest your extracts), then yoc build",
        )
    has_need = store.exists("need_level")
    has_audit = store.exists("delayed_discharge")
    params = {
        "settings": source or "shipped example (planning/examples/rrr.yaml)",
        "groups": {g.id: g.trim_days for g in settings.groups},
        "tiers": {t.tier: str(t.day_price) for t in settings.tiers},
        "default_tier": settings.default_tier,
        "need_year": settings.need_year,
        "bed_day_price": str(settings.bed_day_price),
        "need_level": has_need,
        "audit": has_audit,
    }
    notes = []
    if not has_need:
        notes.append("no need_level table (run `yoc need`): tiers from the audit or the default")
    with progress.task("rrr", total=3) as bar, store.stage(STAGE, params) as run:
        costed = costed_rows(store, run.read).select("activity_id", "cost_pence")
        spells = rrr_spells(run.read("activity"), settings, costed)
        audit = run.read("delayed_discharge") if has_audit else None
        need = run.read("need_level") if has_need else None
        n = run.write("rrr_spell", unbundle(with_tiers(spells, settings, need, audit), settings))
        bar.advance()
        run.write("rrr_summary", rrr_summary(run.staged("rrr_spell"), settings))
        bar.advance()
        delays = None
        if has_audit:
            run.write("delayed_discharge_summary", delay_summary(audit, settings))
            d = run.staged("delayed_discharge_summary")
            delays = store.to_pandas(
                d.filter((d.provider_code == ALL) & (d.ward == ALL)).order_by(["fy", "reason"])
            )
        else:
            notes.append(
                "no delayed-discharge audit loaded (`yoc ingest --source delayed_discharge`)"
            )
        s = run.staged("rrr_summary")
        totals = store.to_pandas(
            s.filter(
                (s.group_id == ALL) & (s.provider_code == ALL) & (s.need_tier == ALL)
            ).order_by("fy")
        )
        run.parameters["spells"] = n
        bar.advance()
        run_id = run.run_id
    return RrrResult(run_id, n, totals, delays, notes)
