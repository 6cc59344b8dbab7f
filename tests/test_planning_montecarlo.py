"""The simulation's Monte Carlo on arrays: seeded runs reproduce, the Monte Carlo error of a
result shrinks as 1/√runs, the resampling interval as 1/√people, and doing nothing differs by
exactly nothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from yearofcare.planning import montecarlo as mc
from yearofcare.planning import results as pr
from yearofcare.planning import settings as st
from yearofcare.planning.scenario import scenario_from_dict
from yearofcare.planning.simulate import _history_arrays, simulate_arrays

NE = st.IDS.index("non_elective")
SCENARIO = scenario_from_dict(
    {
        "id": "mc",
        "name": "Monte Carlo",
        "cohorts": [{"id": "everyone", "rule": "age >= 0"}],
        "changes": [
            {"setting": "non_elective", "what": "activity", "percent": -15, "range": [-25, -5]}
        ],
    }
)
NOTHING = scenario_from_dict({"id": "nothing", "name": "Do nothing", "cohorts": SCENARIO.cohorts})


def _people(n: int, seed: int = 1) -> np.ndarray:
    """n people: non-elective admissions ~ Poisson(0.4) at £1,590, community contacts."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, mc.F))
    adm = rng.poisson(0.4, n)
    x[:, NE] = adm
    x[:, mc.S + NE] = adm * rng.gamma(2.0, 3.0, n)
    x[:, 2 * mc.S + NE] = adm * 1590.0
    com = st.IDS.index("community")
    x[:, com] = rng.poisson(6, n)
    x[:, 2 * mc.S + com] = x[:, com] * 45.0
    return x


def _run(s, people: np.ndarray, runs: int, seed: int):
    return simulate_arrays(s, [people], _history_arrays(None, 1, s.years), runs, seed, 400.0)


def _saving(outcome: pr.Outcome) -> np.ndarray:
    base, scen = outcome.cost_all()
    return base[:, 0, -1] - scen[:, 0, -1]  # runs of the saving over the three years


def test_seeded_runs_reproduce_and_seeds_differ():
    people = _people(2_000)
    _, a, _ = _run(SCENARIO, people, 300, seed=5)
    _, b, _ = _run(SCENARIO, people, 300, seed=5)
    _, c, _ = _run(SCENARIO, people, 300, seed=6)
    assert np.array_equal(_saving(a), _saving(b))
    assert not np.array_equal(_saving(a), _saving(c))


def test_the_deterministic_saving_is_the_hand_worked_one():
    people = _people(2_000)
    det, _, _ = _run(SCENARIO, people, 10, seed=1)
    # no history: the cohort keeps its cost; 15 % of the admission cost, three years
    expected = 0.15 * people[:, 2 * mc.S + NE].sum() * 3
    assert _saving(det)[0] == pytest.approx(expected)


def test_monte_carlo_error_shrinks_as_one_over_root_runs():
    """The Monte Carlo standard error of the mean saving (difference_mc_se) quarters when the
    runs grow sixteenfold; the interval of the runs (the uncertainty of the answer) does not
    shrink with more runs, it settles."""
    people = _people(2_000)
    se, width = {}, {}
    for runs in (250, 4_000):
        _, m, _ = _run(SCENARIO, people, runs, seed=11)
        s = _saving(m)
        se[runs] = s.std(ddof=1) / np.sqrt(runs)
        lo, hi = np.quantile(s, [0.025, 0.975])
        width[runs] = hi - lo
    assert 3.2 < se[250] / se[4_000] < 4.8  # √16 = 4
    assert 0.8 < width[250] / width[4_000] < 1.25


def test_resampling_interval_shrinks_as_one_over_root_people():
    """With the effect fixed, the interval comes from person-level resampling: a cohort four
    times the size has a mean cost per person known twice as well."""
    fixed = scenario_from_dict(
        SCENARIO.model_dump(mode="python")
        | {"changes": [SCENARIO.changes[0].model_dump() | {"range": None}]}
    )
    widths = []
    for n in (1_000, 4_000, 16_000):
        _, m, _ = _run(fixed, _people(n, seed=n), 2_000, seed=3)
        base, _ = m.cost_all()
        mean = base[:, 0, -1] / (3 * n)
        lo, hi = np.quantile(mean, [0.025, 0.975])
        widths.append(hi - lo)
    assert all(1.6 < a / b < 2.5 for a, b in itertools.pairwise(widths))


def test_doing_nothing_differs_by_nothing_in_every_run():
    det, m, _ = _run(NOTHING, _people(1_000), 200, seed=2)
    assert _saving(det)[0] == 0
    assert (_saving(m) == 0).all()


def test_several_cohorts_add_up_to_all_cohorts():
    two = scenario_from_dict(
        SCENARIO.model_dump(mode="python")
        | {"cohorts": [{"id": "a", "rule": "age >= 65"}, {"id": "b", "rule": "age < 65"}]}
    )
    people = [_people(300, seed=1), _people(700, seed=2)]
    det, m, _ = simulate_arrays(two, people, _history_arrays(None, 2, 3), 50, 1, 400.0)
    base, scen = det.cost_all()  # (runs, cohorts + all, base year + years + all years)
    assert base.shape == (1, 3, 5)
    assert base[0, 2] == pytest.approx(base[0, 0] + base[0, 1])
    assert base[0, 2, 0] == pytest.approx(sum(p[:, 2 * mc.S :].sum() for p in people))
    assert scen[0, 2, -1] == pytest.approx(base[0, 2, -1] - _expected_cut(people))
    assert m.cost_all()[0].shape == (50, 3, 5)


def _expected_cut(people) -> float:
    return sum(0.15 * p[:, 2 * mc.S + NE].sum() * 3 for p in people)


def test_mean_cost_of_a_cohort_year_with_nobody_is_empty_not_infinite():
    import warnings

    cost = np.array([[600.0, 250.0], [0.0, 90.0]])  # a new service's fixed cost, nobody there
    people = np.array([[3.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = pr._per_person(cost, people)
        diff = out - pr._per_person(cost * 2, people)  # scenario minus baseline stays quiet
    assert out[0, 0] == 200.0 and out[1, 1] == 90.0
    assert np.isnan(out[0, 1]) and np.isnan(out[1, 0]) and np.isnan(diff[0, 1])
