"""The store: atomic staged writes, rollback on failure, and the run log — on every engine."""

from __future__ import annotations

import json
from datetime import date

import ibis
import pytest

from tests.spec import load, rows
from yearofcare.errors import InputError, StageError


def _registrations(n: int) -> list[dict]:
    return [
        {"person_id": f"p{i}", "practice_code": "A81001", "start_date": date(2020, 1, 1)}
        for i in range(n)
    ]


def test_written_table_reads_back_in_declared_order(store):
    load(store, {"registration": _registrations(3)})
    t = store.table("registration")
    assert t.columns == (
        "person_id",
        "practice_code",
        "start_date",
        "end_date",
        "end_reason",
    )
    assert store.count("registration") == 3


def test_failed_stage_leaves_previous_table_intact(store):
    load(store, {"registration": _registrations(3)})
    with pytest.raises(RuntimeError, match="boom"), store.stage("replace") as run:
        run.write("registration", store.table("registration").limit(1))
        raise RuntimeError("boom")
    assert store.count("registration") == 3
    assert all(not n.startswith("__yoc_tmp_") for n in store.tables())


def test_stage_commits_all_tables_together(store):
    load(store, {"registration": _registrations(2)})
    with store.stage("two-tables") as run:
        run.write("registration", store.table("registration").limit(1))
        run.write("practice", ibis.memtable({"practice_code": ["A81001"]}), conform=False)
    assert store.count("registration") == 1
    assert store.count("practice") == 1


def test_stage_may_read_the_table_it_replaces(store):
    load(store, {"registration": _registrations(2)})
    with store.stage("append") as run:
        old = run.read("registration")
        new = ibis.memtable(
            {"person_id": ["p9"], "practice_code": ["B82002"], "start_date": [date(2021, 5, 1)]}
        ).mutate(end_date=ibis.null("date"), end_reason=ibis.null("string"))
        run.write("registration", old.union(new))
    got = rows(store, store.table("registration").select("person_id"))
    assert [r["person_id"] for r in got] == ["p0", "p1", "p9"]


def test_run_log_records_parameters_counts_and_failures(store):
    load(store, {"registration": _registrations(4)})
    with store.stage("count", {"threshold": 2}) as run:
        run.read("registration")
        run.write("registration", store.table("registration").limit(2))
    with pytest.raises(ValueError), store.stage("fails"):
        raise ValueError("bad parameter")
    log = store.runs()
    assert list(log.stage) == ["spec-setup", "count", "fails"]
    count = log[log.stage == "count"].iloc[0]
    assert json.loads(count.parameters) == {"threshold": 2}
    assert json.loads(count.input_rows) == {"registration": 4}
    assert json.loads(count.output_rows) == {"registration": 2}
    assert count.status == "ok"
    failed = log[log.stage == "fails"].iloc[0]
    assert failed.status == "failed"
    assert "bad parameter" in failed.message
    assert count.engine == store.engine.kind


def test_missing_column_names_the_table_and_column(store):
    bad = ibis.memtable({"person_id": ["a"], "practice_code": ["X"]})
    with (
        pytest.raises(InputError, match=r"registration is missing column\(s\) start_date"),
        store.stage("bad") as run,
    ):
        run.write("registration", bad)
    assert not store.exists("registration")


def test_reading_an_absent_table_says_which_stage_to_run(store):
    with pytest.raises(StageError, match="no table 'person_year'"):
        store.table("person_year")


def test_staged_reads_a_stored_table_the_run_has_not_touched(store):
    """An ingest that supersedes a load rewrites every table the load fed, including ones this
    run appends nothing to (a billed-lines extract replacing one whose load also held activity)."""
    load(store, {"registration": _registrations(2)})
    with store.stage("untouched") as run:
        assert run.staged("registration").count().to_pyarrow().as_py() == 2
        with pytest.raises(StageError, match="has not written practice"):
            run.staged("practice")
