"""Spec: activity tagging, double payment and the monthly reconciliation, on every engine.

The cohort c1 and its budget are those of economy.py; activity a1–a9 and billed lines L1–L5
are tagged and matched by hand there.
"""

from __future__ import annotations

from tests.spec.finance import economy as E


def _frame(store, name):
    return store.to_pandas(store.table(name))


def test_every_row_is_tagged_once_with_its_reason(money):
    t = _frame(money, "activity_tag")
    got = {r.activity_id: (bool(r.inside), r.reason) for r in t.itertuples()}
    assert got == E.TAGS
    assert t[t.activity_id == "a8"].map_entry.iloc[0] == "residential"


def test_inside_plus_outside_is_the_cost_of_all_activity(money):
    t = _frame(money, "activity_tag")
    total = round(sum(a["cost"] for a in E.ACTIVITY) * 100)
    assert t[t.inside].cost_pence.sum() + t[~t.inside].cost_pence.sum() == total
    assert t[t.inside].cost_pence.sum() == 10_000 + 2_500 + 200_000


def test_double_payment_lists_the_lines_billed_for_inside_care(money):
    d = _frame(money, "double_payment")
    assert set(d.line_ref) == E.DOUBLE
    assert dict(zip(d.line_ref, d.activity_id, strict=True)) == {"L1": "a1", "L5": "a9"}
    by_provider = d.groupby("provider_code").billed_pence.sum().to_dict()
    assert by_provider == {"ZC1": 10_000, "ZA1": 200_000}


def test_reconciliation_budget_splits_exactly_and_ytd_is_hand_worked(money):
    r = _frame(money, "reconciliation")
    detail = r[(r.level == "detail") & (r.month == 2)].set_index("setting")
    # 111,799p × 0.75 and × 0.25: floors 83,849 and 27,949, the spare penny to the larger remainder
    assert detail.loc["community", "budget_pence"] == 83_849
    assert detail.loc["acute_non_elective", "budget_pence"] == 27_950
    total = r[r.level == "total"].set_index("month")
    assert list(total.index) == list(range(1, 13)) and total.complete.all()
    assert total.budget_pence.sum() == E.BUDGET_TOTAL == total.annual_budget_pence.iloc[0]
    nov = total.loc[8]
    assert nov.ytd_actual_pence == 10_000 + 2_500
    assert nov.ytd_budget_pence == 111_800 + 7 * 111_799
    assert nov.ytd_variance_pence == nov.ytd_budget_pence - 12_500
    year = total.loc[12]
    assert year.ytd_actual_pence == year.forecast_outturn_pence == 10_000 + 2_500 + 200_000
    assert year.forecast_low_pence == year.forecast_high_pence == year.forecast_outturn_pence


def test_only_complete_months_have_rows():
    import pandas as pd

    from yearofcare.finance.reconcile import rows_for

    g = pd.DataFrame(
        {
            "month": range(1, 13),
            "budget_pence": [100] * 12,
            "actual_pence": [90, 110, 100] + [0] * 9,
            "double_billed_pence": None,
        }
    )
    got = rows_for(g, 3, 0.9)
    assert [r["month"] for r in got] == [1, 2, 3]
    # ratio 300/300 = 1: forecast 300 + 900; s² = 0.01, se² = 0.01 × (9 × 100² + 900² / 3) = 60²
    assert got[-1]["forecast_outturn_pence"] == 1_200
    assert (got[-1]["forecast_low_pence"], got[-1]["forecast_high_pence"]) == (1_101, 1_299)


def test_reconciliation_carries_double_billing_by_provider_and_month(money):
    r = _frame(money, "reconciliation")
    d = r[(r.level == "provider") & r.double_billed_pence.notna()]
    got = {(x.provider_code, x.month): x.double_billed_pence for x in d.itertuples()}
    assert got == {("ZC1", 2): 10_000, ("ZA1", 9): 200_000}
