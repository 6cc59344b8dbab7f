"""Small-number suppression: the one module every shared aggregate goes through."""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from yearofcare.disclosure import DisclosurePolicy, rule_text, suppress


def test_small_counts_and_their_derived_values_are_masked():
    frame = pd.DataFrame({"people": [0, 3, 9, 10, 12, 1234], "mean_cost": [0.0, 1, 2, 3, 4, 5]})
    out = suppress(frame, ["people"], ["mean_cost"])
    assert list(out.suppressed) == [False, True, True, False, False, False]
    assert out.people.tolist()[:1] == [0.0]
    assert math.isnan(out.people[1]) and math.isnan(out.mean_cost[2])
    # other counts round to the nearest 5: 10 -> 10, 12 -> 10, 1234 -> 1235
    assert out.people.tolist()[3:] == [10.0, 10.0, 1235.0]
    assert out.mean_cost.tolist()[3:] == [3.0, 4.0, 5.0]


def test_policy_is_configurable():
    frame = pd.DataFrame({"n": [4, 6]})
    out = suppress(frame, ["n"], policy=DisclosurePolicy(threshold=5, rounding=1))
    assert math.isnan(out.n[0]) and out.n[1] == 6


def test_totals_round_to_significant_figures_and_means_follow_the_rounded_count():
    frame = pd.DataFrame({"people": [23, 1234], "cost_total": [28394.88, 1_987_654.0]})
    frame["mean_cost"] = frame.cost_total / frame.people  # 1234.56, 1610.74...
    out = suppress(frame, ["people"], totals=["cost_total"], per={"mean_cost": "people"})
    # 23 -> 25; 28,394.88 -> 28,400 (3 s.f.); mean = 28,400 / 25 = 1,136
    assert out.people.tolist() == [25.0, 1235.0]
    assert out.cost_total.tolist() == [28_400.0, 1_990_000.0]
    assert out.mean_cost.tolist() == [28_400 / 25, 1_990_000 / 1235]
    # total ÷ mean gives back the published count, not the true one
    assert (out.cost_total / out.mean_cost).round(9).tolist() == [25.0, 1235.0]


def test_a_mean_without_its_total_is_the_rounded_implied_total_over_the_rounded_count():
    frame = pd.DataFrame({"people": [23], "rate_per_1000": [3 / 23 * 1000]})  # 3 admissions
    out = suppress(frame, ["people"], per={"rate_per_1000": "people"})
    # implied 1000 x 3 = 3,000 (already 3 s.f.) over 25 people
    assert out.rate_per_1000.tolist() == [3000 / 25]


def test_ratios_are_recomputed_from_published_counts_and_keep_their_scale():
    frame = pd.DataFrame(
        {"retained": [41, 3], "dropped": [102, 50], "members": [160, 60]},
    )
    frame["retention"] = frame.retained / frame.members
    frame["present_per_1000"] = frame.retained / (frame.retained + frame.dropped) * 1000
    out = suppress(
        frame,
        ["retained", "dropped", "members"],
        ratios={
            "retention": ("retained", "members"),
            "present_per_1000": ("retained", ("retained", "dropped")),
        },
    )
    # 41 -> 40, 102 -> 100, 160 -> 160: 40 / 160; 40 / (40 + 100) x 1000
    assert out.retention[0] == 40 / 160
    assert out.present_per_1000[0] == 40 / 140 * 1000
    # 3 retained is suppressed: both ratios built on it are masked
    assert math.isnan(out.retention[1]) and math.isnan(out.present_per_1000[1])


def test_a_share_of_an_absent_denominator_uses_the_rounded_denominator():
    frame = pd.DataFrame({"people": [80, 1540]})
    frame["share"] = frame.people / 1621
    out = suppress(frame, ["people"], shares={"share": "people"})
    # 80 / 1621 -> 80 / 1620 (1621 rounded to 5); 1540 / 1620
    assert out.share.tolist() == [80 / 1620, 1540 / 1620]


def test_secondary_suppression_along_a_line_hides_the_next_smallest_cell():
    frame = pd.DataFrame(
        {
            "area": ["A", "A", "A", "B", "B", "C"],
            "people": [4, 12, 40, 0, 60, 3],
            "cost": [400.0, 1200, 4000, 0, 6000, 300],
        }
    )
    out = suppress(frame, ["people"], derived_from={"cost": ["people"]}, lines=[("area",)])
    # A: 4 is suppressed, so 12 (the next smallest) is too, with its cost;
    # B: nothing suppressed; C: a line of one cell is its own margin
    assert out.people.isna().tolist() == [True, True, False, False, False, True]
    assert out.cost.isna().tolist() == [True, True, False, False, False, True]
    assert out.suppressed.tolist() == [True, True, False, False, False, True]


def test_secondary_suppression_never_picks_a_zero_and_reaches_a_fixed_point():
    frame = pd.DataFrame(
        {"row": ["r1", "r1", "r2", "r2"], "col": ["c1", "c2", "c1", "c2"], "n": [5, 0, 30, 50]}
    )
    out = suppress(frame, ["n"], lines=[("row",), ("col",)])
    # r1: 5 masked, only a zero beside it; column c1: 5 masked -> 30 masked;
    # then row r2 has 30 alone -> 50 masked; column c2 has 50 alone -> only a zero left
    assert out.n.isna().tolist() == [True, False, True, True]


def test_parts_of_a_row_total_are_secondarily_suppressed():
    frame = pd.DataFrame({"members": [100], "stayed": [80], "died": [15], "left": [5]})
    out = suppress(
        frame, ["members", "stayed", "died", "left"], parts={"members": ("stayed", "died", "left")}
    )
    # left = 5 is suppressed; members - stayed - died would give it back, so died goes too
    assert out.iloc[0].isna().tolist()[:4] == [False, False, True, True]


def test_the_rule_is_stated_with_its_source():
    text = rule_text(DisclosurePolicy(threshold=8, rounding=5, significant_figures=3))
    assert "from 1 to 7" in text and "nearest 5" in text and "3 significant figures" in text
    assert "NHS Digital" in text and "ehrQL" in text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=8),
)
def test_no_suppressed_cell_is_its_line_total_minus_the_others(cells):
    frame = pd.DataFrame({"line": "x", "n": cells})
    out = suppress(frame, ["n"], lines=[("line",)], policy=DisclosurePolicy(rounding=1))
    masked = out.n.isna()
    # with exact counts and an exact total, a lone masked cell would be total - others
    if masked.sum() == 1:
        assert (frame.n[~masked] == 0).all()
    shown = out.n[~masked]
    assert ((shown == 0) | (shown >= 10)).all()


def test_a_web_table_declares_how_its_derived_values_follow_the_counts():
    from yearofcare.web.registry import TableView, disclose

    frame = pd.DataFrame({"people": [23], "cost": [28_394.88], "per_person": [28_394.88 / 23]})
    view = TableView(
        "t",
        "T",
        [],
        frame,
        counts=("people",),
        derived_from={"cost": ("people",), "per_person": ("people",)},
        consistent={"totals": ["cost"], "per": {"per_person": "people"}},
    )
    shown = disclose(view, DisclosurePolicy()).frame
    # 23 -> 25 people, £28,400 (3 s.f.), £28,400 / 25 per person
    assert shown.iloc[0][["people", "cost", "per_person"]].tolist() == [25.0, 28_400.0, 1136.0]


def test_an_empty_table_passes_through():
    frame = pd.DataFrame({"area": pd.Series([], dtype="string"), "n": pd.Series([], dtype="int64")})
    out = suppress(frame, ["n"], lines=[("area",)], parts={"n": ("n",)})
    assert out.empty and list(out.columns) == ["area", "n", "suppressed"]
