"""`yoc build`: long-term conditions, costs and multimorbidity into `person_year`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from yearofcare.cli import RichProgress, app, open_store, out
from yearofcare.errors import ConfigError, InputError


def _years(values: list[str]) -> list[int] | None:
    years: list[int] = []
    for v in values:
        for part in v.replace(",", " ").split():
            try:
                years.append(int(part.split("/")[0]))
            except ValueError:
                raise ConfigError(
                    f"--years: {part!r} is not a financial year",
                    hint="name years by their start year, e.g. --years 2022,2023 or 2023/24",
                ) from None
    return years or None


@app.command()
def build(
    ctx: typer.Context,
    years: list[str] = typer.Option(
        [],
        "--years",
        help="Financial years by start year (2023 = 2023/24), e.g. 2022,2023. "
        "Default: every year with activity.",
    ),
    codelist: str | None = typer.Option(None, "--codelist", help="Code-list version."),
    unit_costs: str | None = typer.Option(
        None, "--unit-costs", help="Unit-cost tables, comma-separated (later ones win)."
    ),
    price_uplift: str | None = typer.Option(
        None,
        "--price-uplift",
        help="Cost index moving unit costs to the activity's year "
        "(reference/uplift/<name>.csv), or 'none' for the published prices.",
    ),
    charlson_lookback: int | None = typer.Option(
        None, "--charlson-lookback", help="Years of ICD-10 history counted for Charlson."
    ),
    keep_activity_costed: bool = typer.Option(
        False,
        "--keep-activity-costed",
        help="Also write activity_costed (each activity row with its cost, basis and source).",
    ),
    block_contracts: Path | None = typer.Option(
        None,
        "--block-contracts",
        help="CSV of block contracts to apportion (contract_id, fy, setting, provider_code, "
        "service_type, value, rule).",
    ),
) -> None:
    """Build person_year: LTC flags from codes, costs by setting, Charlson and CMS."""
    import pandas as pd

    from yearofcare.population.config import load_config
    from yearofcare.population.person_year import build as run_build

    settings: dict[str, object] = {}
    if codelist:
        settings["codelist"] = codelist
    if unit_costs:
        settings["unit_costs"] = tuple(n.strip() for n in unit_costs.split(",") if n.strip())
    if price_uplift:
        settings["price_uplift"] = None if price_uplift.lower() == "none" else price_uplift
    if charlson_lookback is not None:
        settings["charlson_lookback_years"] = charlson_lookback
    if keep_activity_costed:
        settings["keep_activity_costed"] = True
    config = load_config(**settings)
    contracts = None
    if block_contracts is not None:
        if not block_contracts.is_file():
            raise InputError(f"block contracts file {block_contracts} does not exist")
        contracts = pd.read_csv(block_contracts, dtype={"contract_id": str, "provider_code": str})
    store = open_store(ctx)
    result = run_build(
        store, config, years=_years(years), block_contracts=contracts, progress=RichProgress()
    )
    t = Table("table", "rows")
    for name, n in result.rows.items():
        t.add_row(name, f"{n:,}")
    out.print(t)
    for kind, n in result.findings.items():
        out.print(f"data quality: {n:,} {kind.replace('_', ' ')} (see build_dq_finding)")
    years_text = ", ".join(f"{y}/{(y + 1) % 100:02d}" for y in result.years)
    uplift = config.price_uplift or "none (published prices)"
    out.print(
        f"build run {result.run_id}: {years_text}; code list {config.codelist}; "
        f"unit costs {', '.join(config.unit_costs)} moved to each year by {uplift}"
    )
