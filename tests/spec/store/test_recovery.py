"""Issue 10, finding 2: Ctrl-C is a clean interrupt, and what a dead run left is swept when
the store is next opened — on every engine."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date

import pandas as pd
import pytest

from tests.spec import load
from yearofcare import interrupt
from yearofcare.backends.base import OWNER_FILE, TMP_PREFIX
from yearofcare.engine import connect
from yearofcare.store import Store

PRACTICE = {"practice_code": ["A81001"], "practice_name": ["A"], "locality": ["L"]}
REG = [{"person_id": "p1", "practice_code": "A81001", "start_date": date(2020, 1, 1)}]


def _reopen(store: Store) -> Store:
    kind, data = store.engine.kind, store.engine.data_dir
    store.close()
    return Store(connect(kind, data))


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_ctrl_c_rolls_back_and_logs_interrupted(store):
    load(store, {"registration": REG})
    with pytest.raises(KeyboardInterrupt), store.stage("replace") as run:
        run.write("registration", store.table("registration").limit(0))
        run.append("practice", pd.DataFrame(PRACTICE))
        raise KeyboardInterrupt
    assert store.count("registration") == 1 and not store.exists("practice")
    last = store.runs().iloc[-1]
    assert (last.stage, last.status) == ("replace", "interrupted")
    assert not store.engine.temporaries()
    assert not any(store.engine.scratch_root.iterdir())


def test_an_engine_exception_after_ctrl_c_is_an_interrupt(store):
    """DuckDB reports a cancelled query as its own exception: the stage still says
    "interrupted" and the CLI sees KeyboardInterrupt, not an internal error."""
    load(store, {"registration": REG})
    interrupt._state["requested"] = True
    try:
        with pytest.raises(KeyboardInterrupt), store.stage("replace") as run:
            run.write("registration", store.table("registration").limit(0))
            raise RuntimeError("INTERRUPT Error: Interrupted!")
    finally:
        interrupt.reset()
    assert store.count("registration") == 1
    assert store.runs().iloc[-1].status == "interrupted"


def test_the_run_log_row_commits_with_the_tables(store):
    load(store, {"registration": REG})
    runs = store.runs()
    assert list(runs.status) == ["ok"] and runs.iloc[0].stage == "spec-setup"


def test_what_a_dead_run_left_is_swept_and_logged(store):
    load(store, {"registration": REG})
    dead = store.engine.scratch("ingest-deadbeef0001")
    (dead / "part-0.parquet").write_bytes(b"pseudonymised rows")
    owner = {"pid": _dead_pid(), "host": os.uname().nodename, "stage": "ingest"}
    owner |= {"run_id": "deadbeef0001", "started_at": "2026-12-01T10:00:00"}
    (dead / OWNER_FILE).write_text(json.dumps(owner))
    from yearofcare.backends import base

    base._LIVE.discard(dead.resolve())
    store.engine.create(f"{TMP_PREFIX}deadbeef0001_activity", store.table("registration"))
    assert store.engine.temporaries()
    store = _reopen(store)
    found = store.recovered
    assert found and found.scratch == (dead.name,) and found.bytes >= 18
    assert found.tables == (f"{TMP_PREFIX}deadbeef0001_activity",)
    assert not dead.exists() and not store.engine.temporaries()
    runs = store.runs()
    died = runs[runs.status == "died"].iloc[0]
    assert (died.stage, died.run_id) == ("ingest", "deadbeef0001")
    assert runs.iloc[-1].stage == "recover" and "died" in found.describe()
    assert store.count("registration") == 1  # the stage's own tables untouched
    assert not _reopen(store).recovered  # nothing left the second time


def test_a_live_runs_scratch_is_left_alone(store):
    live = store.engine.scratch("build-cafe00000001", {"run_id": "cafe00000001"})
    owner = json.loads((live / OWNER_FILE).read_text())
    owner["pid"] = os.getppid()  # another process, alive
    (live / OWNER_FILE).write_text(json.dumps(owner))
    from yearofcare.backends import base

    base._LIVE.discard(live.resolve())
    store = _reopen(store)
    assert not store.recovered and live.exists()
