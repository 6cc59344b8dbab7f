"""The RRR report sections (reports layer): "Rehabilitation, reablement and recovery (RRR)" —
money that could move out of the acute tariff by group, provider and tier — and the
delayed-discharge audit by reason and ward (Figure 10's view). Stored in pence, unsuppressed;
`prepare` turns pence into pounds and passes every count through `disclosure.suppress`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from yearofcare.disclosure import DisclosurePolicy, suppress
from yearofcare.fy import fy_label
from yearofcare.reports import Chart, Section
from yearofcare.reports import blocks as rb
from yearofcare.reports.charts import PALETTE, theme
from yearofcare.reports.formats import integer, number, percent, signed_money
from yearofcare.reports.section import SectionData, Sheet
from yearofcare.schemas.planning import ALL

_MONEY = ("tariff", "acute", "released", "rrr", "net")


def _prepare_rrr(frames, policy: DisclosurePolicy):
    s = frames["rrr_summary"].copy()
    for m in _MONEY:
        s[m] = s[f"{m}_pence"] / 100
    s = s.drop(columns=[f"{m}_pence" for m in _MONEY])
    s = suppress(
        s,
        ["spells", "spells_unbundled"],
        ["bed_days", "acute_days", "rrr_days", "rrr_share", *_MONEY],
        policy,
        derived_from={c: ["spells"] for c in ("bed_days", "acute_days", "tariff", "acute")},
    )
    s["year"] = s.fy.map(lambda y: fy_label(int(y)))
    return {"rrr_summary": s}


def _prepare_delays(frames, policy: DisclosurePolicy):
    d = frames["delayed_discharge_summary"].copy()
    d["cost"] = d.cost_pence / 100
    d = d.drop(columns=["cost_pence"])
    d = suppress(
        d,
        ["patients", "delayed"],
        ["delayed_days", "mean_delay", "share_of_delayed", "cost"],
        policy,
        totals=["delayed_days"],
        per={"mean_delay": "delayed"},
        shares={"share_of_delayed": "delayed"},
    )
    d["year"] = d.fy.map(lambda y: fy_label(int(y)))
    return {"delayed_discharge_summary": d}


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.fy == frame.fy.max()] if len(frame) else frame


RRR_COLS = [
    rb.Col("group_label", "Group", text=True),
    rb.Col("provider_code", "Provider", text=True),
    rb.Col("spells", "Spells", integer),
    rb.Col("spells_unbundled", "Beyond trim", integer),
    rb.Col("rrr_days", "RRR days", integer),
    rb.Col("rrr_share", "RRR share of bed days", percent),
    rb.Col("tariff", "Tariff", signed_money),
    rb.Col("released", "Released", signed_money),
    rb.Col("rrr", "RRR tariff", signed_money),
    rb.Col("net", "Could move", signed_money),
]
TIER_COLS = [rb.Col("need_tier", "Tier", text=True), *RRR_COLS[2:]]


def _rrr_blocks(d: SectionData) -> list[rb.Block]:
    s = _latest(d.frames["rrr_summary"])
    if s.empty:
        return [rb.note("No emergency spells of the RRR groups in the store.")]
    year = s.year.iloc[0]
    by_group = s[(s.provider_code == ALL) & (s.need_tier == ALL)]
    by_provider = s[(s.group_id != ALL) & (s.provider_code != ALL) & (s.need_tier == ALL)]
    by_tier = s[(s.group_id == ALL) & (s.provider_code == ALL) & (s.need_tier != ALL)]
    return [
        rb.chart("rrr_by_group"),
        rb.table(by_group, RRR_COLS, f"{year}: by group (all providers)"),
        rb.table(by_provider, RRR_COLS, f"{year}: by group and provider"),
        rb.table(by_tier, TIER_COLS, f"{year}: by tier of the RRR tariff"),
    ]


def _rrr_finding(d: SectionData) -> str | None:
    s = _latest(d.frames["rrr_summary"])
    t = s[(s.group_id == ALL) & (s.provider_code == ALL) & (s.need_tier == ALL)]
    if t.empty or pd.isna(t.spells.iloc[0]) or pd.isna(t.released.iloc[0]):
        return None
    r = t.iloc[0]
    return (
        f"{r.year}: {r.spells:,.0f} emergency spells of the RRR groups, {r.spells_unbundled:,.0f} "
        f"beyond the trim point; {signed_money(r.released)} of {signed_money(r.tariff)} released from the "
        f"acute tariff, {signed_money(r.rrr)} at the RRR tariff, {signed_money(r.net)} could move to "
        "community step-up / step-down."
    )


def _rrr_chart(d: SectionData):
    s = _latest(d.frames["rrr_summary"])
    g = s[(s.group_id != ALL) & (s.provider_code == ALL) & (s.need_tier == ALL)]
    g = g.dropna(subset=["released", "rrr"])
    if g.empty:
        return None
    long = g.melt(
        id_vars=["group_label"],
        value_vars=["released", "rrr"],
        var_name="part",
        value_name="pounds",
    )
    long["part"] = long.part.map(
        {"released": "Released from the acute tariff", "rrr": "RRR tariff"}
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("group_label:N", title="Group"),
            xOffset="part:N",
            y=alt.Y("pounds:Q", title="£"),
            color=alt.Color("part:N", title="", scale=alt.Scale(range=PALETTE[:2])),
            tooltip=["group_label", "part", alt.Tooltip("pounds:Q", format=",.0f")],
        )
    )
    return theme(chart).to_dict()


DELAY_COLS = [
    rb.Col("reason_label", "Reason", text=True),
    rb.Col("patients", "Stays", integer),
    rb.Col("delayed", "Delayed", integer),
    rb.Col("share_of_delayed", "Share of delayed", percent),
    rb.Col("delayed_days", "Delayed days", integer),
    rb.Col("mean_delay", "Days per delayed stay", number),
    rb.Col("cost", "Cost", signed_money),
]
WARD_COLS = [
    rb.Col("provider_code", "Provider", text=True),
    rb.Col("ward", "Ward", text=True),
    *DELAY_COLS[1:],
]


def _delay_blocks(d: SectionData) -> list[rb.Block]:
    f = _latest(d.frames["delayed_discharge_summary"])
    if f.empty:
        return [rb.note("The audit holds no stays.")]
    year = f.year.iloc[0]
    reasons = f[(f.provider_code == ALL) & (f.ward == ALL)]
    wards = f[(f.provider_code != ALL) & (f.ward != ALL) & (f.reason == ALL)]
    return [
        rb.chart("rrr_delays_by_reason"),
        rb.table(reasons, DELAY_COLS, f"{year}: delayed discharges by reason"),
        rb.table(wards, WARD_COLS, f"{year}: by ward"),
    ]


def _delay_finding(d: SectionData) -> str | None:
    f = _latest(d.frames["delayed_discharge_summary"])
    t = f[(f.provider_code == ALL) & (f.ward == ALL) & (f.reason == ALL)]
    if t.empty or pd.isna(t.delayed.iloc[0]) or pd.isna(t.cost.iloc[0]):
        return None
    r = t.iloc[0]
    share = r.delayed / r.patients if r.patients else 0
    return (
        f"{r.year}: {r.delayed:,.0f} of {r.patients:,.0f} audited stays ({share:.0%}) were delayed "
        f"after the patient was medically fit: {r.delayed_days:,.0f} bed days, {signed_money(r.cost)}."
    )


def _delay_chart(d: SectionData):
    f = _latest(d.frames["delayed_discharge_summary"])
    r = f[(f.provider_code == ALL) & (f.ward == ALL) & ~f.reason.isin([ALL, "not_delayed"])]
    r = r.dropna(subset=["delayed_days"])
    if r.empty:
        return None
    chart = (
        alt.Chart(r)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("reason_label:N", title="", sort="-x"),
            x=alt.X("delayed_days:Q", title="Delayed bed days"),
            tooltip=["reason_label", "delayed", "delayed_days"],
        )
    )
    return theme(chart).to_dict()


def _rrr_sheets(d: SectionData) -> list[Sheet]:
    return [
        Sheet(
            "rrr_summary",
            d.frames["rrr_summary"],
            "RRR unbundling by year, group, provider and tier (all = every one); pounds.",
            dict.fromkeys(_MONEY, "money") | {"rrr_share": "pct"},
        )
    ]


def _delay_sheets(d: SectionData) -> list[Sheet]:
    return [
        Sheet(
            "delayed_discharges",
            d.frames["delayed_discharge_summary"],
            "Delayed discharges by year, provider, ward and reason (all = every one); pounds.",
            {"cost": "money", "share_of_delayed": "pct", "mean_delay": "num"},
        )
    ]


SECTIONS = (
    Section(
        id="rrr",
        title="Rehabilitation, reablement and recovery (RRR)",
        stage="rrr",
        command="yoc rrr",
        tables=("rrr_summary",),
        template="yearofcare.planning:rrr.html.j2",
        blocks=_rrr_blocks,
        charts=(Chart("rrr_by_group", "money released and RRR tariff by group", _rrr_chart),),
        finding=_rrr_finding,
        sheets=_rrr_sheets,
        prepare=_prepare_rrr,
    ),
    Section(
        id="rrr_delays",
        title="RRR: delayed discharges by reason and ward",
        stage="rrr",
        command="yoc ingest --source delayed_discharge, then yoc rrr",
        tables=("delayed_discharge_summary",),
        template="yearofcare.planning:rrr_delays.html.j2",
        blocks=_delay_blocks,
        charts=(Chart("rrr_delays_by_reason", "delayed bed days by reason", _delay_chart),),
        finding=_delay_finding,
        sheets=_delay_sheets,
        prepare=_prepare_delays,
    ),
)
