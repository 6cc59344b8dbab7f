"""RRR unbundling and the delayed-discharge audit (issue 14 item 3): hand-worked answers on
every engine."""

from __future__ import annotations

from datetime import date

from tests.spec import spec_test
from yearofcare.config import settings as make
from yearofcare.planning.rrr import rrr_spells, rrr_summary, unbundle, with_tiers
from yearofcare.planning.rrr_audit import delay_summary
from yearofcare.planning.rrr_settings import RrrSettings

SETTINGS = make(
    RrrSettings,
    groups=[
        {"id": "copd", "label": "COPD", "icd10": ["J44"], "trim_days": 5},
        {
            "id": "hip",
            "label": "Hip fracture",
            "icd10": ["S72"],
            "trim_days": 5,
            "acute_day_weight": 2,
        },
    ],
    tiers=[
        {"tier": "Low", "levels": ["Low"], "day_price": "95.00"},
        {"tier": "Medium", "levels": ["Medium"], "day_price": "160.00", "assessment_price": "150"},
        {"tier": "High", "levels": ["High", "End of life"], "day_price": "245.00"},
    ],
    bed_day_price="313.00",
)


def _spell(aid, person, start, end, code, service="emergency", cost=2400.0, setting=None):
    return {
        "activity_id": aid,
        "person_id": person,
        "source": "hes_apc",
        "setting": setting or "acute_non_elective",
        "service_type": service,
        "provider_code": "RXX",
        "start_date": start,
        "end_date": end,
        "primary_code": code,
        "cost": cost,
    }


TABLES = {
    "activity": [
        # the Done-when spell: 12 days, COPD, trim point 5
        # (the extract's cost is not used when the costed rows give one)
        _spell("a1", "p1", date(2024, 6, 1), date(2024, 6, 13), "J441", cost=9_999.0),
        _spell("a2", "p2", date(2024, 6, 1), date(2024, 6, 4), "J44", cost=824.0),  # 3 days
        _spell("a3", "p3", date(2024, 6, 1), date(2024, 6, 13), "S720"),  # weight 2
        _spell("a4", "p1", date(2024, 6, 1), date(2024, 6, 13), "J44", service="maternity"),
        _spell("a5", "p1", date(2024, 6, 1), date(2024, 6, 13), "I10"),  # no group
        _spell("a6", "p1", date(2024, 6, 1), date(2024, 6, 13), "J44", setting="acute_elective"),
    ],
    # the spell's cost as the money stage counts it (pence); a2 is not in it: its own cost
    "costed": [
        {"activity_id": "a1", "cost_pence": 240_000},
        {"activity_id": "a3", "cost_pence": 240_000},
    ],
    # p1's level of need known at admission (2023/24, the year before): Medium; p3: none
    "need_level": [
        {"person_id": "p1", "fy": 2023, "has_ltc": True, "level": "Medium"},
        {"person_id": "p2", "fy": 2023, "has_ltc": True, "level": "High"},
        {"person_id": "p3", "fy": 2024, "has_ltc": True, "level": "High"},  # same year: unused
    ],
    "delayed_discharge": [
        # p2's stay was audited: RRR need assessed Low in the acute phase (the audit wins)
        {
            "record_id": "d1",
            "person_id": "p2",
            "ready_date": date(2024, 6, 3),
            "discharge_date": date(2024, 6, 4),
            "delayed_days": 1,
            "rrr_need": "Low",
        },
    ],
}


def _rrr(store):
    t = {n: store.table(n) for n in TABLES}
    spells = rrr_spells(t["activity"], SETTINGS, t["costed"])
    return unbundle(with_tiers(spells, SETTINGS, t["need_level"], t["delayed_discharge"]), SETTINGS)


def test_a_12_day_spell_split_at_a_5_day_trim_point(store):
    spec_test(
        store,
        TABLES,
        _rrr,
        [
            # 12 days at trim 5: 5 acute + 7 RRR. Tariff £2,400.00 shared by days:
            # acute = 2,400 × 5/12 = £1,000.00; released = 2,400 − 1,000 = £1,400.00;
            # RRR at Medium = 7 × £160 + £150 assessment = £1,270.00; net = 1,400 − 1,270 = £130
            {
                "activity_id": "a1",
                "group_id": "copd",
                "length_of_stay": 12,
                "acute_days": 5,
                "rrr_days": 7,
                "need_tier": "Medium",
                "tier_source": "need_level",
                "tariff_pence": 240_000,
                "acute_pence": 100_000,
                "released_pence": 140_000,
                "rrr_pence": 7 * 16_000 + 15_000,
                "net_pence": 140_000 - 127_000,
            },
            # 3 days within the trim point: all acute, nothing released, no RRR tariff
            {
                "activity_id": "a2",
                "group_id": "copd",
                "length_of_stay": 3,
                "acute_days": 3,
                "rrr_days": 0,
                "need_tier": "Low",
                "tier_source": "audit",
                "tariff_pence": 82_400,
                "acute_pence": 82_400,
                "released_pence": 0,
                "rrr_pence": 0,
                "net_pence": 0,
            },
            # an acute day weighs 2: acute = 2,400 × (2×5)/(2×5 + 7) = £1,411.7647 → £1,411.76
            # (half up); released = 2,400 − 1,411.76 = £988.24; no level of need the year
            # before → default tier Medium: 7 × £160 + £150 = £1,270; net = 988.24 − 1,270
            {
                "activity_id": "a3",
                "group_id": "hip",
                "length_of_stay": 12,
                "acute_days": 5,
                "rrr_days": 7,
                "need_tier": "Medium",
                "tier_source": "default",
                "tariff_pence": 240_000,
                "acute_pence": 141_176,
                "released_pence": 98_824,
                "rrr_pence": 127_000,
                "net_pence": 98_824 - 127_000,
            },
        ],
    )


def test_summary_rolls_up_by_group_provider_and_tier(store):
    def summary(s):
        out = rrr_summary(_rrr(s), SETTINGS)
        return out.filter(out.provider_code == "all")

    spec_test(
        store,
        TABLES,
        summary,
        [
            {
                "fy": 2024,
                "group_id": "all",
                "need_tier": "all",
                "spells": 3,
                "spells_unbundled": 2,
                "bed_days": 27,
                "rrr_days": 14,
                "tariff_pence": 240_000 + 82_400 + 240_000,
                "released_pence": 140_000 + 98_824,
                "rrr_pence": 2 * 127_000,
                "net_pence": 13_000 - 28_176,
                "group_label": "All groups",
            },
            {
                "fy": 2024,
                "group_id": "all",
                "need_tier": "Low",
                "spells": 1,
                "spells_unbundled": 0,
                "bed_days": 3,
                "rrr_days": 0,
                "tariff_pence": 82_400,
                "released_pence": 0,
                "rrr_pence": 0,
                "net_pence": 0,
                "group_label": "All groups",
            },
            {
                "fy": 2024,
                "group_id": "all",
                "need_tier": "Medium",
                "spells": 2,
                "spells_unbundled": 2,
                "bed_days": 24,
                "rrr_days": 14,
                "tariff_pence": 480_000,
                "released_pence": 238_824,
                "rrr_pence": 254_000,
                "net_pence": -15_176,
                "group_label": "All groups",
            },
            {
                "fy": 2024,
                "group_id": "copd",
                "need_tier": "all",
                "spells": 2,
                "spells_unbundled": 1,
                "bed_days": 15,
                "rrr_days": 7,
                "tariff_pence": 322_400,
                "released_pence": 140_000,
                "rrr_pence": 127_000,
                "net_pence": 13_000,
                "group_label": "COPD",
            },
            {
                "fy": 2024,
                "group_id": "hip",
                "need_tier": "all",
                "spells": 1,
                "spells_unbundled": 1,
                "bed_days": 12,
                "rrr_days": 7,
                "tariff_pence": 240_000,
                "released_pence": 98_824,
                "rrr_pence": 127_000,
                "net_pence": -28_176,
                "group_label": "Hip fracture",
            },
        ],
    )


AUDIT = {
    "delayed_discharge": [
        {
            "record_id": r,
            "person_id": p,
            "provider_code": "RXX",
            "ward": w,
            "ready_date": date(2024, 5, 1),
            "discharge_date": date(2024, 5, 1 + d),
            "delayed_days": d,
            "reason": reason,
        }
        for r, p, w, d, reason in [
            ("r1", "p1", "Ward 7", 7, "no_community_service"),
            ("r2", "p2", "Ward 7", 3, "no_community_service"),
            ("r3", "p3", "Ward 7", 4, "awaiting_placement"),
            ("r4", "p4", "Ward 7", 0, None),
            ("r5", "p5", "Ward 9", 2, None),
        ]
    ]
}


def test_delayed_days_and_cost_by_reason_and_ward(store):
    spec_test(
        store,
        AUDIT,
        lambda s: delay_summary(s.table("delayed_discharge"), SETTINGS).filter(
            lambda t: t.provider_code != "RXX"
        ),
        [
            # Figure 10's view: every ward together, by reason; £313 a delayed bed day
            {
                "reason": "no_community_service",
                "patients": 2,
                "delayed": 2,
                "delayed_days": 10,
                "mean_delay": 5.0,
                "share_of_delayed": 2 / 4,
                "cost_pence": 10 * 31_300,
            },
            {
                "reason": "awaiting_placement",
                "patients": 1,
                "delayed": 1,
                "delayed_days": 4,
                "mean_delay": 4.0,
                "share_of_delayed": 1 / 4,
                "cost_pence": 4 * 31_300,
            },
            {
                "reason": "not_recorded",
                "patients": 1,
                "delayed": 1,
                "delayed_days": 2,
                "mean_delay": 2.0,
                "share_of_delayed": 1 / 4,
                "cost_pence": 2 * 31_300,
            },
            {
                "reason": "not_delayed",
                "patients": 1,
                "delayed": 0,
                "delayed_days": 0,
                "mean_delay": None,
                "share_of_delayed": 0.0,
                "cost_pence": 0,
            },
            {
                "reason": "all",
                "patients": 5,
                "delayed": 4,
                "delayed_days": 16,
                "mean_delay": 4.0,
                "share_of_delayed": 1.0,
                "cost_pence": 16 * 31_300,
            },
        ],
        approx=1e-9,
    )


def test_delays_by_ward(store):
    spec_test(
        store,
        AUDIT,
        lambda s: delay_summary(s.table("delayed_discharge"), SETTINGS).filter(
            lambda t: (t.provider_code == "RXX") & (t.reason == "all")
        ),
        [
            {
                "ward": "Ward 7",
                "patients": 4,
                "delayed": 3,
                "delayed_days": 14,
                "cost_pence": 14 * 31_300,
            },
            {
                "ward": "Ward 9",
                "patients": 1,
                "delayed": 1,
                "delayed_days": 2,
                "cost_pence": 2 * 31_300,
            },
            {
                "ward": "all",
                "patients": 5,
                "delayed": 4,
                "delayed_days": 16,
                "cost_pence": 16 * 31_300,
            },
        ],
    )
