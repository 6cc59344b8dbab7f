"""One tiny care economy per engine for the finance spec tests (economy.py): the budget, the
tags, double payment and the reconciliation are run once and each test checks one answer."""

from __future__ import annotations

import pytest

from tests.conftest import ENGINES
from tests.spec import load
from tests.spec.finance import economy as E
from yearofcare.engine import connect
from yearofcare.finance.budget_stage import run_budget
from yearofcare.finance.reconcile_stage import run_reconcile
from yearofcare.finance.tagging import run_tag
from yearofcare.store import Store


@pytest.fixture(scope="package", params=ENGINES)
def money(request, tmp_path_factory):
    store = Store(connect(request.param, tmp_path_factory.mktemp(f"money-{request.param}")))
    load(store, {**E.budget_tables(), "activity": E.ACTIVITY, "billed_line": E.BILLED})
    run_budget(store, E.settings())
    run_tag(store, E.service_map())
    run_reconcile(store, E.settings())
    return store
