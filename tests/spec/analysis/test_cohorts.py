"""Spec: crisis curve, cohort turnover and risk-vs-multimorbidity overlap, on tiny tables."""

from __future__ import annotations

from datetime import date

import pytest

from tests.spec import load, rows
from yearofcare.errors import ConfigError
from yearofcare.population.analysis.common import SelectionRule
from yearofcare.population.analysis.concentration import cost_concentration
from yearofcare.population.analysis.crisis_curve import crisis_curve
from yearofcare.population.analysis.risk_overlap import risk_overlap, scores_for_year
from yearofcare.population.analysis.turnover import cohort_turnover

FYS = (2022, 2023, 2024)
LTC2 = SelectionRule(kind="ltc_min", value=2)
TOP25 = SelectionRule(kind="top_cost", value=25)


def py(pid, fy, ltc, cost, died=False, sex="F"):
    return {
        "person_id": pid,
        "fy": fy,
        "ltc_count": ltc,
        "cost_total": cost,
        "died_in_year": died,
        "sex": sex,
        "n_non_elective": 1 if cost >= 1000 else 0,
        "n_emergency": 1 if cost >= 1000 else 0,
    }


# a: 2 LTCs all three years, £1,000 -> £400 -> £200
# b: 3 LTCs, £3,000 in 2022, £5,000 in 2023 and dies in 2023
# c: no LTCs, £100 in 2022, then leaves the area
# d: 2 LTCs, £600 in 2022, away in 2023, back in 2024 at £300 (a man)
# e: no LTCs, £2,000 in 2022, £10 in 2023, £20 in 2024
PEOPLE = [
    py("a", 2022, 2, 1000.0),
    py("a", 2023, 2, 400.0),
    py("a", 2024, 2, 200.0),
    py("b", 2022, 3, 3000.0),
    py("b", 2023, 3, 5000.0, died=True),
    py("c", 2022, 0, 100.0),
    py("d", 2022, 2, 600.0, sex="M"),
    py("d", 2024, 2, 300.0, sex="M"),
    py("e", 2022, 0, 2000.0),
    py("e", 2023, 0, 10.0),
    py("e", 2024, 0, 20.0),
]


def _curve(store, rules, by=None):
    got = rows(store, crisis_curve(store.table("person_year"), FYS, rules, by))
    return {(r["split_value"], r["rule"], r["selection_fy"], r["fy"]): r for r in got}


def test_crisis_curve_follows_the_cohort_and_counts_deaths(store):
    load(store, {"person_year": PEOPLE})
    got = _curve(store, [LTC2])
    y0, y1, y2 = (got[("All", "ltc_min:2", 2022, fy)] for fy in FYS)
    # selected in 2022 with 2+ LTCs: a, b, d
    assert (y0["members"], y0["observed"], y0["years_since"]) == (3, 3, 0)
    assert y0["mean_cost_per_member"] == pytest.approx((1000 + 3000 + 600) / 3)
    # 2023: a and b seen (b dies), d away
    assert (y1["observed"], y1["died_in_year"], y1["died_cumulative"]) == (2, 1, 1)
    assert y1["lost_to_follow_up"] == 1
    assert y1["mean_cost_observed"] == pytest.approx((400 + 5000) / 2)
    assert y1["mean_cost_per_member"] == pytest.approx((400 + 5000) / 3)
    # 2024: a and d seen; b dead (not lost)
    assert (y2["observed"], y2["died_in_year"], y2["died_cumulative"]) == (2, 0, 1)
    assert y2["lost_to_follow_up"] == 0
    assert y2["mean_cost_per_member"] == pytest.approx((200 + 300) / 3)
    # the cohort selected in 2023 (a, b) is followed from 2023
    assert got[("All", "ltc_min:2", 2023, 2024)]["mean_cost_per_member"] == pytest.approx(200 / 2)
    assert ("All", "ltc_min:2", 2024, 2023) not in got  # never followed backwards


def test_crisis_curve_of_top_cost_cohort_regresses(store):
    load(store, {"person_year": PEOPLE})
    got = _curve(store, [TOP25])
    # top 25% of 5 people in 2022 = ceil(1.25) = 2: b (£3,000) and e (£2,000)
    y0, y1, y2 = (got[("All", "top_cost:25", 2022, fy)] for fy in FYS)
    assert y0["members"] == 2
    assert y0["mean_cost_per_member"] == pytest.approx((3000 + 2000) / 2)
    assert y1["mean_cost_per_member"] == pytest.approx((5000 + 10) / 2)
    assert y2["observed"] == 1 and y2["died_cumulative"] == 1
    assert y2["mean_cost_observed"] == pytest.approx(20)
    assert y2["mean_cost_per_member"] == pytest.approx(20 / 2)
    assert y0["with_emergency_admission"] == 2 and y2["share_with_emergency_admission"] == 0


def test_turnover_accounts_for_every_member(store):
    load(store, {"person_year": PEOPLE})
    expr = cohort_turnover(store.table("person_year"), FYS, [LTC2, TOP25])
    got = {(r["rule"], r["fy_from"]): r for r in rows(store, expr)}
    first = got[("ltc_min:2", 2022)]
    # 2022 {a, b, d} -> 2023 {a, b}: a and b kept, d away
    assert (first["members"], first["retained"], first["left_area"], first["died"]) == (3, 2, 1, 0)
    assert (first["dropped_out"], first["joiners"], first["members_next"]) == (0, 0, 2)
    assert first["retention"] == pytest.approx(2 / 3)
    assert first["retention_among_present"] == pytest.approx(2 / 2)
    second = got[("ltc_min:2", 2023)]
    # 2023 {a, b} -> 2024 {a, d}: a kept, b died in 2023, d joins
    assert (second["retained"], second["died"], second["joiners"]) == (1, 1, 1)
    assert second["fy_to"] == 2024
    top = got[("top_cost:25", 2022)]
    # 2022 {b, e} -> 2023 top ceil(0.75) = 1 of 3: {b}; e still here but no longer top
    assert (top["members"], top["retained"], top["dropped_out"]) == (2, 1, 1)
    assert top["retention_among_present"] == pytest.approx(1 / 2)
    assert ("ltc_min:2", 2024) not in got  # no year after the last


def test_turnover_split_by_group(store):
    load(store, {"person_year": PEOPLE})
    expr = cohort_turnover(store.table("person_year"), FYS, [LTC2], by="sex")
    got = {(r["split_value"], r["fy_from"]): r for r in rows(store, expr)}
    assert got[("F", 2022)]["members"] == 2 and got[("F", 2022)]["retained"] == 2
    assert got[("M", 2022)]["members"] == 1 and got[("M", 2022)]["left_area"] == 1
    # d rejoins in 2024: counted in his 2024 group
    assert got[("M", 2023)]["joiners"] == 1


def test_rule_parsing():
    assert SelectionRule.parse("top_cost:0.5").label == "Top 0.5% by cost"
    assert SelectionRule.parse("ltc_min:3").id == "ltc_min:3"
    with pytest.raises(ConfigError, match="kind:value"):
        SelectionRule.parse("most_expensive")


def _risk_people():
    # LTC counts: p1 5, p2 4 (CMS 1.0), p4 4 (CMS 2.0) and seven with none
    ltc = {"p1": 5, "p2": 4, "p4": 4}
    cms = {"p2": 1.0, "p4": 2.0}
    return [
        {
            "person_id": f"p{i}",
            "fy": 2024,
            "died_in_year": False,
            "ltc_count": ltc.get(f"p{i}", 0),
            "cms_score": cms.get(f"p{i}", 0.0),
            "cost_total": 100.0 * i,
        }
        for i in range(1, 11)
    ]


# Scores for 2024 (p1 0.9, p3 0.8, the rest lower) and a stale 2023 score for p2
SCORES = [
    {"person_id": f"p{i}", "fy": 2024, "score": s}
    for i, s in enumerate([0.9, 0.1, 0.8, 0.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1], start=1)
] + [{"person_id": "p2", "fy": 2023, "score": 0.99}]


def test_risk_vs_multimorbidity_overlap(store):
    load(store, {"person_year": _risk_people(), "risk_score": SCORES})
    scores = scores_for_year(store.table("risk_score"), 2024)
    expr = risk_overlap(store.table("person_year"), scores, percents=(20.0,))
    got = {r["segment"]: r for r in rows(store, expr)}
    # top 20% of 10 = 2 people each: risk {p1, p3}; LTCs {p1, p4} (p4 beats p2 on CMS)
    assert {k: v["people"] for k, v in got.items()} == {
        "both": 1,
        "risk_only": 1,
        "multimorbidity_only": 1,
    }
    assert got["risk_only"]["mean_cost"] == 300.0  # p3
    assert got["multimorbidity_only"]["mean_cost"] == 400.0  # p4, not p2
    assert got["both"]["mean_score"] == pytest.approx(0.9)
    assert got["both"]["mean_ltc_count"] == 5


def test_scores_by_date_take_the_latest_in_the_year(store):
    load(
        store,
        {
            # an external score table (not the declared risk_score): dated scores
            "external_score": [
                {"person_id": "a", "score_date": date(2024, 5, 1), "score": 0.2},
                {"person_id": "a", "score_date": date(2025, 2, 1), "score": 0.7},
                {"person_id": "a", "score_date": date(2025, 6, 1), "score": 0.9},  # 2025/26
            ]
        },
    )
    got = rows(store, scores_for_year(store.table("external_score"), 2024))
    assert got == [{"person_id": "a", "score": 0.7}]


def test_score_table_without_the_column_is_a_clear_error(store):
    load(store, {"external_score": [{"person_id": "a", "risk": 0.5}]})
    with pytest.raises(ConfigError, match="score"):
        scores_for_year(store.table("external_score"), 2024)


@pytest.mark.parametrize("n", [3, 40, 137, 2000])
def test_top_cost_selection_matches_a_full_ranking(store, n):
    """Only candidates above a quantile are sorted; the result must equal ranking everyone,
    ties included (costs drawn from a few values so ties are common)."""
    import numpy as np

    from yearofcare.population.analysis.cohorts import cohort_members

    rng = np.random.default_rng(n)
    costs = rng.choice(
        [0.0, 10.0, 20.0, 50.0, 400.0, 9000.0], size=n, p=[0.3, 0.3, 0.2, 0.1, 0.07, 0.03]
    )
    load(
        store,
        {
            "person_year": [
                {"person_id": f"p{i:05d}", "fy": 2024, "died_in_year": False, "cost_total": c}
                for i, c in enumerate(costs)
            ]
        },
    )
    rules = [SelectionRule(kind="top_cost", value=v) for v in (0.5, 1, 5, 25, 40)]
    got = rows(store, cohort_members(store.table("person_year"), rules))
    order = sorted(range(n), key=lambda i: (-costs[i], f"p{i:05d}"))
    for r in rules:
        k = -(-n * round(r.value * 100) // 10_000)  # ceil(n × p)
        expected = {f"p{i:05d}" for i in order[:k]}
        assert {g["person_id"] for g in got if g["rule"] == r.id} == expected, r.id
    # the concentration table sorts candidates the same way
    percents = (0.5, 1.0, 5.0, 20.0)
    shares = rows(store, cost_concentration(store.table("person_year"), percents=percents))
    for r in shares:
        k = -(-n * round(r["top_percent"] * 100) // 10_000)
        assert r["people"] == k
        assert r["cost_top"] == pytest.approx(sum(costs[i] for i in order[:k]))
