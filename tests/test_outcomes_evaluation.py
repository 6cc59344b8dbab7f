"""The evaluation against the synthetic truth, across three seeds (issue 15 "Done when").

Each seed's economy enrols people selected for recent non-elective admissions into a service
with a planted −20 % effect (virtual_ward) and one with none (care_navigation). The matched
DiD must recover −20 % within its 95 % interval and find no effect (interval containing 0) for
the null service, whose naive before-and-after shows a spurious saving (regression to the mean).
"""

from __future__ import annotations

import pytest

from yearofcare.engine import connect
from yearofcare.outcomes.evaluation import EvaluateOptions, evaluate
from yearofcare.population.person_year import build
from yearofcare.store import Store
from yearofcare.synth.params import SynthParams
from yearofcare.synth.writer import run_synth

SEEDS = (2, 3, 5)
PEOPLE = 20_000


@pytest.fixture(scope="session", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def economy(request, tmp_path_factory) -> Store:
    store = Store(connect("duckdb", tmp_path_factory.mktemp(f"eval-{request.param}") / "store"))
    run_synth(store, SynthParams.checked(people=PEOPLE, years=3, seed=request.param), b"k" * 32)
    build(store)
    return store


def _non_elective(store, service):
    e = evaluate(store, EvaluateOptions(service=service), "t")
    s = e.summary[e.summary.outcome == "non_elective"].set_index("method")
    return s, e


@pytest.mark.slow
def test_planted_effect_is_recovered(economy):
    s, e = _non_elective(economy, "virtual_ward")
    did = s.loc["did"]
    assert did.relative_lower <= -0.2 <= did.relative_upper, did
    b = e.balance.set_index("covariate")
    assert (
        b.loc[["ne_pre", "ne_late", "ne_early", "cost_late"], "smd_after"].abs() < 0.15
    ).all(), b
    assert b.smd_after.abs().mean() < b.smd_before.abs().mean() / 3, b


@pytest.mark.slow
def test_null_service_shows_no_effect_but_a_naive_saving(economy):
    s, _ = _non_elective(economy, "care_navigation")
    did, naive = s.loc["did"], s.loc["naive"]
    assert did.relative_lower <= 0 <= did.relative_upper, did
    assert naive.relative_upper < 0, naive  # regression to the mean credited as a saving
