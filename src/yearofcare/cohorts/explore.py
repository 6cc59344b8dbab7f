"""Evaluate a rule over every person-year, for the command line and the web cohort explorer."""

from __future__ import annotations

import ibis
import pandas as pd

from yearofcare.cohorts.config import adhoc_rule
from yearofcare.disclosure import DEFAULT_POLICY, suppress
from yearofcare.segmentation.frame import need_frame
from yearofcare.store import Store


def rule_counts(frame: ibis.Table, rule_text: str, fy: int | None = None) -> ibis.Table:
    """fy, selected, people: how many person-years the rule selects in each year."""
    rule = adhoc_rule(rule_text)
    t = frame if fy is None else frame.filter(frame.fy == fy)
    hit = rule.compile(t)
    return t.group_by("fy").aggregate(selected=ibis.ifelse(hit, 1, 0).sum(), people=t.count())


def count_rule(store: Store, rule_text: str, fy: int | None = None) -> pd.DataFrame:
    """`rule_counts` on the store, executed and passed through small-number suppression."""
    py = store.table("person_year")
    need = store.table("need_level") if store.exists("need_level") else None
    raw = store.to_pandas(rule_counts(need_frame(py, need), rule_text, fy).order_by("fy"))
    return suppress(raw, ["selected", "people"], [], DEFAULT_POLICY)
