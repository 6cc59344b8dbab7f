"""The risk-share step of `make demo`: the demo cohort's budget settled under two contracts.

When the money stage has run (`budget` and `reconciliation` for one cohort), the contracts
settle that cohort's budget: the budget of its latest reconciled year, the reconciliation's
outturn, its members' costs tagged inside the budget (for the stop-loss), and the simulation
draws from the money stage's predictive bootstrap (budget_cover). Otherwise the cohort is the
people with 3 or more LTCs in the latest year of person_year, its budget a one-tariff
capitated budget (the cohort's people × the mean cost per person of people with 3+ LTCs the
year before) and its outturn the cohort's actual cost that year. Either way, the part of the
budget that paid for cost above the £50k stop-loss threshold the year before (the members'
costs then) is handed to the pool with the high-cost risk. The two sample
contracts share parties (an ICB and a council pooling the budget under section 75, an
integrated care partnership holding it):

- tiered: the packaged tiered-share terms (stop-loss, contingency, tiers, apportionment);
- AQC: the Blue Cross AQC levels on the same pool: premiums and the shares at levels 1 and 5 as
  published, the shares at levels 2-4 sample local terms (`LOCAL_LEVELS`). The year's quality
  level comes from the outcomes stage (outcome_achievement) when it has run, else level 1.

Both are settled (statements), then simulated on the same 100,000 bootstrap outturns of the
cohort's own costs (the AQC at each of its five levels), and the report is written.
The terms files used are written beside the report so the statements trace to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from yearofcare.contracts.money import parse_money
from yearofcare.contracts.run import (
    SettleOptions,
    SimulateOptions,
    example_path,
    run_settle,
    run_simulate,
)
from yearofcare.contracts.sources import (
    achievement_from_store,
    cohort_costs,
    money_cohort,
    register_costs,
)
from yearofcare.fy import fy_label
from yearofcare.progress import SILENT, Progress
from yearofcare.reports.formats import signed_money
from yearofcare.store import Store

MIN_LTC = 3
QUALITY_LEVEL = 1  # stated when the outcomes stage has not given the year a quality level
#: The demo's own terms for AQC levels 2-4 (the AQC publishes levels 1 and 5 only): a sample
#: local agreement, evenly between the published levels, as (overspend %, surplus %) of the
#: partnership. A real contract writes the shares its parties agreed.
LOCAL_LEVELS = {2: (65, 35), 3: (50, 50), 4: (35, 65)}
SPREAD = "3%"  # systematic spread on top of the bootstrap (trend uncertainty)
ICB_SHARE = Decimal("0.75")


@dataclass(frozen=True)
class DemoSettlement:
    summary: str
    html: Path
    xlsx: Path


def _read(name: str) -> dict[str, Any]:
    return yaml.safe_load(example_path(name).read_text(encoding="utf-8"))


def demo_terms(
    baseline: Decimal, fy: int, funded: Decimal, budget: str
) -> dict[str, dict[str, Any]]:
    """The two sample contracts for a cohort budget of `baseline` pounds in year `fy` (`budget`
    says where it came from), of which `funded` pays for cost above the stop-loss threshold
    (handed to the pool with it)."""
    tiered = _read("tiered_pooled.yaml")
    icb = (baseline * ICB_SHARE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    pool = dict(
        tiered["pool"],
        total=str(baseline),
        contributions={"icb": str(icb), "council": str(baseline - icb)},
    )
    common = {
        "parties": tiered["parties"],
        "pool": pool,
        "holder": tiered["holder"],
        "payer": tiered["payer"],
        "periods": [{"id": fy_label(fy)}],
    }
    mech = dict(tiered["mechanisms"])
    mech["high_cost"] = dict(mech["high_cost"], funded_in_baseline=str(funded))
    aqc_levels = dict(_read("aqc_blue_cross.yaml")["mechanisms"]["quality"]["levels"])
    for level, (over, surplus) in LOCAL_LEVELS.items():
        aqc_levels[level] = dict(aqc_levels[level], overspend=over, surplus=surplus)
    return {
        "tiered": {
            "contract": "demo-tiered",
            "name": "Tiered risk share of the demo cohort's budget",
            "source": "yearofcare demo: the packaged tiered_pooled.yaml terms on " + budget,
            **common,
            "apply": ["high_cost", "contingency", "tiers", "apportion"],
            "mechanisms": {k: mech[k] for k in ("high_cost", "contingency", "tiers", "apportion")},
        },
        "aqc": {
            "contract": "demo-aqc",
            "name": "Quality-linked risk share (AQC levels) of the demo cohort's budget",
            "source": "yearofcare demo: the published Blue Cross AQC levels (DH 2012 annex 4.3) "
            "on " + budget,
            **common,
            "apply": ["high_cost", "quality", "apportion"],
            "mechanisms": {
                "high_cost": mech["high_cost"],
                "quality": {
                    "type": "quality_share",
                    "description": "AQC quality premium and risk share by quality level (levels "
                    "1 and 5 as published; the shares at 2-4 are sample local terms)",
                    "payer": "s75_pool",
                    "levels": aqc_levels,
                },
                "apportion": mech["apportion"],
            },
        },
    }


def settle_demo(store: Store, reports: Path, progress: Progress = SILENT) -> DemoSettlement:
    """Settle and simulate the demo cohort under the two sample contracts; write the report."""
    from yearofcare.contracts.report import write_settlement_report

    money = money_cohort(store)
    if money is not None:
        cohort_id, fy, baseline = money
        cohort = register_costs(store, cohort_id, fy)
        who = f"cohort {cohort_id} ({cohort.people:,} people on its register)"
        source = "the money stage's budget and reconciliation of cohort " + cohort_id
        rule: dict[str, Any] = {"cohort": cohort_id}
    else:
        cohort = cohort_costs(store, MIN_LTC)
        baseline = Decimal(round(cohort.capitated_baseline))
        who = f"{cohort.people:,} people with {MIN_LTC}+ LTCs"
        source = f"a one-tariff budget of the people with {MIN_LTC}+ LTCs"
        rule = {"min_ltc": MIN_LTC}
    threshold = parse_money(_read("tiered_pooled.yaml")["mechanisms"]["high_cost"]["threshold"])
    funded = Decimal(round(cohort.prior_excess(float(threshold))))
    out = reports / "settlement"
    terms_dir = out / "terms"
    terms_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in demo_terms(baseline, cohort.fy, funded, source).items():
        path = terms_dir / f"demo_{name}.yaml"
        path.write_text(
            "# Written by `yoc demo` from the packaged sample terms; see docs/contracts.md.\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        paths.append(str(path))
    _, levels = achievement_from_store(store)
    stated = () if cohort.fy in levels else (str(QUALITY_LEVEL),)
    settled = run_settle(
        store,
        SettleOptions(terms=tuple(paths), quality_level=stated, **rule),
        progress=progress,
    )
    simulated = run_simulate(
        store,
        SimulateOptions(terms=tuple(paths), spread=SPREAD, **rule),
        progress=progress,
    )
    files = write_settlement_report(store, out)
    tiered = settled.settlements[0].periods[0]
    icp = tiered.parties["icp"]["gain_loss"]
    summary = (
        f"{who} in {fy_label(cohort.fy)}: budget {signed_money(baseline)}, outturn "
        f"{signed_money(tiered.figures['outturn'])}; under the tiered terms the care partnership "
        f"{'loses' if icp < 0 else 'gains'} {signed_money(abs(icp))}; exposure of "
        f"{len(simulated.scenarios)} scenarios over {simulated.draws.outturn.size:,} outturns; "
        f"report {files.html}"
    )
    return DemoSettlement(summary, files.html, files.xlsx)
