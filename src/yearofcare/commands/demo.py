"""`yoc demo`: the whole pipeline on a synthetic care economy, from raw extracts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, options, out
from yearofcare.config import paths
from yearofcare.disclosure import rule_text


@app.command()
def demo(
    ctx: typer.Context,
    people: int = typer.Option(50_000, "--people", help="Synthetic people."),
    years: int = typer.Option(3, "--years", help="Financial years of activity."),
    seed: int = typer.Option(20261123, "--seed", help="Random seed."),
    raw_dir: Path | None = typer.Option(
        None, "--raw", help="Where the raw extracts go (default: <data-dir>-raw, outside it)."
    ),
) -> None:
    """Synthesise a care economy, write it as raw extracts with defects, ingest them (with
    opt-outs), link, check data quality and build person_year."""
    from yearofcare.demo import DemoOptions, run_demo

    opts = options(ctx)
    data_dir = Path(opts.data_dir).resolve()
    raw = raw_dir or data_dir.parent / f"{data_dir.name}-raw"
    store = open_store(ctx)
    result = run_demo(
        store,
        DemoOptions(people, years, seed, raw, paths.key_file(data_dir)),
        progress=RichProgress(),
    )
    t = Table("step", "result", title="yoc demo")
    for step, summary in result.steps:
        t.add_row(step, summary)
    out.print(t)
    if result.summary is not None:
        print_summary(result.summary)
    if result.england is not None:
        print_england(result.england, result.summary.fy if result.summary else None)
    print_web_users(ctx, store, data_dir)


def print_web_users(ctx: typer.Context, store, data_dir: Path) -> None:
    """One demo user per role for the web app, and how to start it."""
    from yearofcare.commands.web import web_settings
    from yearofcare.web.demo import demo_users

    practice = None
    if store.exists("practice"):
        codes = store.to_pandas(store.table("practice").select("practice_code").limit(1))
        practice = str(codes.practice_code.iloc[0]) if len(codes) else None
    cfg = web_settings(ctx)
    users = Table("user", "role", "password", title=f"Web app users ({cfg.state_file})")
    for name, role, password in demo_users(cfg.state_file, practice):
        users.add_row(name, role.replace("_", " "), password)
    out.print(users)
    out.print(
        f"Start the web app:  .venv/bin/yoc --data-dir {data_dir} serve --port 8000\n"
        "then open http://localhost:8000/ and log in as one of the users above "
        "(passwords are new each time the demo runs; `yoc users passwd NAME` sets one)."
    )


def _n(value: float) -> str:
    return "*" if value != value else f"{value:,.0f}"  # NaN: suppressed


def _pct(value: float) -> str:
    return "" if value != value else f"{value:.1f}%"


def print_england(facts, fy: int | None) -> None:
    """The economy beside England's published figures (population/england.py)."""
    label = f", {fy}/{(fy + 1) % 100:02d}" if fy is not None else ""
    t = Table("measure", "here", "England", "source", title=f"Compared with England{label}")
    for r in facts.itertuples():
        value = (
            "" if r.value != r.value else f"{r.value:,.2f}" if r.value < 10 else f"{r.value:,.1f}"
        )
        t.add_row(r.measure, value, r.england, r.source)
    out.print(t)


def print_summary(summary) -> None:
    """The headline tables: people, registered population, LTC prevalence, cost by setting."""
    label = f"{summary.fy}/{(summary.fy + 1) % 100:02d}"
    out.print(
        f"Analysis population (the summary and every analysis): {summary.population}; "
        f"{summary.people_outside:,} other person-years (£{summary.cost_outside:,.0f}) are "
        "outside it"
    )
    pct = "% of population"
    h = Table("measure", "people", pct, title=f"Care economy, {label}")
    for r in summary.headline.itertuples():
        h.add_row(r.measure, _n(r.people), _pct(r.percent))
    out.print(h)
    p = Table("condition (QOF register)", "people", pct, title="LTC prevalence")
    for r in summary.prevalence.itertuples():
        p.add_row(r.condition, _n(r.people), _pct(r.percent))
    out.print(p)
    c = Table(
        "setting", "cost £", "£ per person", "share", title="Cost by setting (analysis population)"
    )
    for r in summary.cost.itertuples():
        c.add_row(r.setting.replace("_", " "), _n(r.cost), f"{r.per_head:,.0f}", _pct(r.share))
    out.print(c)
    out.print(f"Small numbers protected: {rule_text()}.", markup=False)
