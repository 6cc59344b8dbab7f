"""`yoc risk fit|score`, `yoc assess`, `yoc currency`: classify need (seed 000 annex 2)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, out

risk_app = typer.Typer(
    help="Fit, validate and score the risk model; set levels of need.", no_args_is_help=True
)
app.add_typer(risk_app, name="risk")

RULES_HELP = (
    "Need rules file (YAML; default: the packaged need-2026.1, `yoc init` writes a copy to edit)."
)


def _years(value: str | None) -> tuple[int, ...] | None:
    from yearofcare.errors import ConfigError

    if not value:
        return None
    try:
        return tuple(int(p.split("/")[0]) for p in value.replace(",", " ").split())
    except ValueError:
        raise ConfigError(
            f"--train-fys: {value!r} is not a list of years", hint="e.g. --train-fys 2022,2023"
        ) from None


@risk_app.command("fit")
def risk_fit(
    ctx: typer.Context,
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
    train_fys: str | None = typer.Option(
        None,
        "--train-fys",
        help="Feature years to train on (default: all but the last with a next year).",
    ),
    validation_fy: int | None = typer.Option(
        None, "--validation-fy", help="Held-out feature year (default: the last with a next year)."
    ),
) -> None:
    """Fit the risk model (emergency admission next year; total cost) and validate it on a
    held-out later year beside CMS alone, prior cost alone, LTC count alone and gradient boosting."""
    from yearofcare.config import settings
    from yearofcare.segmentation.risk import RiskOptions, run_risk_fit

    opts = settings(
        RiskOptions, rules=rules, train_fys=_years(train_fys), validation_fy=validation_fy
    )
    result = run_risk_fit(open_store(ctx), opts, progress=RichProgress())
    out.print(
        f"model {result.model_id}: trained on {', '.join(map(str, result.train_fys))}, "
        f"validated on {result.validation_fy}"
    )
    v = result.validation
    if len(v):
        t = Table("method", "C-statistic (95% CI)", "PPV top 1%", "R² cost")
        for _method, g in v.groupby("method", sort=False):
            c = g[(g.measure == "c_statistic")]
            p = g[(g.measure == "ppv") & (g.top_percent == 1.0)]
            r = g[g.measure == "r_squared"]
            t.add_row(
                str(g.method_label.iloc[0]),
                f"{c.value.iloc[0]:.3f} ({c.lower.iloc[0]:.3f}–{c.upper.iloc[0]:.3f})"
                if len(c)
                else "",
                f"{p.value.iloc[0]:.1%}" if len(p) else "",
                f"{r.value.iloc[0]:.3f}" if len(r) else "",
            )
        out.print(t)
    for note in result.notes[:10]:
        out.print(f"note: {note}")


@risk_app.command("score")
def risk_score(
    ctx: typer.Context,
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
) -> None:
    """Score every person-year with the stored model and set levels of need, the 3×3 matrix,
    rising risk and annual change (need_level)."""
    from yearofcare.config import settings
    from yearofcare.segmentation.risk import RiskOptions, run_risk_score

    result = run_risk_score(
        open_store(ctx), settings(RiskOptions, rules=rules), progress=RichProgress()
    )
    t = Table("year", "Low", "Medium", "High", "End of life")
    piv = result.levels.pivot(index="fy", columns="level", values="people").fillna(0)
    for fy, row in piv.iterrows():
        total = row.sum()
        t.add_row(
            str(fy),
            *[
                f"{row.get(lv, 0):,.0f} ({row.get(lv, 0) / total:.0%})"
                for lv in ("Low", "Medium", "High", "End of life")
            ],
        )
    out.print(t)
    out.print(f"risk_score and need_level written by run {result.run_id} (model {result.model_id})")


@app.command()
def assess(
    ctx: typer.Context,
    rules: Path | None = typer.Option(None, "--rules", help=RULES_HELP),
) -> None:
    """DST assessments: the level the domains support, concordance with the risk profile
    (weighted kappa) and the upcoding audit of assessors and providers."""
    from yearofcare.config import settings
    from yearofcare.segmentation.assess import AssessOptions, run_assess

    result = run_assess(
        open_store(ctx), settings(AssessOptions, rules=rules), progress=RichProgress()
    )
    t = Table("compared with", "weights", "assessments", "kappa (95% CI)")
    for r in result.agreement.itertuples():
        t.add_row(
            r.comparison,
            r.weights,
            f"{r.assessments:,}",
            f"{r.kappa:.3f} ({r.lower:.3f}–{r.upper:.3f})",
        )
    out.print(t)
    flagged = result.audit[result.audit.flagged]
    for r in flagged.itertuples():
        out.print(
            f"flagged: {r.unit} {r.unit_id} concluded above the {r.comparison.replace('_', ' ')} in "
            f"{r.above:,} of {r.assessments:,} ({r.share_above:.0%}; limit {r.upper_998:.0%})"
        )
    if flagged.empty:
        out.print("no assessor or provider above the 99.8 % limit")
    for note in result.notes:
        out.print(f"note: {note}")


@app.command()
def currency(
    ctx: typer.Context,
    currencies: Path | None = typer.Option(
        None,
        "--currencies",
        help="Currencies file (YAML; default: the packaged currencies-2026.1).",
    ),
) -> None:
    """Give every person-year a value of every configured currency (person_currency)."""
    from yearofcare.config import settings
    from yearofcare.segmentation.currency_stage import CurrencyOptions, run_currency

    result = run_currency(
        open_store(ctx), settings(CurrencyOptions, currencies=currencies), progress=RichProgress()
    )
    for name, n in result.unmatched.items():
        state = (
            f"{n:,} person-years matched no rule (kept, matched = false)"
            if n
            else "every person-year matched"
        )
        out.print(f"{name}: {state}")
    out.print(f"person_currency written by run {result.run_id} ({result.version})")
