"""The care economy beside England's published figures: hospital mix, prescribing, multimorbidity.

What `yoc demo` prints under "Compared with England", for one year of `person_year` (the
declared analysis population) and its activity:

| measure | England | source |
|---|---|---|
| elective and day-case admissions per 1,000 person-years registered | 25-30 and 110-120 | NHS Digital, Hospital Admitted Patient Care Activity 2023-24 |
| non-elective spend ÷ elective + day-case spend | above 1 | NHS England, National Cost Collection 2024/25 |
| non-elective spells costing under £300 | few | NCC 2024/25 (short stay average £824) |
| mean non-elective spell cost by length of stay | rising | NHS Payment Scheme (short/long stay, excess bed days) |
| people with an antidiabetic item ÷ people with diabetes | about 1 | National Diabetes Audit (most on a glucose-lowering drug) |
| 1+, 2+ long-term conditions; 2+ at 85 and over | 42.2%, 23.2%, 81.5% | Barnett et al., Lancet 2012 |

Activity rows without a supplied cost are priced as `yoc build` prices them (the configured unit
costs and uplift). Executes a few small aggregates; the figures are population-level shares and
means (no small counts are shown).
"""

from __future__ import annotations

import ibis
import pandas as pd

from yearofcare.fy import fy_expr
from yearofcare.population.analysis_population import DEFAULT_POPULATION, AnalysisPopulation
from yearofcare.population.config import PopulationConfig
from yearofcare.population.prices import load_unit_costs
from yearofcare.population.unit_rates import unit_price
from yearofcare.store import Store

#: length-of-stay bands (bed days) for the spell cost by length of stay
LOS_BANDS = (("0-1 days", 0, 1), ("2-4 days", 2, 4), ("5-9 days", 5, 9), ("10+ days", 10, 100_000))
ANTIDIABETIC = ("060101", "060102")  # BNF 6.1.1 insulins, 6.1.2 oral antidiabetic drugs
BARNETT = {"1+ LTC": 42.2, "2+ LTCs": 23.2, "2+ LTCs, aged 85+": 81.5}


def england_facts(
    store: Store,
    fy: int,
    population: AnalysisPopulation = DEFAULT_POPULATION,
    config: PopulationConfig | None = None,
) -> pd.DataFrame:
    """measure, value, england, source: one row per fact (see the module docstring)."""
    config = config or PopulationConfig()
    py = store.table("person_year")
    year = population.members(py.filter(py.fy == fy))
    m = store.to_pandas(_people(year)).iloc[0]
    spells = store.to_pandas(_spells(store, year, fy, config))
    rx = store.to_pandas(_antidiabetic(store, year, fy)).iloc[0]
    n = float(m.people) or float("nan")
    years = float(m.person_years) or float("nan")
    ne = spells[spells.setting == "acute_non_elective"]
    spend = spells.groupby("setting").cost.sum()
    planned = spend.get("acute_elective", 0.0) + spend.get("acute_day_case", 0.0)
    rows = [
        ("Elective admissions per 1,000", 1000 * m.elective / years, "25-30", "HES APC 2023-24"),
        ("Day-case admissions per 1,000", 1000 * m.day_case / years, "110-120", "HES APC 2023-24"),
        (
            "Non-elective spend / elective and day-case spend",
            spend.get("acute_non_elective", 0.0) / planned if planned else float("nan"),
            "above 1",
            "NCC 2024/25",
        ),
        (
            "Non-elective spells costing under £300 (%)",
            100 * (ne.cost < 300).mean() if len(ne) else float("nan"),
            "few",
            "NCC 2024/25",
        ),
    ]
    for label, lo, hi in LOS_BANDS:
        band = ne[(ne.bed_days >= lo) & (ne.bed_days <= hi)]
        rows.append(
            (
                f"Mean non-elective spell cost (£), {label}",
                band.cost.mean() if len(band) else float("nan"),
                "rising",
                "NHS Payment Scheme",
            )
        )
    rows += [
        (
            "People with an antidiabetic item / people with diabetes",
            rx.antidiabetic / rx.diabetes if rx.diabetes else float("nan"),
            "about 1",
            "National Diabetes Audit",
        ),
        ("1+ LTC (%)", 100 * m.ltc1 / n, "42.2", "Barnett 2012"),
        ("2+ LTCs (%)", 100 * m.ltc2 / n, "23.2", "Barnett 2012"),
        (
            "2+ LTCs, aged 85+ (%)",
            100 * m.old2 / m.old if m.old else float("nan"),
            "81.5",
            "Barnett 2012",
        ),
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "england", "source"])


def _people(year: ibis.Table) -> ibis.Table:
    old = year.age >= 85
    return year.aggregate(
        people=year.count(),
        # calendar months registered (a part month counts whole): the rates' person-years
        person_years=year.months_registered.fill_null(0).sum() / 12,
        elective=year.n_elective.sum(),
        day_case=year.n_day_case.sum(),
        ltc1=(year.ltc_count >= 1).sum(),
        ltc2=(year.ltc_count >= 2).sum(),
        old=old.sum(),
        old2=(old & (year.ltc_count >= 2)).sum(),
    )


def _spells(store: Store, year: ibis.Table, fy: int, config: PopulationConfig) -> ibis.Table:
    """Acute spells of the population's people in the year, with their cost as built."""
    a = store.table("activity")
    a = a.filter(a.setting.isin(["acute_non_elective", "acute_elective", "acute_day_case"]))
    a = a.mutate(fy=fy_expr(a.start_date).cast("int32"))
    a = a.filter(a.fy == fy)
    a = a.semi_join(year.select("person_id"), "person_id")
    costs = load_unit_costs(config.unit_costs, config.price_uplift)
    priced = unit_price(a, costs)
    return priced.select(
        "setting",
        bed_days=priced.bed_days.fill_null(0.0),
        cost=ibis.coalesce(priced.cost, priced._uc_price),
    )


def _antidiabetic(store: Store, year: ibis.Table, fy: int) -> ibis.Table:
    a = store.table("activity")
    code = a.primary_code.fill_null("")
    a = a.filter(
        (a.setting == "prescribing")
        & (a.primary_code_system == "BNF")
        & (code.startswith(ANTIDIABETIC[0]) | code.startswith(ANTIDIABETIC[1]))
        & (fy_expr(a.start_date) == fy)
    )
    treated = a.select("person_id").distinct()
    y = year.left_join(treated.mutate(rx=ibis.literal(True)), "person_id")
    return y.aggregate(
        antidiabetic=y.rx.fill_null(False).sum(),
        diabetes=y.ltc_diabetes.fill_null(False).sum(),
    )
