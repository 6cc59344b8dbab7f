"""One store per engine and test module: each module loads its tiny economy once and computes
every measure by every breakdown once (Spark starts slowly; the answers are then read by many
small tests)."""

from __future__ import annotations

import pytest

from tests.conftest import ENGINES
from tests.spec import load
from yearofcare.disclosure import DisclosurePolicy
from yearofcare.engine import connect
from yearofcare.outcomes import bases, compute
from yearofcare.outcomes.definitions import load_measures
from yearofcare.outcomes.run import collect, ltc6_notes
from yearofcare.store import Store

MEASURES = load_measures().model
#: suppresses nothing, so values and intervals can be checked by hand
OPEN = DisclosurePolicy(threshold=1, rounding=1, significant_figures=15)


@pytest.fixture(scope="module", params=ENGINES)
def module_store(request, tmp_path_factory) -> Store:
    root = tmp_path_factory.mktemp(f"outcomes-{request.param}")
    return Store(connect(request.param, root / "store"))


def measure_all(store: Store, tables: dict, dims=compute.DIMENSIONS):
    """Load `tables`, compute every measure of the packaged file: (rows, missing, notes, parts)."""
    load(store, tables)
    t = bases.Tables(store.table, store.exists)
    parts, missing, notes = collect(t, MEASURES, dims, store.to_pandas)
    notes += ltc6_notes(t, store.to_pandas)
    return compute.finish(MEASURES, parts, missing, OPEN), missing, notes, parts


def one(frame, measure, fy, dim="all", group="all"):
    """The single row of `measure` for a year and group."""
    f = frame[
        (frame.measure_id == measure)
        & (frame.fy == fy)
        & (frame.dimension == dim)
        & (frame.group_value == group)
    ]
    assert len(f) == 1, f
    return f.iloc[0]
