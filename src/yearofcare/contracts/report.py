"""The risk share as report sections, and `yoc settle --report`.

Two sections, each shown when its tables exist (otherwise the report says which command to run):

- **Risk share: settlement statements** (`yoc settle`): for each contract and period the
  headline figures, each party's account, every step from baseline to payment with the term
  that produced it, and each party's own statement;
- **Risk share: exposure before signing** (`yoc settle --simulate`): each party's gain/loss
  under alternative terms on the same simulated outturns, as a chart and a table.

The words are in `templates/`; the amounts are whole pence in the store, shown as pounds. The
statements are contract money, not counts of people: the one count they carry (people above a
stop-loss threshold) was suppressed when the statement line was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from yearofcare.contracts.money import ROUNDING_RULE
from yearofcare.contracts.run import SETTLEMENT_TABLES, SIMULATE_STAGE, STAGE
from yearofcare.errors import StageError
from yearofcare.reports import blocks as rb
from yearofcare.reports.charts import theme
from yearofcare.reports.page import Page, ensure_dir, write_page
from yearofcare.reports.render import Reader, ReportFiles, render_sections, sheets_of
from yearofcare.reports.render import stage_provenance as _stage_provenance
from yearofcare.reports.section import Chart, Section, SectionData, Sheet
from yearofcare.reports.workbook import write_workbook
from yearofcare.store import Store

ROLE_LABELS = {
    "commissioner": "Commissioner",
    "local_authority": "Local authority",
    "provider": "Provider (budget holder)",
    "pool": "Pooled budget",
}
FIGURES = [
    ("baseline", "Baseline (expected cost)"),
    ("outturn", "Outturn (actual cost)"),
    ("variance", "Gain (+) / loss (−) = baseline − outturn"),
    ("planned_payment", "Planned payment to the budget holder"),
    ("provider_budget", "Provider budget (cost target)"),
    ("payment", "Final payment to the budget holder"),
    ("income_to_cost_ratio", "Income-to-cost ratio (planned payment ÷ provider budget)"),
    ("contingency", "Contingency"),
    ("contingency_percent", "Contingency as % of the planned payment"),
    ("quality_level", "Quality level"),
    ("premium", "Quality premium"),
    ("withheld", "Withheld for outcomes"),
    ("earned", "Earned on outcomes"),
    ("carried_in", "Carried in from the previous period"),
    ("carried_out", "Carried into the next period"),
    ("remaining_variance", "Variance no term shared (stays with the holder)"),
]
_QUIET = {"carried_in", "carried_out"}  # shown only when a balance was carried
_T = "yearofcare.contracts:"


def pounds(pence: Any) -> str:
    """Whole pence as pounds and pence, a loss with a minus sign: −£1,234.56."""
    if rb.is_missing(pence):
        return ""
    value = int(pence)
    text = f"£{abs(value) // 100:,}.{abs(value) % 100:02d}"
    return f"−{text}" if value < 0 else text


def _gbp(value: float) -> str:
    return f"−£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def _figure(row: pd.Series) -> str:
    if row.unit == "pounds":
        return pounds(row.value_pence)
    if row.unit == "percent":
        return f"{row.value:.1f}%"
    if row.unit == "level":
        return f"{row.value:.0f}"
    return f"{row.value:.3f}"


def _pick(frame: pd.DataFrame, cid: str, period: str) -> pd.DataFrame:
    return frame[(frame.contract_id == cid) & (frame.period == period)]


def _period_blocks(f: Mapping[str, pd.DataFrame], cid: str, name: str, p: Any) -> list[rb.Block]:
    head = f"{name}, {p.period}"
    figs = _pick(f["settlement_figure"], cid, p.period).set_index("figure")
    shown = [
        {"figure": label, "value": _figure(figs.loc[k])}
        for k, label in FIGURES
        if k in figs.index and not (k in _QUIET and figs.loc[k].value_pence == 0)
    ]
    blocks = [
        rb.table(
            pd.DataFrame(shown),
            [rb.Col("figure", "Figure", text=True), rb.Col("value", "Value")],
            head,
            note=f"Inputs: {p.inputs_source}." if isinstance(p.inputs_source, str) else None,
        )
    ]
    parties = _pick(f["settlement_party"], cid, p.period)
    accounts = parties.assign(role_label=parties.role.map(ROLE_LABELS))
    money = ("budget", "received", "paid", "cost", "carried", "gain_loss")
    for k in money:
        accounts[k] = accounts[f"{k}_pence"].map(pounds)
    cols = [rb.Col("party_name", "Party", text=True), rb.Col("role_label", "Role", text=True)]
    labels = ("Budget", "Received", "Paid", "Cost of care", "Carried", "Gain (+) / loss (−)")
    cols += [rb.Col(k, label) for k, label in zip(money, labels, strict=True)]
    blocks.append(rb.table(accounts, cols, f"{head}: each party's account"))
    lines = _pick(f["settlement"], cid, p.period)
    steps = _pick(f["settlement_step"], cid, p.period).sort_values("step").copy()
    order = list(parties.party)
    names = dict(zip(parties.party, parties.party_name, strict=True))
    for q in order:
        mine = lines[lines.party == q].set_index("step")
        net = mine.money_in_pence - mine.money_out_pence
        steps[f"net_{q}"] = steps.step.map(net).map(pounds)
    for k in ("amount", "variance_after", "payment_after"):
        steps[k] = steps[f"{k}_pence"].map(pounds)
    cols = [
        rb.Col("step", "Step"),
        rb.Col("term", "Term", text=True),
        rb.Col("description", "What the term does", text=True),
        rb.Col("amount", "Amount"),
        *(rb.Col(f"net_{q}", f"{names[q]}: in (+) / out (−)") for q in order),
        rb.Col("variance_after", "Variance still to share"),
        rb.Col("payment_after", "Payment to the holder"),
    ]
    blocks.append(rb.table(steps, cols, f"{head}: steps from baseline to payment"))
    for q in order:
        mine = lines[lines.party == q].sort_values("step").copy()
        mine["with"] = mine.counterparty.fillna("")
        for k in ("money_in", "money_out", "share", "position_after"):
            mine[k] = mine[f"{k}_pence"].map(pounds)
        cols = [
            rb.Col("step", "Step"),
            rb.Col("term", "Term", text=True),
            rb.Col("with", "With", text=True),
            rb.Col("money_in", "Money in"),
            rb.Col("money_out", "Money out"),
            rb.Col("share", "Share of the variance"),
            rb.Col("position_after", "Gain (+) / loss (−) after the step"),
        ]
        blocks.append(rb.details(f"Statement for {names[q]} ({p.period})", rb.table(mine, cols)))
    return blocks


def _statements(d: SectionData) -> list[rb.Block]:
    f = d.frames
    out: list[rb.Block] = []
    for cid, periods in f["settlement_contract"].groupby("contract_id", sort=True):
        first = periods.iloc[0]
        sha = (first.terms_sha256 or "")[:12] if isinstance(first.terms_sha256, str) else ""
        out.append(
            rb.text(
                f"{first.contract_name} — contract {cid}, terms {first.terms_file}"
                + (f" (SHA-256 {sha}…)" if sha else "")
                + f", settle run {first.run_id}."
            )
        )
        for p in periods.itertuples():
            out += _period_blocks(f, cid, first.contract_name, p)
    return out


def _statement_finding(d: SectionData) -> str | None:
    contracts = d.frames["settlement_contract"]
    if contracts.empty:
        return None
    figures = d.frames["settlement_figure"]
    payment = figures[figures.figure == "payment"].value_pence.sum()
    return (
        f"{contracts.contract_id.nunique()} contract(s), {len(contracts)} period(s) settled; "
        f"final payments to the budget holders total {pounds(payment)}. In every period the "
        "parties' gains and losses add up to baseline − outturn (± balances carried)."
    )


def _pence_formats(frame: pd.DataFrame) -> dict[str, str]:
    return {c: "pence" for c in frame.columns if c.endswith("_pence")}


def _statement_sheets(d: SectionData) -> list[Sheet]:
    names = {
        "settlement_step": "Statement steps",
        "settlement": "Party lines",
        "settlement_party": "Accounts",
        "settlement_figure": "Figures",
        "settlement_contract": "Contracts",
    }
    described = f"Risk-share settlement ({ROUNDING_RULE})"
    return [
        Sheet(sheet, d.frames[t], described, _pence_formats(d.frames[t]))
        for t, sheet in names.items()
    ]


def exposure_chart(d: SectionData) -> dict[str, Any] | None:
    """Each party's gain/loss range by terms: P5–P95 line, P25–P75 bar, median tick, mean dot.
    Terms are labelled by contract id (and quality level); parties that never gain or lose
    (a pool emptied by apportionment) are left out of the chart, not the table."""
    frame = d.frames["settlement_exposure"]
    if frame.empty:
        return None
    level = frame.quality_level.map(lambda q: "" if pd.isna(q) else f" (level {int(q)})")
    data = frame.assign(
        party=frame.party_name + " (" + frame.role.map(ROLE_LABELS).fillna(frame.role) + ")",
        terms=frame.contract_id + level,
    )
    still = data.groupby("party")[["p5", "p95"]].agg(lambda v: (v == 0).all()).all(axis=1)
    data = data[~data.party.isin(still[still].index)]
    base = alt.Chart(data).encode(y=alt.Y("terms:N", title=None, axis=alt.Axis(labelLimit=320)))
    x = alt.X("p5:Q", title="Gain (+) / loss (−), £", axis=alt.Axis(format="~s"))
    layers = alt.layer(
        base.mark_rule(color="#768692").encode(x=x, x2="p95:Q"),
        base.mark_bar(color="#41b6e6", height=12).encode(x="p25:Q", x2="p75:Q"),
        base.mark_tick(color="#003087", thickness=2, size=14).encode(x="median:Q"),
        base.mark_point(color="#da291c", filled=True, size=40).encode(x="mean:Q"),
        base.mark_rule(color="#212b32", strokeDash=[3, 3]).encode(x=alt.datum(0)),
    ).properties(width=520)
    header = alt.Header(labelAngle=0, labelAlign="left")
    chart = layers.facet(row=alt.Row("party:N", title=None, header=header))
    return theme(chart.resolve_scale(y="independent")).to_dict()


def _exposure(d: SectionData) -> list[rb.Block]:
    frame = d.frames["settlement_exposure"].sort_values(["party_name", "scenario"]).copy()
    if frame.empty:
        return []
    first = frame.iloc[0]
    out = [
        rb.text(
            f"{int(first.draws):,} simulated outturns for period "
            f"{', '.join(sorted(frame.period.unique()))}: {first.outturn_model}. Simulation run "
            f"{first.run_id}."
        )
    ]
    out += [rb.note(n) for n in sorted({n for x in frame.notes.dropna() for n in x.split("; ")})]
    for k in ("mean", "p5", "median", "p95", "expected_shortfall"):
        frame[k] = frame[k].map(_gbp)
    frame["role_label"] = frame.role.map(ROLE_LABELS)
    cols = [
        rb.Col("party_name", "Party", text=True),
        rb.Col("role_label", "Role", text=True),
        rb.Col("scenario", "Terms", text=True),
        rb.Col("mean", "Mean"),
        rb.Col("p5", "5th percentile"),
        rb.Col("median", "Median"),
        rb.Col("p95", "95th percentile"),
        rb.Col("prob_loss", "Probability of a loss", lambda v: f"{v:.1%}"),
        rb.Col("expected_shortfall", "Expected shortfall (worst 5%)"),
    ]
    return [*out, rb.chart("risk_share_exposure"), rb.table(frame, cols, "Each party's exposure")]


def _exposure_finding(d: SectionData) -> str | None:
    frame = d.frames["settlement_exposure"]
    providers = frame[frame.role == "provider"]
    if providers.empty:
        return None
    parts = [f"{r.scenario}: {r.prob_loss:.0%}" for r in providers.itertuples()]
    return "Chance that the budget holder makes a loss — " + "; ".join(parts) + "."


def _exposure_sheets(d: SectionData) -> list[Sheet]:
    frame = d.frames["settlement_exposure"]
    money = ("mean", "sd", "p5", "p25", "median", "p75", "p95", "expected_shortfall", "worst")
    formats = dict.fromkeys((*money, "best", "mean_payment"), "money")
    formats["prob_loss"] = "pct"
    return [Sheet("Exposure", frame, "Exposure before signing (yoc settle --simulate)", formats)]


def _provenance(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    terms = params.get("terms") or []
    return [("Terms", ", ".join(map(str, terms)) or "not recorded"), ("Rounding", ROUNDING_RULE)]


SECTIONS: tuple[Section, ...] = (
    Section(
        id="risk_share",
        title="Risk share: settlement statements",
        stage=STAGE,
        command="yoc settle",
        tables=SETTLEMENT_TABLES,
        template=_T + "risk_share.html.j2",
        blocks=_statements,
        finding=_statement_finding,
        sheets=_statement_sheets,
        provenance=_provenance,
    ),
    Section(
        id="risk_share_exposure",
        title="Risk share: exposure before signing",
        stage=SIMULATE_STAGE,
        command="yoc settle --simulate",
        tables=("settlement_exposure",),
        template=_T + "risk_share_exposure.html.j2",
        blocks=_exposure,
        charts=(
            Chart("risk_share_exposure", "each party's gain or loss by terms", exposure_chart),
        ),
        finding=_exposure_finding,
        sheets=_exposure_sheets,
        provenance=_provenance,
    ),
)


def write_settlement_report(store: Store, out_dir: Path | str) -> ReportFiles:
    """Write settlement.html, settlement.xlsx and charts/ to `out_dir` from the settlement
    tables (and the exposure comparison when `yoc settle --simulate` has run)."""
    reader = Reader(store)
    if not any(store.exists(s.tables[0]) for s in SECTIONS):
        raise StageError(
            "no settlement or exposure is in the store",
            hint="run `yoc settle TERMS.yaml` (or --example lewisham), or `yoc settle --simulate`",
        )
    out = ensure_dir(Path(out_dir))
    rendered = render_sections(reader, SECTIONS, chart_dir=out / "charts")
    available = [r.section for r in rendered if not r.missing]
    page = Page(
        title="Risk-share settlement statements",
        subtitle=[
            "Every step from baseline to final payment, the term that produced it, and the "
            "money into and out of each party."
        ],
        about=[
            "Gain (+) or loss (−) = baseline (expected cost) − outturn (actual cost), as in the "
            "LGA/NHS guide to pooled budgets; a party's gain or loss is against its plan.",
            ROUNDING_RULE,
        ],
        provenance=_stage_provenance(reader, available),
    )
    html = write_page(
        out / "settlement.html", page, [(r.section.id, r.section.title, r.html) for r in rendered]
    )
    xlsx = write_workbook(
        out / "settlement.xlsx",
        sheets_of(rendered),
        [("Report", page.title), *page.provenance],
        empty_note="no rows (see the About sheet and the HTML report)",
    )
    charts = {k: v for r in rendered for k, v in r.charts.items()}
    missing = {r.section.id: r.section.command for r in rendered if r.missing}
    return ReportFiles(html, xlsx, charts, missing)


write_exposure_report = write_settlement_report
