"""`yoc tariff`, `yoc budget`, `yoc tag`, `yoc reconcile`: the money (yearofcare.finance)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, console, open_store, options, out
from yearofcare.fy import fy_label

SETTINGS_HELP = "Finance settings YAML (default: <data-dir>/config/finance.yaml, else built-in)."
MAP_HELP = "Service map YAML (default: <data-dir>/config/service_map.yaml, else the example)."


def _settings(ctx: typer.Context, path: Path | None):
    from yearofcare.config.paths import FINANCE_FILE, config_file
    from yearofcare.finance.settings import load_settings

    path = path or config_file(Path(options(ctx).data_dir), FINANCE_FILE)
    settings, _ = load_settings(path)
    return settings


def _service_map(ctx: typer.Context, path: Path | None):
    from yearofcare.config.paths import SERVICE_MAP_FILE, config_file
    from yearofcare.finance.map_loader import load_service_map
    from yearofcare.finance.service_map import example_path

    path = path or config_file(Path(options(ctx).data_dir), SERVICE_MAP_FILE)
    if path is None:
        path = example_path()
        console.print(
            "[bold]Note:[/] no service map given: using the shipped example "
            f"({path.name}); `yoc init` copies it to edit and agree with providers"
        )
    return load_service_map(path)


def _pounds(pence) -> str:
    return "" if pence is None or pence != pence else f"£{pence / 100:,.0f}"


def _workbook(ctx: typer.Context, store) -> None:
    from yearofcare.config.paths import FINANCE_WORKBOOK, reports_dir
    from yearofcare.finance.workbook import write_workbook

    path = write_workbook(store, reports_dir(Path(options(ctx).data_dir)) / FINANCE_WORKBOOK)
    out.print(f"workbook: {path}")


@app.command()
def tariff(
    ctx: typer.Context,
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
    service_map: Path | None = typer.Option(None, "--service-map", help=MAP_HELP),
) -> None:
    """Year of Care tariffs per currency value and year, with outliers, CI and the bridge."""
    from yearofcare.finance.tariff_stage import run_tariffs

    s = _settings(ctx, settings)
    smap = _service_map(ctx, service_map)
    store = open_store(ctx)
    result = run_tariffs(store, s, smap, progress=RichProgress())
    t = Table(
        "currency",
        "value",
        "year",
        "people",
        "tariff",
        f"{s.tariffs.bootstrap.level:.0%} CI",
        "note",
        title=f"Tariffs (service map {smap.version})",
    )
    frame = result.tariffs.sort_values(["currency", "fy", "value_order"])
    for r in frame.itertuples(index=False):
        ci = (
            f"{_pounds(r.ci_low_pence)}–{_pounds(r.ci_high_pence)}"
            if r.ci_low_pence == r.ci_low_pence
            else ""
        )
        t.add_row(
            r.currency,
            str(r.value),
            fy_label(int(r.fy)),
            f"{int(r.people or 0):,}",
            _pounds(r.tariff_pence),
            ci,
            r.note or "",
        )
    out.print(t)
    for currency, n in result.unmatched.items():
        out.print(f"{currency}: {n:,} person-year(s) matched no currency rule (no tariff)")
    out.print(f"tariff run {result.run_id}: {sum(result.rows.values()):,} rows written")


@app.command()
def budget(
    ctx: typer.Context,
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
) -> None:
    """The capitated budget per cohort and year, every adjustment shown; schedule and cover."""
    from yearofcare.finance.budget_stage import run_budget

    s = _settings(ctx, settings)
    store = open_store(ctx)
    result = run_budget(store, s, progress=RichProgress())
    for (cohort, fy), rows in result.budget.groupby(["cohort_id", "fy"]):
        t = Table(
            "step",
            "%",
            "amount",
            "running total",
            title=f"{cohort}, {fy_label(int(fy))} (tariffs of {fy_label(result.tariff_fy)})",
        )
        for r in rows.sort_values("step_order").itertuples(index=False):
            pct = "" if r.percent != r.percent or r.percent is None else f"{r.percent:+.2f}"
            label = r.label if r.in_total else f"[dim]{r.label}[/]"
            t.add_row(label, pct, _pounds(r.amount_pence), _pounds(r.running_total_pence))
        out.print(t)
    _print_map(store)
    _workbook(ctx, store)


def _print_map(store) -> None:
    """The service map is printed with every budget output: both sides must agree it."""
    m = store.to_pandas(store.table("service_map")).sort_values(["setting", "specificity"])
    t = Table(
        "setting",
        "entry",
        "selector",
        "inside",
        "from",
        "to",
        "reason",
        title=f"Service map {m.map_version.iloc[0]}",
    )
    for r in m.itertuples(index=False):
        sel = "; ".join(
            f"{c}: {getattr(r, c)}"
            for c in (
                "service_types",
                "providers",
                "providers_other_than",
                "hrg",
                "funding_routes",
                "cost_bases",
            )
            if isinstance(getattr(r, c), str)
        )
        t.add_row(
            r.setting,
            r.entry_id,
            sel,
            "yes" if r.inside else "no",
            str(r.effective_from)[:10],
            ""
            if r.effective_to is None or r.effective_to != r.effective_to
            else str(r.effective_to)[:10],
            r.reason,
        )
    out.print(t)


@app.command()
def tag(
    ctx: typer.Context,
    service_map: Path | None = typer.Option(None, "--service-map", help=MAP_HELP),
) -> None:
    """Tag every activity row inside or outside the capitated budget, with the reason."""
    from yearofcare.finance.tagging import run_tag

    smap = _service_map(ctx, service_map)
    store = open_store(ctx)
    result = run_tag(store, smap, progress=RichProgress())
    t = Table(
        "cohort",
        "year",
        "inside",
        "reason",
        "rows",
        "cost",
        title=f"Activity tags (service map {smap.version})",
    )
    for r in result.summary.sort_values(["cohort_id", "fy", "reason"]).itertuples(index=False):
        t.add_row(
            r.cohort_id,
            fy_label(int(r.fy)),
            "yes" if r.inside else "no",
            r.reason.replace("_", " "),
            f"{int(r.rows):,}",
            _pounds(r.cost_pence),
        )
    out.print(t)
    out.print(f"tag run {result.run_id}: {result.rows:,} rows tagged")


@app.command()
def reconcile(
    ctx: typer.Context,
    settings: Path | None = typer.Option(None, "--settings", help=SETTINGS_HELP),
    skip_unlinked: bool = typer.Option(
        False,
        "--skip-unlinked",
        help="Reconcile even when some billed lines cannot be linked (listed as unchecked).",
    ),
) -> None:
    """Double payment against billed lines; budget vs actual, YTD variance, forecast outturn."""
    from yearofcare.finance.reconcile_stage import run_reconcile

    s = _settings(ctx, settings)
    store = open_store(ctx)
    result = run_reconcile(store, s, skip_unlinked=skip_unlinked, progress=RichProgress())
    rec = store.to_pandas(store.table("reconciliation"))
    total = rec[(rec.level == "total") & rec.complete]
    t = Table(
        "cohort",
        "year",
        "as at",
        "YTD budget",
        "YTD actual",
        "YTD variance",
        "forecast outturn",
        f"{s.reconciliation.interval:.0%} interval",
        "annual budget",
        title="Reconciliation (latest complete month)",
    )
    for (cohort, fy), g in total.groupby(["cohort_id", "fy"]):
        r = g.sort_values("month").iloc[-1]
        interval = (
            f"{_pounds(r.forecast_low_pence)}–{_pounds(r.forecast_high_pence)}"
            if r.forecast_low_pence is not None and r.forecast_low_pence == r.forecast_low_pence
            else ""
        )
        t.add_row(
            cohort,
            fy_label(int(fy)),
            str(r.period_end)[:10],
            _pounds(r.ytd_budget_pence),
            _pounds(r.ytd_actual_pence),
            _pounds(r.ytd_variance_pence),
            _pounds(r.forecast_outturn_pence),
            interval,
            _pounds(r.annual_budget_pence),
        )
    out.print(t)
    dp = result.get("double_payment", {})
    if dp:
        d = Table(
            "provider",
            "lines",
            "billed",
            title="Double payment: billed lines for care paid from the budget",
        )
        for provider, v in sorted(dp.items()):
            if isinstance(v, dict):
                d.add_row(provider, f"{v['lines']:,}", _pounds(v["billed_pence"]))
        out.print(d)
    if result.get("unchecked"):
        out.print(
            f"{result['unchecked']:,} billed line(s) could not be linked and were not checked"
        )
    _workbook(ctx, store)
