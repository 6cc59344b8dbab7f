"""The tariff and budget workbook a finance lead opens: inputs and assumptions first, then one
formatted sheet per view, numbers as numbers (pounds with pence, percentages as percentages).

Reads whatever finance tables the store has (a sheet for a stage that has not run says which
command to run). Counts of people pass through `disclosure.suppress` (values derived from a
small count are suppressed with it); register movements appear summarised by month and reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from yearofcare import __version__
from yearofcare.disclosure import suppress
from yearofcare.fy import fy_label
from yearofcare.store import Store

MONEY, PCT, INT, NUM, DATE = "money", "pct", "int", "num", "date"


@dataclass
class Sheet:
    name: str
    title: str
    frame: pd.DataFrame | None
    formats: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    missing: str = ""


def _pounds(frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce") / 100
    return out


def _read(store: Store, name: str) -> pd.DataFrame | None:
    return store.to_pandas(store.table(name)) if store.exists(name) else None


def _run_params(store: Store, stage: str) -> dict:
    run = store.latest_run(stage)
    return json.loads(run.parameters) if run is not None and run.parameters else {}


def sheets(store: Store) -> list[Sheet]:
    """Every sheet of the workbook, in order."""
    out = [_inputs(store), _service_map(store)]
    out += _tariff_sheets(store)
    out += _budget_sheets(store)
    out += _transaction_sheets(store)
    return out


def _inputs(store: Store) -> Sheet:
    rows = [
        ("Written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("yearofcare", __version__),
    ]
    rows.append(
        (
            "Money",
            "pounds with pence; every amount was rounded half up to the penny once, "
            "totals are sums of whole pence",
        )
    )
    rows.append(("Months", "months of the financial year: 1 = April … 12 = March"))
    t = _run_params(store, "tariff")
    if t:
        ts = t.get("tariffs", {})
        o = ts.get("outliers", {})
        rows += [
            ("Tariffs: settings version", t.get("settings_version")),
            (
                "Tariffs: service map",
                f"{t.get('map_version')} (sha256 {str(t.get('map_sha256'))[:12]})",
            ),
            ("Tariffs: years of costs", ", ".join(fy_label(int(y)) for y in t.get("years", []))),
            ("Tariffs: currencies", ", ".join(t.get("currencies", []))),
            ("Outlier treatment", o.get("method")),
            (
                "Outlier percentiles (low, high)",
                f"{o.get('low_percentile')}, {o.get('high_percentile')}",
            ),
            (
                "Cap for the high-cost pool (£ per person-year)",
                o.get("cap") or o.get("cap_percentile"),
            ),
            (
                "Bootstrap",
                f"{ts.get('bootstrap', {}).get('replicates')} replicates, seed "
                f"{ts.get('bootstrap', {}).get('seed')}, level {ts.get('bootstrap', {}).get('level')}",
            ),
            (
                "Small-tariff flags",
                f"fewer than {ts.get('flags', {}).get('min_people')} people, or "
                f"an interval wider than {ts.get('flags', {}).get('max_ci_percent')}% of the tariff",
            ),
        ]
    b = _run_params(store, "budget")
    if b:
        bs = b.get("budget", {})
        rows += [
            ("Budget: tariffs of", fy_label(int(b["tariff_fy"])) if "tariff_fy" in b else ""),
            ("Budget years", ", ".join(fy_label(int(y)) for y in b.get("years", []))),
            ("Pay and price uplift (% a year)", str(bs.get("uplift"))),
            ("Efficiency requirement (% a year)", str(bs.get("efficiency"))),
            ("Demographic growth (% a year after the first)", str(bs.get("demographic_growth"))),
            ("Case-mix change", str(bs.get("case_mix"))),
            ("Service-model effect", json.dumps(b.get("service_model", {}))),
            ("Payment schedule", b.get("schedule_shape", "")),
            (
                "Order of the budget steps",
                "base; joiners; leavers; deaths; currency changes; uplift; "
                "efficiency; demographic growth; case mix; service model; total",
            ),
        ]
    r = _run_params(store, "reconcile")
    if r:
        rows += [
            ("Reconciliation: activity up to", r.get("data_end")),
            ("Forecast interval", r.get("interval")),
            ("Billed lines not checked (unlinked)", r.get("unchecked_lines", 0)),
        ]
    frame = pd.DataFrame(rows, columns=["item", "value"]).astype({"value": "string"})
    return Sheet("Inputs and assumptions", "Inputs and assumptions", frame)


def _service_map(store: Store) -> Sheet:
    m = _read(store, "service_map")
    note = "Agreed by commissioner and providers; the most specific entry in force decides."
    return Sheet(
        "Service map",
        "Service map",
        m,
        {"effective_from": DATE, "effective_to": DATE},
        note,
        missing="yoc tariff (or yoc tag)",
    )


def _tariff_sheets(store: Store) -> list[Sheet]:
    t = _read(store, "tariff")
    money = [
        "raw_mean_pence",
        "in_scope_mean_pence",
        "tariff_pence",
        "uplifted_pence",
        "ci_low_pence",
        "ci_high_pence",
        "low_threshold_pence",
        "high_threshold_pence",
        "pool_pence",
    ]
    if t is not None:
        t = t.sort_values(["currency", "fy", "value_order"])
        t = suppress(
            t, ["people"], derived_from={c: ["people"] for c in money if c != "pool_pence"}
        )
        t = _pounds(t, money).rename(columns={c: c.removesuffix("_pence") for c in money})
        t = t.drop(columns=["suppressed"])
    b = _read(store, "tariff_bridge")
    if b is not None:
        b = _pounds(
            b.sort_values(["currency", "fy", "value", "step_order"]),
            ["amount_pence", "change_pence"],
        )
        b = b.rename(columns={"amount_pence": "amount", "change_pence": "change"})
    fmt = {c.removesuffix("_pence"): MONEY for c in money}
    fmt.update(people=INT, registered_years=NUM, ci_level=PCT, scope_date=DATE)
    return [
        Sheet(
            "Tariffs",
            "Year of Care tariffs (per registered person-year)",
            t,
            fmt,
            "Pounds per person-year. People fewer than 10 are suppressed with the values derived from them.",
            missing="yoc tariff",
        ),
        Sheet(
            "Tariff bridge",
            "Tariff bridge: how each step moved the tariff",
            b,
            {"amount": MONEY, "change": MONEY},
            missing="yoc tariff",
        ),
    ]


def _budget_sheets(store: Store) -> list[Sheet]:
    bd = _read(store, "budget")
    if bd is not None:
        bd = bd.sort_values(["cohort_id", "fy", "step_order"])
        bd = _pounds(bd, ["amount_pence", "running_total_pence"]).rename(
            columns={"amount_pence": "amount", "running_total_pence": "running_total"}
        )
        bd["percent"] = bd.percent / 100
    cover = _read(store, "budget_cover")
    if cover is not None:
        cover = _pounds(
            cover.sort_values(["cohort_id", "fy", "kind", "budget_pence"]), ["budget_pence"]
        )
        cover = cover.rename(columns={"budget_pence": "budget"})
    mv = _read(store, "budget_movement")
    if mv is not None:
        mv = mv.groupby(["cohort_id", "fy", "month", "reason"], as_index=False).agg(
            people=("person_id", "nunique"), amount_pence=("amount_pence", "sum")
        )
        mv = suppress(mv, ["people"], derived_from={"amount_pence": ["people"]}).drop(
            columns="suppressed"
        )
        mv = _pounds(mv, ["amount_pence"]).rename(columns={"amount_pence": "amount"})
    sch = _read(store, "payment_schedule")
    if sch is not None:
        sch = _pounds(
            sch.sort_values(["cohort_id", "fy", "month"]), ["amount_pence", "cumulative_pence"]
        )
        sch = sch.rename(columns={"amount_pence": "payment", "cumulative_pence": "cumulative"})
    return [
        Sheet(
            "Budget",
            "Capitated budget: each step in order",
            bd,
            {"percent": PCT, "amount": MONEY, "running_total": MONEY},
            "Memo rows (in_total FALSE) are not part of the budget.",
            missing="yoc budget",
        ),
        Sheet(
            "Budget cover",
            "Budget that covers the cohort with probability p; overspend risk",
            cover,
            {
                "probability": PCT,
                "budget": MONEY,
                "relative_to_budget": PCT,
                "overspend_probability": PCT,
            },
            missing="yoc budget",
        ),
        Sheet(
            "Movements",
            "In-year budget movements by month and reason",
            mv,
            {"people": INT, "amount": MONEY},
            "Fewer than 10 people: suppressed.",
            missing="yoc budget",
        ),
        Sheet(
            "Payment schedule",
            "Monthly payment schedule",
            sch,
            {"share": PCT, "payment": MONEY, "cumulative": MONEY, "month_start": DATE},
            "Largest remainder in whole pence: the months sum to the annual budget exactly.",
            missing="yoc budget",
        ),
    ]


def _transaction_sheets(store: Store) -> list[Sheet]:
    rec = _read(store, "reconciliation")
    money = [
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
    ]
    names = {c: c.removesuffix("_pence") for c in money}
    fmt = dict.fromkeys(names.values(), MONEY) | {"period_start": DATE, "period_end": DATE}
    summary = detail = None
    if rec is not None:
        rec = _pounds(
            rec.sort_values(["cohort_id", "fy", "level", "provider_code", "setting", "month"]),
            money,
        )
        rec = rec.rename(columns=names)
        summary = rec[rec.level != "detail"]
        detail = rec[rec.level == "detail"]
    dp = _read(store, "double_payment")
    if dp is not None:
        dp = dp.groupby(["cohort_id", "fy", "provider_code", "setting"], as_index=False).agg(
            lines=("line_id", "count"), billed_pence=("billed_pence", "sum")
        )
        dp = _pounds(dp, ["billed_pence"]).rename(columns={"billed_pence": "billed"})
    tags = None
    tag_params = _run_params(store, "tag").get("summary")
    if tag_params:
        tags = _pounds(pd.DataFrame(tag_params), ["cost_pence"]).rename(
            columns={"cost_pence": "cost"}
        )
    return [
        Sheet(
            "Reconciliation",
            "Monthly reconciliation: totals, providers and settings",
            summary,
            fmt,
            "Variance = budget − actual (positive: underspend). Forecast as at the end of each "
            "complete month.",
            missing="yoc reconcile",
        ),
        Sheet(
            "Reconciliation detail",
            "Monthly reconciliation by provider × setting",
            detail,
            fmt,
            missing="yoc reconcile",
        ),
        Sheet(
            "Double payment",
            "Billed lines for care already paid from the budget",
            dp,
            {"lines": INT, "billed": MONEY},
            missing="yoc reconcile (with billed lines loaded)",
        ),
        Sheet(
            "Activity tags",
            "Activity inside and outside the budget, by reason",
            tags,
            {"rows": INT, "cost": MONEY},
            missing="yoc tag",
        ),
    ]


def write_workbook(store: Store, path: Path) -> Path:
    """Write the workbook to `path` (its folder is created)."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True, "remove_timezone": True})
    fmts = {
        MONEY: book.add_format({"num_format": "£#,##0.00;[Red]-£#,##0.00"}),
        PCT: book.add_format({"num_format": "0.00%"}),
        INT: book.add_format({"num_format": "#,##0"}),
        NUM: book.add_format({"num_format": "#,##0.00"}),
        DATE: book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
    italic = book.add_format({"italic": True, "font_color": "#555555"})
    for sheet in sheets(store):
        ws = book.add_worksheet(sheet.name[:31])
        ws.write(0, 0, sheet.title, title)
        if sheet.frame is None:
            ws.write(2, 0, f"Not yet computed: run {sheet.missing}.", italic)
            continue
        if sheet.note:
            ws.write(1, 0, sheet.note, italic)
        _table(ws, sheet, fmts, head)
    book.close()
    return path


def _table(ws, sheet: Sheet, fmts, head) -> None:
    frame = sheet.frame.reset_index(drop=True)
    top = 3
    for j, col in enumerate(frame.columns):
        ws.write(top, j, col.replace("_", " "), head)
        kind = sheet.formats.get(col)
        width = max(10, min(45, len(col) + 2))
        ws.set_column(j, j, width if kind else max(width, 14), fmts.get(kind))
    for i, row in enumerate(frame.itertuples(index=False), start=top + 1):
        for j, v in enumerate(row):
            kind = sheet.formats.get(frame.columns[j])
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                ws.write_blank(i, j, None)
            elif kind == DATE:
                ws.write_datetime(i, j, pd.Timestamp(v).to_pydatetime(), fmts[DATE])
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, (int, float)) or hasattr(v, "item"):
                ws.write_number(i, j, float(v), fmts.get(kind))
            else:
                ws.write_string(i, j, str(v))
    ws.freeze_panes(top + 1, 0)
    if len(frame):
        ws.autofilter(top, 0, top + len(frame), len(frame.columns) - 1)
