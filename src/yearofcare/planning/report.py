"""The planning stage's report section (reports layer): "Planning: the Year of Care simulation".

The simulation's tables are written unsuppressed (they hold people counts of cohorts that may be
small); `prepare` passes every count of people through `disclosure.suppress` and masks the
values of a cohort whose people are few (means, costs, WTE and the dynamics derived from them).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, suppress
from yearofcare.fy import fy_label
from yearofcare.reports import Chart, Section
from yearofcare.reports import blocks as rb
from yearofcare.reports.charts import PALETTE, theme
from yearofcare.reports.formats import integer, number, percent, signed_money, text
from yearofcare.reports.section import SectionData, Sheet

TABLES = ("planning_summary", "planning_result", "planning_workforce", "planning_dynamics")


TABLE3 = [
    rb.Col("cohort_label", "Cohort", text=True),
    rb.Col("people", "Number of patients", integer),
    rb.Col("base_mean_cost", "Base year (observed)", signed_money),
    rb.Col("baseline_mean_cost", "Current (baseline)", signed_money),
    rb.Col("scenario_mean_cost", "New service (scenario)", signed_money),
    rb.Col("scenario_mean_cost_lower", "95 % interval from", signed_money),
    rb.Col("scenario_mean_cost_upper", "to", signed_money),
    rb.Col("regression_ratio", "Year 1 / base year (baseline)", number),
]
SAVING = [
    rb.Col("cohort_label", "Cohort", text=True),
    rb.Col("saving", "Saving over the years", signed_money),
    rb.Col("saving_lower", "95 % interval from", signed_money),
    rb.Col("saving_upper", "to", signed_money),
    rb.Col("probability_saving", "P(saving)", percent),
    rb.Col("naive_saving", "Against the base year (naive)", signed_money),
    rb.Col("annual_budget", "Annual budget meeting the cost", signed_money),
    rb.Col("annual_budget_p90", "Met in 90 % of runs", signed_money),
]
SETTINGS = [
    rb.Col("setting_label", "Setting", text=True),
    rb.Col("baseline", "Baseline cost", signed_money),
    rb.Col("scenario", "Scenario cost", signed_money),
    rb.Col("difference", "Difference", signed_money),
    rb.Col("difference_lower", "95 % interval from", signed_money),
    rb.Col("difference_upper", "to", signed_money),
    rb.Col("probability_saving", "P(saving)", percent),
]
WORKFORCE = [
    rb.Col("staff_label", "Staff group", text=True),
    rb.Col("setting", "Delivers", text),
    rb.Col("units_per_wte", "Units a WTE a year", number),
    rb.Col("baseline_wte", "Baseline WTE", number),
    rb.Col("scenario_wte", "Scenario WTE", number),
    rb.Col("difference_wte", "Difference", number),
    rb.Col("difference_wte_lower", "95 % interval from", number),
    rb.Col("difference_wte_upper", "to", number),
]
DYNAMICS = [
    rb.Col("cohort_label", "Cohort", text=True),
    rb.Col("years_since", "Years since selection", integer),
    rb.Col("members", "Members followed", integer),
    rb.Col("present_share", "Still present", percent),
    rb.Col("died_share", "Died", percent),
    rb.Col("left_share", "Moved away", percent),
    rb.Col("cost_ratio", "Cost / selection year", number),
    rb.Col("non_elective_ratio", "Non-elective / selection year", number),
    rb.Col("source", "From", text),
]
VALUE_COLUMNS = {
    "planning_result": [
        f"{m}{e}" for m in ("baseline", "scenario", "difference") for e in ("", "_lower", "_upper")
    ]
    + ["difference_mc_se", "probability_saving"],
    "planning_workforce": [
        f"{m}{e}"
        for m in ("baseline_wte", "scenario_wte", "difference_wte")
        for e in ("", "_lower", "_upper")
    ],
    "planning_dynamics": [
        "present_share", "died_share", "left_share", "joiner_share", "cost_ratio",
        "non_elective_ratio", "mean_cost_present",
    ],
}  # fmt: skip


def prepare(frames, policy: DisclosurePolicy):
    """People counts through `disclosure.suppress`; a small cohort's figures masked."""
    s = frames["planning_summary"]
    derived = [c for c in s.columns if c.endswith(("cost", "_lower", "_upper", "budget", "_p90"))]
    derived += ["saving", "probability_saving", "naive_saving", "regression_ratio"]
    # means per person follow the rounded cohort size; totals (savings, budgets) to 3 s.f.
    per = {c: "people" for c in derived if "mean_cost" in c}
    totals = [
        c for c in derived if c not in per and c not in ("probability_saving", "regression_ratio")
    ]
    summary = suppress(
        s,
        ["people"],
        policy=policy,
        derived_from={c: ["people"] for c in derived},
        totals=totals,
        per=per,
    )
    small = set(
        zip(
            summary.scenario_id[summary.suppressed],
            summary.cohort_id[summary.suppressed],
            strict=True,
        )
    )
    out = {"planning_summary": summary}
    for name, values in VALUE_COLUMNS.items():
        f = frames[name].copy()
        hit = pd.Series(
            [(a, b) in small for a, b in zip(f.scenario_id, f.cohort_id, strict=True)],
            index=f.index,
            dtype=bool,
        )
        f.loc[hit, values] = np.nan
        f["suppressed"] = hit | f.get("suppressed", False)
        if name == "planning_result":
            f = _suppress_people(f, policy)
        if name == "planning_dynamics":
            members = suppress(f, ["members"], policy=policy, derived_from={})
            members["suppressed"] |= f["suppressed"]
            f = members
        out[name] = f
    return out


def _suppress_people(f: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """The rows counting people: each count (and its interval ends) through `suppress`."""
    people = f.measure == "people"
    counts = list(VALUE_COLUMNS["planning_result"][:6])
    p = suppress(f[people], counts, policy=policy, derived_from={})
    p["suppressed"] |= f.loc[people, "suppressed"]
    return pd.concat([p, f[~people]]).sort_index()


def _order(f: pd.DataFrame) -> pd.DataFrame:
    return f.assign(_o=f.cohort_order.replace(0, 999)).sort_values(["scenario_id", "_o"])


def _finding(d: SectionData) -> str | None:
    s = d.frames["planning_summary"]
    total = s[s.cohort_id == "all"]
    if total.empty:
        return None
    parts = []
    for r in total.itertuples():
        if pd.isna(r.saving):
            continue
        parts.append(
            f"{r.scenario_name}: {'saving' if r.saving >= 0 else 'extra cost'} of "
            f"{signed_money(abs(r.saving))} over {int(r.years)} years (95 % interval "
            f"{signed_money(r.saving_lower)} to {signed_money(r.saving_upper)}; probability of a saving "
            f"{r.probability_saving:.0%}) against the baseline with each cohort's own decline, "
            f"where a comparison with {fy_label(int(r.base_fy))} would claim "
            f"{signed_money(r.naive_saving)}"
        )
    return "; ".join(parts) + "." if parts else None


def _chart(d: SectionData):
    s = _order(d.frames["planning_summary"])
    s = s[(s.cohort_id != "all") & s.baseline_mean_cost.notna()]
    if s.empty:
        return None
    long = pd.concat(
        [
            s.assign(series="current (baseline)", value=s.baseline_mean_cost,
                     lo=s.baseline_mean_cost_lower, hi=s.baseline_mean_cost_upper),
            s.assign(series="new service (scenario)", value=s.scenario_mean_cost,
                     lo=s.scenario_mean_cost_lower, hi=s.scenario_mean_cost_upper),
        ]
    )[["scenario_id", "cohort_label", "series", "value", "lo", "hi"]]  # fmt: skip
    order = list(dict.fromkeys(s.cohort_label))
    base = alt.Chart(long).encode(
        y=alt.Y("cohort_label:N", sort=order, title=None),
        yOffset=alt.YOffset("series:N"),
        color=alt.Color("series:N", scale=alt.Scale(range=PALETTE[:2]), title=None),
    )
    bars = base.mark_bar().encode(x=alt.X("value:Q", title="Mean annual care cost per patient (£)"))
    err = base.mark_rule(color="#333").encode(x="lo:Q", x2="hi:Q")
    return theme((bars + err).facet(row=alt.Row("scenario_id:N", title=None))).to_dict()


def _blocks(d: SectionData):
    s = _order(d.frames["planning_summary"])
    r = d.frames["planning_result"]
    w = d.frames["planning_workforce"]
    dyn = d.frames["planning_dynamics"]
    blocks = []
    for sid, g in s.groupby("scenario_id", sort=False):
        name = g.scenario_name.iloc[0]
        blocks.append(rb.table(g, TABLE3, f"{name}: mean annual care cost per patient"))
        blocks.append(
            rb.table(g, SAVING, "Saving, its interval and the budget that meets the cost")
        )
        costs = r[(r.scenario_id == sid) & (r.cohort_id == "all") & (r.period == "all years")
                  & (r.measure == "cost")]  # fmt: skip
        blocks.append(rb.table(costs, SETTINGS, "Cost by setting over the simulated years"))
        staff = w[(w.scenario_id == sid) & (w.cohort_id == "all") & (w.period == "all years")]
        blocks.append(rb.table(staff, WORKFORCE, "Workforce (mean WTE over the simulated years)"))
        blocks.append(
            rb.details(
                "Cohort dynamics measured from history",
                rb.table(
                    _order(dyn[dyn.scenario_id == sid]).sort_values(["_o", "years_since"]), DYNAMICS
                ),
            )
        )
    blocks.insert(0, rb.chart("planning_table3"))
    return blocks


def _sheets(d: SectionData):
    f = d.frames
    return [
        Sheet("Planning Table 3", f["planning_summary"], "Mean annual care cost per patient by cohort, saving, budget", {"people": "int"}),
        Sheet("Planning results", f["planning_result"], "Every measure by cohort, period and setting"),
        Sheet("Planning workforce", f["planning_workforce"], "WTE by staff group"),
        Sheet("Planning dynamics", f["planning_dynamics"], "Deaths, leavers, cost ratios from history"),
    ]  # fmt: skip


def _provenance(params):
    lines = [("Scenarios", ", ".join(params.get("scenarios", [])))]
    if "runs" in params:
        lines.append(("Monte Carlo", f"{params['runs']:,} runs, seed {params.get('seed')}"))
    if "bed_day" in params:
        lines.append(("Bed-day price", str(params["bed_day"])))
    if "workforce" in params:
        lines.append(("Workforce assumptions", str(params["workforce"])))
    return lines


SECTIONS = (
    Section(
        id="planning",
        title="Planning: the Year of Care simulation",
        stage="simulate",
        command="yoc simulate --scenario FILE",
        tables=TABLES,
        template="yearofcare.planning:planning.html.j2",
        blocks=_blocks,
        charts=(Chart("planning_table3", "mean annual care cost per patient by cohort", _chart),),
        finding=_finding,
        sheets=_sheets,
        prepare=prepare,
        provenance=_provenance,
    ),
)
