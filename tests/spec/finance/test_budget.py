"""Spec: the capitated budget follows people (004 §7.4), adjustments in order, the schedule.

Hand-worked answers in tests/spec/finance/economy.py; run once per engine (conftest.py).
"""

from __future__ import annotations

from tests.spec.finance import economy as E


def _frame(store, name):
    return store.to_pandas(store.table(name))


def test_a_person_joining_in_month_7_at_6000_a_year_contributes_3000(money):
    store = money
    m = _frame(store, "budget_movement")
    q1 = m[m.person_id == "q1"].iloc[0]
    assert (q1.reason, q1.month, q1.months, q1.amount_pence) == ("joined", 7, 6, 300_000)


def test_deaths_and_leavers_are_removed_from_their_leave_month(money):
    store = money
    m = _frame(store, "budget_movement").set_index("person_id")
    # died 15 June: April and May paid (2 × £500); left 30 June: April to June paid
    assert (m.loc["q3", "reason"], m.loc["q3", "month"], m.loc["q3", "amount_pence"]) == (
        "died",
        3,
        100_000 - 600_000,
    )
    assert (m.loc["q4", "reason"], m.loc["q4", "month"], m.loc["q4", "amount_pence"]) == (
        "moved_away",
        4,
        150_000 - 600_000,
    )


def test_a_currency_change_is_repriced_from_its_month_as_one_row(money):
    store = money
    m = _frame(store, "budget_movement")
    q5 = m[m.person_id == "q5"]
    assert len(q5) == 1
    r = q5.iloc[0]
    # 5 months at £1,200 (£500) + 7 months at £6,000 (£3,500) − the £1,200 in the base
    assert (r.reason, r.month, r.value_from, r.value_to, r.amount_pence) == (
        "changed_currency",
        6,
        "Low",
        "High",
        50_000 + 350_000 - 120_000,
    )


def test_steps_in_order_with_each_value(money):
    store = money
    b = _frame(store, "budget").sort_values("step_order")
    steps = dict(zip(b.step, b.amount_pence, strict=True))
    assert list(b.step) == [
        "base",
        "joined",
        "left",
        "died",
        "changed_currency",
        "uplift",
        "efficiency",
        "demographic_growth",
        "case_mix",
        "service_model",
        "total",
    ]
    assert steps["base"] == 3 * 600_000 + 120_000
    assert (steps["joined"], steps["left"], steps["died"], steps["changed_currency"]) == (
        300_000,
        -450_000,
        -500_000,
        280_000,
    )
    assert steps["uplift"] == 31_000  # 2 % of £15,500.00
    assert steps["efficiency"] == -15_810  # −1 % of £15,810.00
    assert steps["demographic_growth"] == 0  # none in the first budget year
    assert b.running_total_pence.iloc[-1] == E.BUDGET_TOTAL
    assert b[b.step == "left"].running_total_pence.iloc[0] == 1_920_000 + 300_000 - 450_000


def test_a_winter_profiled_schedule_sums_to_the_annual_budget_to_the_penny(money):
    store = money
    s = _frame(store, "payment_schedule").sort_values("month")
    assert list(s.amount_pence) == E.WINTER_SCHEDULE
    assert s.amount_pence.sum() == E.BUDGET_TOTAL == s.cumulative_pence.iloc[-1]
    assert set(s.profile) == {"seasonal"}


def test_cover_view_gives_higher_budgets_for_higher_probabilities(money):
    store = money
    c = _frame(store, "budget_cover")
    p = c[c.kind == "probability"].sort_values("probability")
    assert p.budget_pence.is_monotonic_increasing
    lv = c[c.kind == "level"].sort_values("budget_pence")
    assert lv.overspend_probability.is_monotonic_decreasing
    assert ((lv.overspend_probability >= 0) & (lv.overspend_probability <= 1)).all()
