"""Figure 10's view of the delayed-discharge audit (NHS England 2016 §6.3), as an Ibis piece.

For each financial year of discharge: audited stays, stays delayed (at least one day in an acute
bed after being medically fit), delayed days and their cost (delayed days × the bed-day price
of the RRR settings, whole pence), by provider, ward and reason, with `all` rows for every
rolled-up key. A delayed stay with no reason recorded counts as `not_recorded`; a stay that was
not delayed as `not_delayed`. share_of_delayed = the row's delayed stays / all delayed stays of
the same year, provider and ward (so the reasons of a ward add up to 1).
"""

from __future__ import annotations

import ibis

from yearofcare import vocab
from yearofcare.fy import fy_expr
from yearofcare.planning.rrr import NOT_RECORDED, _cases
from yearofcare.planning.rrr_settings import RrrSettings, pence
from yearofcare.schemas.planning import ALL

REASON_LABELS: dict[str, str] = {
    **vocab.DELAY_REASON_LABELS,
    "not_recorded": "Delayed, reason not recorded",
    "not_delayed": "Not delayed",
    ALL: "All stays",
}
_KEYS = ("provider_code", "ward", "reason")
_LEVELS = (
    ("provider_code", "ward", "reason"),
    ("provider_code", "ward"),
    ("provider_code",),
    ("reason",),
    (),
)


def delay_summary(audit: ibis.Table, settings: RrrSettings) -> ibis.Table:
    """The `delayed_discharge_summary` rows."""
    t = audit.mutate(
        fy=fy_expr(audit.discharge_date).cast("int16"),
        provider_code=audit.provider_code.fill_null(NOT_RECORDED),
        ward=audit.ward.fill_null(NOT_RECORDED),
        reason=ibis.ifelse(
            audit.delayed_days > 0, audit.reason.fill_null("not_recorded"), "not_delayed"
        ),
        _delayed=(audit.delayed_days > 0).cast("int64"),
    )
    parts = []
    for level in _LEVELS:
        agg = t.group_by(["fy", *level]).aggregate(
            patients=t.count(),
            delayed=t._delayed.sum(),
            delayed_days=t.delayed_days.cast("int64").sum(),
        )
        parts.append(
            agg.mutate(**{k: ibis.literal(ALL) for k in _KEYS if k not in level}).select(
                "fy", *_KEYS, "patients", "delayed", "delayed_days"
            )
        )
    s = ibis.union(*parts, distinct=False)
    whole = s.filter(s.reason == ALL).select(
        _fy=s.fy, _p=s.provider_code, _w=s.ward, _all_delayed=s.delayed
    )
    s = s.left_join(
        whole, (s.fy == whole._fy) & (s.provider_code == whole._p) & (s.ward == whole._w)
    )
    return s.select(
        "fy",
        *_KEYS,
        reason_label=_cases(s.reason, REASON_LABELS),
        patients=s.patients,
        delayed=s.delayed,
        delayed_days=s.delayed_days,
        mean_delay=ibis.ifelse(
            s.delayed > 0, s.delayed_days.cast("float64") / s.delayed.cast("float64"), None
        ),
        share_of_delayed=ibis.ifelse(
            s._all_delayed > 0, s.delayed.cast("float64") / s._all_delayed.cast("float64"), None
        ),
        cost_pence=(s.delayed_days * pence(settings.bed_day_price)).cast("int64"),
    )
