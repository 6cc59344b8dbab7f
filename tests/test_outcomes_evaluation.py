"""The evaluation against the synthetic truth, across three seeds (issue 15 "Done when").

Each seed's economy runs two services at half of its practices and enrols everyone there with
a recent non-elective admission (selected for high recent use, as case-finding does):
virtual_ward with a planted −20 % effect on non-elective admissions and care_navigation with
none. The matched DiD must recover −20 % within its 95 % interval and find no effect (interval
containing 0) for the null service, whose naive before-and-after shows a spurious saving
(regression to the mean). A purpose-built population: 60,000 people (six practices, three
offering) with full uptake gives 750–1,000 enrolled per service; controls come from the three
other practices. At 20,000 people (two practices, one offering) the controls come from a single
practice and the null service's interval excluded 0 on three seeds of six, so smaller
populations do not test the method. Only the years the evaluation reads (those of the
enrolment days) are built; the method (matching, DiD, 200 bootstrap replicates) is the one
`yoc evaluate` runs.

Non-elective admissions, relative DiD (95 % interval) and the naive before-and-after, as run on
2 December 2026 after the data layer's recalibration (the same figures on every run: the
generator is seeded and the evaluation fixes the row order it draws from):

- seed 1: virtual_ward −18.1 % (−26.6 % to −9.9 %); care_navigation −1.8 % (−12.7 % to +7.9 %),
  naive −43.4 % (−49.1 % to −37.4 %)
- seed 2: virtual_ward −12.6 % (−21.2 % to −3.7 %); care_navigation +0.7 % (−8.8 % to +9.4 %),
  naive −41.6 % (−47.4 % to −36.4 %)
- seed 3: virtual_ward −12.2 % (−21.3 % to −1.2 %); care_navigation +10.8 % (−0.9 % to +21.0 %),
  naive −35.1 % (−41.0 % to −30.3 %)

Seed 3 was a strict xfail before the recalibration (virtual_ward −8.4 %, care_navigation
+17.9 % (+4.6 % to +33.7 %)). The estimates still lean against the services (the planted −20 %
comes out at −12 % to −18 %, the null at −2 % to +11 %): a residual bias of a few points that
seeds 2 and 3 show most, and the margins on those seeds are narrow (−20 % lies 1.2–1.3 points
inside the planted interval; 0 lies 0.9 points inside seed 3's null interval).
"""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from yearofcare.engine import connect
from yearofcare.fy import fy_of
from yearofcare.outcomes.evaluation import EvaluateOptions, evaluate
from yearofcare.population.person_year import build
from yearofcare.store import Store
from yearofcare.synth import services
from yearofcare.synth.generate import generate
from yearofcare.synth.params import SynthParams
from yearofcare.synth.writer import write

SEEDS = (1, 2, 3)
PEOPLE = 60_000


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def economy(request, tmp_path_factory) -> Store:
    store = Store(connect("duckdb", tmp_path_factory.mktemp(f"eval-{request.param}") / "store"))
    cfg = services.config().model_copy(update={"uptake": 1.0, "offered_share": 0.5})
    params = SynthParams.checked(people=PEOPLE, years=3, seed=request.param)
    population = generate(params, services_config=cfg)
    write(store, population, b"k" * 32)
    days = pc.unique(population.service_enrolment.column("start_date")).to_pylist()
    build(store, years=sorted({fy_of(d) for d in days}))  # the years evaluation reads
    return store


def _non_elective(store, service):
    e = evaluate(store, EvaluateOptions(service=service), "t")
    s = e.summary[e.summary.outcome == "non_elective"].set_index("method")
    for method in ("did", "naive"):
        r = s.loc[method]
        print(
            f"{service} {method}: {r.relative:+.1%} ({r.relative_lower:+.1%} to "
            f"{r.relative_upper:+.1%}); {e.matched} of {e.treated} matched"
        )
    return s, e


@pytest.mark.slow
def test_planted_effect_is_recovered(economy):
    s, e = _non_elective(economy, "virtual_ward")
    did = s.loc["did"]
    assert e.controls_from == "other_practices"
    assert e.matched >= 500, e.matched
    assert did.relative_lower <= -0.2 <= did.relative_upper, did
    b = e.balance.set_index("covariate")
    assert (b.loc[["ne_pre", "ne_late", "ne_early"], "smd_after"].abs() < 0.15).all(), b
    assert b.smd_after.abs().mean() < b.smd_before.abs().mean() / 3, b


@pytest.mark.slow
def test_null_service_shows_no_effect_but_a_naive_saving(economy):
    s, _ = _non_elective(economy, "care_navigation")
    did, naive = s.loc["did"], s.loc["naive"]
    assert did.relative_lower <= 0 <= did.relative_upper, did
    assert naive.relative_upper < 0, naive  # regression to the mean credited as a saving
    assert naive.relative_upper < did.relative_lower, (naive, did)
