"""Spec tests of `yoc simulate`: tiny economies, hand-worked answers, on every engine.

One store per engine and module, one stage run per economy (Spark starts slowly); many small
tests read its tables.
"""

from __future__ import annotations

import pytest

from tests.conftest import ENGINES
from tests.spec import load, spec_test
from yearofcare.engine import connect
from yearofcare.planning import cohorts as pc
from yearofcare.planning.scenario import scenario_from_dict
from yearofcare.planning.simulate import SimulateOptions, run_simulate
from yearofcare.store import Store

WORKFORCE = """\
version: spec-1
staff_groups:
  - {staff_group: gp_team, setting: gp, unit: activity, per_wte: 1800}
  - {staff_group: ward, setting: non_elective, unit: bed_days, per_wte: 300}
"""


def _py(pid: str, fy: int, practice: str = "A", **kw) -> dict:
    row = {"person_id": pid, "fy": fy, "age": 70, "age_band": "65-74", "sex": "F"}
    row["practice_code"] = practice
    row["died_in_year"] = False
    return row | kw


def _spell(aid: str, pid: str, start, end, bed_days: float) -> dict:
    return {
        "activity_id": aid,
        "person_id": pid,
        "source": "t",
        "setting": "acute_non_elective",
        "start_date": start,
        "end_date": end,
        "bed_days": bed_days,
        "cost": 1590.0,
    }


# 100 people in 2024/25: half had one emergency admission (£1,590, 6 bed days), everyone had
# 18 GP contacts at £30 (1,800 contacts, £54,000)
PEOPLE = [
    _py(
        f"p{i:03d}",
        2024,
        n_non_elective=1 if i < 50 else 0,
        cost_non_elective=1590.0 if i < 50 else 0.0,
        n_gp=18,
        cost_gp=540.0,
        cost_total=540.0 + (1590.0 if i < 50 else 0.0),
    )
    for i in range(100)
]
SPELLS = [_spell(f"a{i:03d}", f"p{i:03d}", "2024-06-01", "2024-06-07", 6.0) for i in range(50)]

EVERYONE = [{"id": "everyone", "rule": "practice_code = 'A'"}]
SCENARIOS = [
    # 10 % fewer admissions at £1,590 for 100 people with 0.5 admissions each
    {
        "id": "cut",
        "name": "Ten per cent fewer admissions",
        "years": 1,
        "cohorts": EVERYONE,
        "changes": [
            {"setting": "non_elective", "what": "activity", "percent": -10, "range": [-20, 0]}
        ],
    },
    {"id": "nothing", "name": "Do nothing", "years": 1, "cohorts": EVERYONE},
    {
        "id": "coordinator",
        "name": "Care coordinators",
        "years": 1,
        "cohorts": EVERYONE,
        "changes": [
            {"setting": "gp", "what": "activity", "percent": 50},
            {
                "setting": "non_elective",
                "what": "length_of_stay",
                "percent": -10,
                "bed_day_price": 313,
            },
        ],
        "new_services": [
            {
                "id": "care_coordinator",
                "cost_per_person": 250,
                "staff": [{"staff_group": "coordinator", "unit": "people", "per_wte": 50}],
            }
        ],
    },
]


def _row(frame, **where):
    f = frame
    for k, v in where.items():
        f = f[f[k] == v]
    assert len(f) == 1, f
    return f.iloc[0]


def _simulate(engine: str, root, scenarios: list[dict]):
    store = Store(connect(engine, root / "store"))
    load(store, {"person_year": PEOPLE + HISTORY, "activity": SPELLS})
    wf = root / "workforce.yaml"
    wf.write_text(WORKFORCE)
    opts = SimulateOptions(runs=400, seed=7, workforce_file=wf)
    return run_simulate(store, opts, scenarios=[scenario_from_dict(s) for s in scenarios])


@pytest.fixture(scope="module", params=ENGINES)
def simulated(request, tmp_path_factory):
    """The relational paths on every engine, in one stage run: rule cohorts, acute bed days
    from `activity`, history cohorts followed with deaths and leavers."""
    root = tmp_path_factory.mktemp(f"planning-{request.param}")
    return _simulate(request.param, root, [SCENARIOS[0], COSTLY])


@pytest.fixture(scope="module")
def arithmetic(tmp_path_factory):
    """Scenarios that differ only in the NumPy arithmetic, run once (DuckDB): the relational
    inputs they read are the ones `simulated` checks on every engine."""
    return _simulate("duckdb", tmp_path_factory.mktemp("planning-arith"), SCENARIOS[1:])


NUMPY_ONLY = pytest.mark.duckdb_only(
    reason="NumPy arithmetic on the arrays the `simulated` tests check on every engine"
)


def test_ten_per_cent_fewer_admissions_saves_7950(simulated):
    r = _row(simulated.results, scenario_id="cut", cohort_id="all", period="year 1",
             setting="non_elective", measure="cost")  # fmt: skip
    # 100 people × 0.5 admissions × £1,590 = £79,500; 10 % fewer = 5 admissions × £1,590
    assert r.baseline == 100 * 0.5 * 1590 == 79_500
    assert r.scenario == 79_500 - 5 * 1590 == 71_550
    assert r.difference == -7_950
    assert r.difference_lower < -7_950 < r.difference_upper
    a = _row(simulated.results, scenario_id="cut", cohort_id="all", period="year 1",
             setting="non_elective", measure="activity")  # fmt: skip
    assert (a.baseline, a.scenario) == (50, 45)
    s = _row(simulated.summary, scenario_id="cut", cohort_id="everyone")
    assert s.saving == 7_950
    assert s.people == 100
    # £54,000 GP + £79,500 acute over 100 people, then £7,950 less
    assert s.baseline_mean_cost == (54_000 + 79_500) / 100
    assert s.scenario_mean_cost == (54_000 + 71_550) / 100
    assert s.annual_budget == 54_000 + 71_550
    assert s.probability_saving > 0.9  # the range [-20 %, 0 %] never adds admissions


@NUMPY_ONLY
def test_do_nothing_gives_zero_with_an_interval_containing_zero(arithmetic):
    f = arithmetic.results[arithmetic.results.scenario_id == "nothing"]
    assert (f.difference == 0).all()
    assert (f.difference_lower <= 0).all() and (f.difference_upper >= 0).all()
    s = _row(arithmetic.summary, scenario_id="nothing", cohort_id="all")
    assert s.saving == 0 and s.saving_lower <= 0 <= s.saving_upper
    assert s.probability_saving == 0


@NUMPY_ONLY
def test_length_of_stay_per_person_service_and_wte(arithmetic):
    f = arithmetic.results
    ne = _row(f, scenario_id="coordinator", cohort_id="all", period="year 1",
              setting="non_elective", measure="bed_days")  # fmt: skip
    assert (ne.baseline, ne.scenario) == (300, 270)  # 50 spells × 6 days, 10 % shorter
    cost = _row(f, scenario_id="coordinator", cohort_id="all", period="year 1",
                setting="all", measure="cost")  # fmt: skip
    # GP +50 % (+£27,000), 30 bed days × £313 fewer (−£9,390), coordinators 100 × £250
    assert cost.difference == pytest.approx(27_000 - 30 * 313 + 25_000)
    w = arithmetic.workforce
    w = w[(w.scenario_id == "coordinator") & (w.cohort_id == "all") & (w.period == "year 1")]
    gp, ward, co = (_row(w, staff_group=g) for g in ("gp_team", "ward", "coordinator"))
    # 1,800 contacts at 1,800 a WTE; +50 % → 2,700 contacts
    assert (gp.baseline_wte, gp.scenario_wte) == (1.0, 1.5)
    assert (ward.baseline_wte, ward.scenario_wte) == (1.0, 0.9)  # 300 → 270 bed days at 300
    assert (co.baseline_wte, co.scenario_wte) == (0.0, 2.0)  # 100 people, caseload 50


def test_service_model_adjustment_for_the_budget(simulated):
    a = simulated.adjustment
    cut = a[a.scenario == "cut"].set_index("setting")
    # one row per activity setting where the cohort had cost: GP (and out of hours) unchanged
    assert sorted(cut.index) == ["acute_non_elective", "gp", "out_of_hours"]
    assert cut.change_percent["acute_non_elective"] == pytest.approx(-10.0)
    assert cut.change_percent["gp"] == 0
    assert set(cut.fy) == {2025}


@NUMPY_ONLY
def test_service_model_adjustment_of_a_service_change(arithmetic):
    a = arithmetic.adjustment
    co = a[(a.scenario == "coordinator")].set_index("setting").change_percent
    assert co["gp"] == co["out_of_hours"] == pytest.approx(50.0)
    # the coordinators are booked to community, where the cohort had no cost: no % to give
    assert "community" not in co.index
    assert (a[a.scenario == "nothing"].change_percent == 0).all()


# ---- cohort dynamics from history ----------------------------------------------------------
def _costly(pid, fy, cost, **kw):
    return _py(pid, fy, "B", cost_total=cost, cost_non_elective=cost, n_non_elective=1, **kw)


HISTORY = (
    # selected in 2023 (cost ≥ 10,000): ten people at £10,000 ...
    [_costly(f"h{i}", 2023, 10_000.0) for i in range(10)]
    # ... in 2024: five present at £4,000, two died during the year (£6,000), three moved away
    + [_costly(f"h{i}", 2024, 4_000.0) for i in range(5)]
    + [_costly(f"h{i}", 2024, 6_000.0, died_in_year=True) for i in (5, 6)]
    # the base year's cohort: ten other people at £12,000 in 2024
    + [_costly(f"b{i}", 2024, 12_000.0) for i in range(10)]
)


COSTLY = {
    "id": "costly",
    "name": "High-cost people",
    "years": 2,
    "cohorts": [{"id": "high_cost", "rule": "practice_code = 'B' and cost_total >= 10000"}],
}


def test_baseline_follows_the_crisis_curve_measured_from_history(simulated):
    d = simulated.dynamics
    d = d[d.scenario_id == "costly"].set_index("years_since")
    # of the ten selected in 2023: 7 seen in 2024 (two of them died), 3 moved away
    assert d.loc[1, "present_share"] == 0.7
    assert (d.loc[1, "died_share"], d.loc[1, "left_share"]) == (0.2, 0.3)
    # cost per member: (5 × 4,000 + 2 × 6,000) / (10 × 10,000) = 0.32
    assert d.loc[1, "cost_ratio"] == pytest.approx(0.32)
    assert d.loc[1, "source"] == "history"
    # year 2 is past the history: leaving goes on at 0.7 a year, cost per person present holds
    assert d.loc[2, "source"] == "extrapolated"
    assert d.loc[2, "present_share"] == pytest.approx(0.49)
    assert d.loc[2, "cost_ratio"] == pytest.approx(0.32 / 0.7 * 0.49)
    r = simulated.results
    base = r[(r.cohort_id == "high_cost") & (r.setting == "all") & (r.measure == "cost")]
    base = base.set_index("period").baseline
    assert base["base"] == 120_000
    assert base["year 1"] == pytest.approx(120_000 * 0.32)
    assert base["year 2"] == pytest.approx(120_000 * 0.224)
    s = _row(simulated.summary, cohort_id="high_cost")
    # mean cost per person present in year 1 against the base year's £12,000
    assert s.regression_ratio == pytest.approx(120_000 * 0.32 / 7 / 12_000, rel=1e-5)
    # a naive comparison with the base year would call the decline a saving
    assert s.naive_saving == pytest.approx(2 * 120_000 - 120_000 * (0.32 + 0.224))
    assert s.saving == 0


# ---- risk bands ----------------------------------------------------------------------------
def test_risk_bands_as_table_3(store):
    pcts = [100, 99.6, 99.5, 99.4, 98.0, 97.9, 95.0, 94.9, 90.0, 89.9]
    py = [_py(f"r{i}", 2024) for i in range(len(pcts))]
    scores = [
        {"person_id": f"r{i}", "fy": 2024, "score": p / 100, "risk_percentile": p}
        for i, p in enumerate(pcts)
    ]
    s = scenario_from_dict(
        {
            "id": "bands",
            "name": "Table 3 bands",
            "cohorts": [
                {"id": "c1", "band": [0, 0.5]},
                {"id": "c2", "band": [0.5, 2]},
                {"id": "c3", "band": [2, 5]},
                {"id": "c4", "band": [5, 10]},
            ],
        }
    )

    def expr(st):
        frame = pc.cohort_frame(st.table("person_year"), None, st.table("risk_score"))
        return pc.assign(frame, s.cohorts)

    spec_test(
        store,
        {"person_year": py, "risk_score": scores},
        expr,
        [
            {"person_id": "r0", "cohort": 0},
            {"person_id": "r1", "cohort": 0},
            {"person_id": "r2", "cohort": 0},
            {"person_id": "r3", "cohort": 1},
            {"person_id": "r4", "cohort": 1},
            {"person_id": "r5", "cohort": 2},
            {"person_id": "r6", "cohort": 2},
            {"person_id": "r7", "cohort": 3},
            {"person_id": "r8", "cohort": 3},
        ],
        order_by=["person_id"],
    )
