"""A tiny care economy for the finance spec tests, with every answer worked by hand.

Tariff year 2024/25, budget year 2025/26. A tariff of £6,000 a year for High, £1,200 for Low
(loaded as given, so the budget arithmetic is checked on its own). Register (cohort c1):

- q1 High joins 15 Oct 2025 (month 7): 6 months = £3,000 (joiner);
- q2 High, member since 2024: a full year, £6,000 (base);
- q3 High dies 15 Jun 2025: paid April and May = £1,000 (base £6,000, movement −£5,000);
- q4 High leaves 30 Jun 2025 (last day): paid April–June = £1,500 (movement −£4,500);
- q5 Low until 14 Sep 2025, then High from 15 Sep (currency change): 5 months at £1,200 =
  £500 plus 7 months at £6,000 = £3,500 (base £1,200, movement +£2,800).

Base = 6,000 × 3 + 1,200 = £19,200; movements +3,000 − 5,000 − 4,500 + 2,800; budget before
adjustments £15,500; uplift 2 % (+£310.00) → £15,810.00; efficiency −1 % (−£158.10) →
£15,651.90.
"""

from __future__ import annotations

from datetime import date

from yearofcare.finance.map_loader import service_map_from
from yearofcare.finance.settings import FinanceSettings
from yearofcare.vocab import SETTINGS

D = date
TARIFFS = {"High": 600_000, "Low": 120_000}
BUDGET_BEFORE_ADJUSTMENTS = 1_550_000
BUDGET_TOTAL = 1_565_190
#: Seasonal weights of in-scope cost by month (April … March): winter months cost more.
WINTER = [7, 7, 7, 7, 7, 7, 7, 7, 11, 11, 11, 9]
#: 1,565,190 × w / 98, floored, the 5 pence left going to the largest remainders (worked by hand).
WINTER_SCHEDULE = [111800, *[111799] * 7, 175685, 175685, 175685, 143742]


def service_map():
    inside = {"community", "acute_non_elective"}
    entries = [
        {
            "id": s,
            "setting": s,
            "inside": s in inside,
            "reason": "spec",
            "effective_from": D(2020, 4, 1),
        }
        for s in SETTINGS
    ]
    entries.append(
        {
            "id": "residential",
            "setting": "community",
            "service_types": ["residential"],
            "inside": False,
            "reason": "high cost, low volume",
            "effective_from": D(2020, 4, 1),
        }
    )
    return service_map_from(
        {"version": "spec-1", "effective_from": D(2020, 4, 1), "entries": entries}
    )


def settings() -> FinanceSettings:
    return FinanceSettings.model_validate(
        {
            "budget": {
                "base_fy": 2024,
                "years": 1,
                "uplift": 2,
                "efficiency": -1,
                "demographic_growth": 0.5,
                "case_mix": 0,
                "service_model": {"source": "none"},
                "cover_replicates": 200,
            },
            "schedule": {"profile": "seasonal"},
        }
    )


def _member(pid, spell, value, join, leave=None, join_reason="joined", leave_reason=None):
    return {
        "cohort_id": "c1",
        "person_id": pid,
        "spell": spell,
        "join_date": join,
        "join_reason": join_reason,
        "leave_date": leave,
        "leave_reason": leave_reason,
        "selection_fy": 2024,
        "selection_rule": "spec",
        "cohorts_version": "spec",
        "review_status": "accepted",
        "currency": "level",
        "currency_value": value,
        "currency_fy": 2024,
    }


REGISTER = [
    _member("q1", 1, "High", D(2025, 10, 15)),
    _member("q2", 1, "High", D(2024, 1, 1)),
    _member("q3", 1, "High", D(2024, 1, 1), D(2025, 6, 15), leave_reason="died"),
    _member("q4", 1, "High", D(2024, 1, 1), D(2025, 6, 30), leave_reason="moved_away"),
    _member("q5", 1, "Low", D(2024, 1, 1), D(2025, 9, 14), leave_reason="changed_currency"),
    _member("q5", 2, "High", D(2025, 9, 15), join_reason="changed_currency"),
]


def _tariff(value, pence, people):
    return {
        "currency": "level",
        "value": value,
        "value_order": 1 if value == "Low" else 2,
        "fy": 2024,
        "scope_date": D(2025, 4, 1),
        "people": people,
        "registered_years": float(people),
        "outlier_method": "none",
        "tariff_pence": pence,
        "pool_pence": 0,
        "small": False,
        "map_version": "spec-1",
    }


def _person_year(pid, value, cost_pence, months=12):
    return (
        {
            "person_id": pid,
            "fy": 2024,
            "months_registered": months,
            "cost_all_pence": cost_pence,
            "cost_in_pence": cost_pence,
        },
        {
            "person_id": pid,
            "fy": 2024,
            "currency": "level",
            "currency_version": "spec",
            "value": value,
            "value_order": 1 if value == "Low" else 2,
            "matched": True,
        },
    )


def budget_tables() -> dict[str, list[dict]]:
    """Everything `run_budget` reads: tariffs as given, pools, register, profile."""
    people = [_person_year(f"h{i}", "High", 600_000 + 1000 * i) for i in range(-5, 6)]
    people += [_person_year(f"l{i}", "Low", 120_000 + 500 * i) for i in range(-5, 6)]
    total = sum(WINTER)
    profile = [
        {"fy": 2024, "month": m, "cost_in_pence": 1000 * w, "share": w / total, "complete": True}
        for m, w in enumerate(WINTER, start=1)
    ]
    components = [
        {
            "currency": "level",
            "value": v,
            "fy": 2024,
            "setting": s,
            "provider_code": p,
            "cost_pence": c,
            "share": sh,
        }
        for v in ("High", "Low")
        for s, p, c, sh in (("community", "ZC1", 3, 0.75), ("acute_non_elective", "ZA1", 1, 0.25))
    ]
    return {
        "tariff": [_tariff("High", TARIFFS["High"], 11), _tariff("Low", TARIFFS["Low"], 11)],
        "tariff_person": [p for p, _ in people],
        "person_currency": [c for _, c in people],
        "cohort_member": REGISTER,
        "tariff_component": components,
        "cost_profile": profile,
    }


# ---- activity, tags and billed lines (cohort c1 as above; budget year 2025/26) ------------
def _act(aid, pid, setting, when, pounds, provider="ZC1", service=None, currency=None):
    return {
        "activity_id": aid,
        "person_id": pid,
        "source": "spec",
        "setting": setting,
        "service_type": service,
        "provider_code": provider,
        "start_date": when,
        "currency": currency,
        "cost": pounds,
        "cost_basis": "actual",
        "funding_route": "block",
    }


ACTIVITY = [
    _act("a1", "q2", "community", D(2025, 5, 1), 100.0),  # inside
    _act("a2", "q2", "gp", D(2025, 5, 1), 40.0, provider="P1"),  # service outside the map
    _act("a3", "z9", "community", D(2025, 5, 2), 50.0),  # not a member
    _act("a4", "q3", "community", D(2025, 7, 1), 30.0),  # after q3 died
    _act("a5", "q1", "community", D(2025, 10, 15), 25.0),  # q1's join day: inside
    _act("a6", "q1", "community", D(2025, 10, 14), 10.0),  # the day before: outside
    _act("a7", "q2", "community", D(2019, 6, 1), 5.0),  # before the map starts
    _act("a8", "q2", "community", D(2025, 5, 3), 500.0, service="residential"),  # map exception
    _act("a9", "q5", "acute_non_elective", D(2025, 12, 1), 2000.0, provider="ZA1", currency="Y"),
    _act("a10", "z9", "community", D(2026, 3, 31), 20.0),  # the last day of the year: complete
]
TAGS = {
    "a1": (True, "inside"),
    "a2": (False, "service_outside_map"),
    "a3": (False, "not_on_register"),
    "a4": (False, "not_on_register"),
    "a5": (True, "inside"),
    "a6": (False, "not_on_register"),
    "a7": (False, "outside_map_period"),
    "a8": (False, "service_outside_map"),
    "a9": (True, "inside"),
    "a10": (False, "not_on_register"),
}


def _line(ref, pid, provider, setting, when, pence, hrg=None, linked=True):
    return {
        "line_id": f"lspec0000001-{ref}",
        "person_id": pid,
        "linked": linked,
        "file_row": int(ref[1:]) + 1,
        "line_ref": ref,
        "billing_route": "pbr",
        "provider_code": provider,
        "setting": setting,
        "hrg": hrg,
        "activity_date": when,
        "billed_pence": pence,
    }


BILLED = [
    _line("L1", "q2", "ZC1", "community", D(2025, 5, 1), 10_000),  # a1 is inside: double
    _line("L2", "q2", "P1", "gp", D(2025, 5, 1), 4_000),  # gp is outside: fine
    _line("L3", "z9", "ZC1", "community", D(2025, 5, 2), 5_000),  # not a member: fine
    _line("L4", "q5", "ZA1", "acute_non_elective", D(2025, 12, 1), 200_000, hrg="X"),  # other HRG
    _line("L5", "q5", "ZA1", "acute_non_elective", D(2025, 12, 1), 200_000),  # a9: double
]
DOUBLE = {"L1", "L5"}
