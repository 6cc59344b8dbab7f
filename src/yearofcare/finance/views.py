"""The finance tables as a finance lead reads them: pounds with pence, percentages, counts of
people suppressed through `disclosure.suppress` (with the values derived from them), register
movements summarised by month and reason. Used by the workbook and the report section, so both
show the same figures.

Each view takes the stored frames (pence) and returns a frame and its number formats
(`reports.workbook.NUMBER_FORMATS`: "pence" is pounds with pence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from yearofcare.disclosure import DEFAULT_POLICY, DisclosurePolicy, suppress
from yearofcare.fy import fy_label

Frames = Mapping[str, pd.DataFrame]
PENCE, PCT, INT, NUM, DATE = "pence", "pct", "int", "num", "date"
TARIFF_MONEY = (
    "raw_mean_pence",
    "in_scope_mean_pence",
    "tariff_pence",
    "uplifted_pence",
    "ci_low_pence",
    "ci_high_pence",
    "low_threshold_pence",
    "high_threshold_pence",
)
RECONCILIATION_MONEY = (
    "budget_pence",
    "actual_pence",
    "variance_pence",
    "ytd_budget_pence",
    "ytd_actual_pence",
    "ytd_variance_pence",
    "forecast_outturn_pence",
    "forecast_low_pence",
    "forecast_high_pence",
    "annual_budget_pence",
    "double_billed_pence",
)


def pounds(frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Pence columns as pounds, renamed without `_pence`."""
    out = frame.copy()
    for c in cols:
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64") / 100
    return out.rename(columns={c: c.removesuffix("_pence") for c in cols})


def _formats(cols: Sequence[str], kind: str = PENCE) -> dict[str, str]:
    return {c.removesuffix("_pence"): kind for c in cols}


def tariffs(
    t: pd.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY
) -> tuple[pd.DataFrame, dict]:
    t = t.sort_values(["currency", "fy", "value_order"]).copy()
    t["people"] = pd.to_numeric(t.people).fillna(0)
    derived = {c: ["people"] for c in TARIFF_MONEY if c in t}
    t = suppress(t, ["people"], policy=policy, derived_from=derived)
    t["fy"] = t.fy.map(lambda y: fy_label(int(y)))
    cols = ["currency", "value", "fy", "people", "registered_years", *TARIFF_MONEY, "pool_pence",
            "outlier_method", "people_trimmed", "people_adjusted", "ci_level", "replicates",
            "bootstrap", "small", "note", "map_version", "suppressed"]  # fmt: skip
    t = pounds(t[[c for c in cols if c in t]], [*TARIFF_MONEY, "pool_pence"])
    fmt = _formats([*TARIFF_MONEY, "pool_pence"]) | {"people": INT, "registered_years": NUM,
                                                     "ci_level": PCT}  # fmt: skip
    return t, fmt


def bridge(b: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    b = b.sort_values(["currency", "fy", "value", "step_order"])
    return pounds(b, ["amount_pence", "change_pence"]), _formats(["amount_pence", "change_pence"])


def budget(b: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    b = b.sort_values(["cohort_id", "fy", "step_order"]).copy()
    b["percent"] = b.percent / 100
    b = pounds(b, ["amount_pence", "running_total_pence"])
    cols = ["cohort_id", "fy", "step_order", "label", "percent", "amount", "running_total",
            "in_total", "basis", "tariff_fy", "map_version"]  # fmt: skip
    return b[cols], {"percent": PCT, "amount": PENCE, "running_total": PENCE}


def cover(c: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    c = pounds(c.sort_values(["cohort_id", "fy", "kind", "budget_pence"]), ["budget_pence"])
    return c, {"probability": PCT, "budget": PENCE, "relative_to_budget": PCT,
               "overspend_probability": PCT}  # fmt: skip


def movements(
    m: pd.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY
) -> tuple[pd.DataFrame, dict]:
    g = m.groupby(["cohort_id", "fy", "month", "reason"], as_index=False).agg(
        people=("person_id", "nunique"), amount_pence=("amount_pence", "sum")
    )
    g = suppress(g, ["people"], policy=policy, derived_from={"amount_pence": ["people"]})
    return pounds(g, ["amount_pence"]), {"people": INT, "amount": PENCE}


def schedule(s: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    s = s.sort_values(["cohort_id", "fy", "month"])
    s = pounds(s, ["amount_pence", "cumulative_pence"])
    return s, {"share": PCT, "amount": PENCE, "cumulative": PENCE, "month_start": DATE}


def reconciliation(r: pd.DataFrame, detail: bool) -> tuple[pd.DataFrame, dict]:
    keys = ["cohort_id", "fy", "level", "provider_code", "setting", "month"]
    r = r[(r.level == "detail") == detail].sort_values(keys)
    fmt = _formats(RECONCILIATION_MONEY) | {"period_start": DATE, "period_end": DATE}
    return pounds(r, RECONCILIATION_MONEY), fmt


def double_payment(d: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    g = d.groupby(["cohort_id", "fy", "provider_code", "setting"], as_index=False).agg(
        lines=("line_id", "count"), billed_pence=("billed_pence", "sum")
    )
    return pounds(g, ["billed_pence"]), {"lines": INT, "billed": PENCE}


def tag_summary(params: Mapping[str, Any]) -> tuple[pd.DataFrame, dict] | None:
    rows = params.get("summary")
    if not rows:
        return None
    return pounds(pd.DataFrame(rows), ["cost_pence"]), {"rows": INT, "cost": PENCE}


def assumptions(tariff: Mapping[str, Any], budget: Mapping[str, Any], rec: Mapping[str, Any]):
    """Inputs and assumptions as (item, value) rows, from the runs' recorded parameters."""
    rows: list[tuple[str, str]] = [
        (
            "Money",
            "pounds with pence; every amount rounded half up to the penny once; totals "
            "are sums of whole pence; splits by largest remainder",
        ),
        ("Months", "months of the financial year: 1 = April … 12 = March"),
    ]
    if tariff:
        ts = tariff.get("tariffs", {})
        o, b = ts.get("outliers", {}), ts.get("bootstrap", {})
        rows += [
            ("Tariffs: settings", str(tariff.get("settings_version"))),
            ("Service map", f"{tariff.get('map_version')} (SHA-256 {str(tariff.get('map_sha256'))[:12]}…)"),
            ("Years of costs", ", ".join(fy_label(int(y)) for y in tariff.get("years", []))),
            ("Currencies", ", ".join(tariff.get("currencies", []))),
            ("Outlier treatment", f"{o.get('method')}; percentiles {o.get('low_percentile')}–"
             f"{o.get('high_percentile')}; cap £{o.get('cap') or '-'} a person-year"),
            ("Bootstrap", f"{b.get('replicates')} replicates, seed {b.get('seed')}, level {b.get('level')}"),
        ]  # fmt: skip
    if budget:
        bs = budget.get("budget", {})
        rows += [
            ("Budget: tariffs of", fy_label(int(budget["tariff_fy"])) if "tariff_fy" in budget else "-"),
            ("Budget years", ", ".join(fy_label(int(y)) for y in budget.get("years", []))),
            ("Pay and price uplift, % a year", str(bs.get("uplift"))),
            ("Efficiency requirement, % a year", str(bs.get("efficiency"))),
            ("Demographic growth, % a year after the first", str(bs.get("demographic_growth"))),
            ("Case-mix change", str(bs.get("case_mix"))),
            ("Service-model effect", str(budget.get("service_model", "-"))),
            ("Payment schedule", str(budget.get("schedule_shape", "-"))),
            ("Order of the budget steps", "base; joiners; leavers; deaths; currency changes; "
             "uplift; efficiency; demographic growth; case mix; service model; total"),
        ]  # fmt: skip
    if rec:
        rows += [
            ("Reconciliation: activity to", str(rec.get("data_end"))),
            ("Forecast interval", str(rec.get("interval"))),
            ("Billed lines not checked (unlinked)", str(rec.get("unchecked_lines", 0))),
        ]
    return rows
