"""Bad input to the finance stages: a clear message naming the file, row or key, and nothing
half-written (a failed stage leaves every table as it was)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.spec import load
from tests.spec.finance import economy as E
from yearofcare.errors import ConfigError, InputError, StageError
from yearofcare.finance.budget_stage import run_budget
from yearofcare.finance.reconcile_stage import run_reconcile
from yearofcare.finance.tagging import run_tag
from yearofcare.ingest.load import ingest
from yearofcare.ingest.options import IngestOptions
from yearofcare.linkage.pseudonym import create_key

D = date


@pytest.fixture
def priced(duck_store):
    load(duck_store, {**E.budget_tables(), "activity": E.ACTIVITY})
    run_budget(duck_store, E.settings())
    return duck_store


def _replace(store, name, rows):
    load(store, {name: rows})


def test_overlapping_register_spells_are_refused_and_the_budget_is_untouched(priced):
    before = priced.to_pandas(priced.table("budget"))
    bad = [*E.REGISTER, E._member("q2", 2, "High", D(2025, 1, 1))]
    _replace(priced, "cohort_member", bad)
    with pytest.raises(
        InputError,
        match=r"cohort c1 person q2 has overlapping spells 1 \(2024-01-01 to open\) and 2 \(2025-01-01",
    ):
        run_budget(priced, E.settings())
    with pytest.raises(InputError, match="overlapping spells"):
        run_tag(priced, E.service_map())
    after = priced.to_pandas(priced.table("budget"))
    assert after.equals(before)
    assert not priced.exists("activity_tag")


def test_a_spell_leaving_before_it_joins_is_refused(priced):
    bad = [*E.REGISTER[:-1], E._member("q5", 2, "High", D(2025, 9, 15), D(2025, 9, 1))]
    _replace(priced, "cohort_member", bad)
    with pytest.raises(
        InputError, match="q5 spell 2 leaves on 2025-09-01 before it joins on 2025-09-15"
    ):
        run_budget(priced, E.settings())


def test_a_member_whose_value_has_no_people_cannot_be_priced(priced):
    tables = E.budget_tables()
    gone = dict(
        tables["tariff"][0],
        value="Gone",
        tariff_pence=None,
        people=0,
        note="no person-years with this value were registered in 2024/25: no tariff can be set",
    )
    _replace(priced, "tariff", [*tables["tariff"], gone])
    _replace(priced, "cohort_member", [*E.REGISTER, E._member("q9", 1, "Gone", D(2025, 5, 1))])
    with pytest.raises(
        StageError,
        match=r"cohort c1, 2025/26: 1 member spell\(s\) have currency level value 'Gone', which has no tariff \(no person-years",
    ):
        run_budget(priced, E.settings())


def test_unknown_cohort_or_base_year_is_a_config_error(priced):
    s = E.settings()
    with pytest.raises(ConfigError, match="no cohort 'nope' on the register"):
        run_budget(
            priced,
            s.model_copy(update={"budget": s.budget.model_copy(update={"cohorts": ("nope",)})}),
        )
    with pytest.raises(ConfigError, match="no tariffs for 2019/20"):
        run_budget(
            priced, s.model_copy(update={"budget": s.budget.model_copy(update={"base_fy": 2019})})
        )


def _billed_csv(path: Path) -> Path:
    path.write_text(
        "NHS_NUMBER,LINE_REF,PROVIDER_CODE,POD,ACTIVITY_DATE,AMOUNT\n"
        "9434765919,B1,ZC1,COMM,2025-05-01,100.00\n"
        ",B2,ZC1,COMM,2025-05-01,50.00\n"
        "1234567890,B3,ZA1,NEL,2025-06-01,1590\n",
        encoding="utf-8",
    )
    return path


def test_billed_lines_whose_people_cannot_be_linked_are_named(priced, tmp_path):
    run_tag(priced, E.service_map())
    key = tmp_path / "secure" / "key"
    create_key(key)
    ingest(priced, IngestOptions("billed_lines", (_billed_csv(tmp_path / "lines_2025.csv"),), key))
    with pytest.raises(
        InputError,
        match=r"2 line\(s\) could not be linked.*lines_2025\.csv line 3, line reference 'B2'",
    ):
        run_reconcile(priced, E.settings())
    assert not priced.exists("reconciliation")
    result = run_reconcile(priced, E.settings(), skip_unlinked=True)
    assert result["unchecked"] == 2 and priced.exists("reconciliation")


def test_a_budget_and_tags_from_different_service_maps_are_refused(priced):
    other = E.service_map()
    spec = other.spec.model_copy(update={"version": "spec-2"})
    run_tag(priced, other.__class__(spec, other.lines))
    with pytest.raises(
        StageError,
        match="budget was set with service map spec-1 but activity was tagged with spec-2",
    ):
        run_reconcile(priced, E.settings())
