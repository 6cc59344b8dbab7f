"""One declared analysis population for the summary and every analysis, stated on every output
(issue 9 item 3). The analyses used to count every person-year — never-registered, unlinked
fragments included — while the summary counted the registered population, so prevalence and
rates per person disagreed between the two."""

from __future__ import annotations

from datetime import date

import pytest

from tests.spec import load, rows, spec_test
from yearofcare import schemas
from yearofcare.commands.demo import print_summary
from yearofcare.config import settings
from yearofcare.errors import ConfigError
from yearofcare.population.analysis import AnalysisOptions, run_analyses
from yearofcare.population.analysis.beds import bed_demand
from yearofcare.population.analysis.cost_by_ltc import cost_by_ltc_age
from yearofcare.population.analysis_population import AnalysisPopulation
from yearofcare.population.summary import summarise

FY = 2024


def _py(pid: str, months: int, ltcs: int, cost: float = 100.0) -> dict:
    return {
        "person_id": pid,
        "fy": FY,
        "age": 70,
        "age_band": "65-74",
        "sex": "F",
        "months_registered": months,
        "died_in_year": False,
        "ltc_count": ltcs,
        "cost_total": cost,
        "cost_gp": cost,
        "cost_non_elective": 0.0,
    }


# 20 registered all year with one LTC, 10 registered for 3 months with none, 15 never
# registered (unlinked hospital and social-care fragments) with one LTC
PEOPLE = (
    [_py(f"r{i}", 12, 1, 300.0) for i in range(20)]
    + [_py(f"q{i}", 3, 0) for i in range(10)]
    + [_py(f"u{i}", 0, 1, 1000.0) for i in range(15)]
)


def test_every_analysis_counts_the_declared_population(store):
    load(store, {"person_year": PEOPLE})
    py = store.table("person_year")
    for population, ltc_band_people in (
        (AnalysisPopulation(), {"0": 10, "1": 20}),  # default: registered during the year
        (AnalysisPopulation(min_months=6), {"1": 20}),
        (AnalysisPopulation(rule="everyone"), {"0": 10, "1": 35}),
    ):
        got = rows(store, cost_by_ltc_age(population.members(py), None), ["ltc_band"])
        assert {r["ltc_band"]: r["people"] for r in got} == ltc_band_people, population


def test_bed_days_count_only_the_population(store):
    stays = [
        {
            "activity_id": f"a{pid}",
            "person_id": pid,
            "source": "spec",
            "setting": "acute_non_elective",
            "start_date": date(2024, 5, 1),
            "end_date": date(2024, 5, 11),
            "bed_days": 10.0,
        }
        for pid in ("r0", "u0")  # u0 is not registered
    ]
    spec_test(
        store,
        {"person_year": PEOPLE, "activity": stays},
        lambda s: (
            (
                t := bed_demand(
                    s.table("activity"),
                    [FY],
                    members=AnalysisPopulation().members(s.table("person_year")),
                )
            )
            .filter(t.month == date(2024, 5, 1))
            .select("people", "bed_days")
        ),
        [{"people": 1, "bed_days": 10.0}],
    )


def test_summary_and_analyses_agree_and_state_the_population(store, capsys):
    load(store, {"person_year": PEOPLE, "person": []})
    result = run_analyses(store, AnalysisOptions.build())
    summary = summarise(store, FY)
    headline = summary.headline.set_index("measure").people
    who = "registered with a practice during the year"
    assert summary.population == who
    assert headline[f"Analysis population ({who})"] == 30
    assert headline["With 1+ LTC"] == 20
    by_band = result.tables["analysis_cost_by_ltc_age"].set_index("ltc_band").people
    assert by_band.sum() == 30 and by_band["1"] == 20  # the same 30 people, the same 20
    # the cost per head of the summary is the analyses' mean cost over the same people
    total = summary.cost.set_index("setting").loc["total"]
    assert total.per_head == pytest.approx((20 * 300 + 10 * 100) / 30)
    assert summary.cost_outside == 15 * 1000
    print_summary(summary)  # `yoc demo` prints the tables with the disclosure rule
    assert "Small numbers protected: counts from 1 to 9" in capsys.readouterr().out
    for name, frame in result.tables.items():
        assert "analysis_population" in schemas.get(name).names
        assert set(frame.analysis_population) <= {who}, name


def test_a_bad_population_setting_is_a_config_error():
    with pytest.raises(ConfigError, match="min_months"):
        settings(AnalysisPopulation, rule="registered", min_months=13)
    with pytest.raises(ConfigError, match="rule"):
        settings(AnalysisPopulation, rule="resident")
