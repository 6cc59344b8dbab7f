"""Engine seam: opening engines, bad settings, and the library versions it depends on."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from yearofcare.engine import connect
from yearofcare.errors import EngineError, StoreError


def test_unknown_engine_is_a_clear_error(tmp_path):
    with pytest.raises(EngineError, match="unknown engine 'oracle'"):
        connect("oracle", tmp_path)


def test_data_dir_that_is_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="not writable"):
        connect("duckdb", blocker / "store")


def test_ibis_duckdb_sqlglot_versions_work_together(tmp_path):
    """ibis 12.0.0 breaks with sqlglot >= 28 (create_table) and with duckdb 2.0 (fetch_arrow_table)."""
    con = ibis.duckdb.connect(str(tmp_path / "v.duckdb"))
    con.create_table("t", pd.DataFrame({"a": [1, 2, 3]}), overwrite=True)
    con.create_table("t", pd.DataFrame({"a": [4]}), overwrite=True)
    assert con.list_tables() == ["t"]
    assert con.to_pyarrow(con.table("t")).num_rows == 1


def test_financial_year_expression_matches_python(store):
    from datetime import date

    from tests.spec import load
    from yearofcare.fy import fy_expr, fy_of

    dates = [date(2024, 3, 31), date(2024, 4, 1), date(2025, 1, 15), date(2025, 12, 31)]
    load(
        store,
        {
            "registration": [
                {"person_id": f"p{i}", "practice_code": "X", "start_date": d}
                for i, d in enumerate(dates)
            ]
        },
    )
    t = store.table("registration")
    got = store.to_pandas(t.select("person_id", fy=fy_expr(t.start_date)).order_by("person_id"))
    assert list(got.fy) == [fy_of(d) for d in dates] == [2023, 2024, 2024, 2025]


def test_a_write_with_categories_reads_back_the_same_strings(store):
    """Store.write(categories=...): DuckDB stores the columns as ENUM (a byte a row), every
    engine reads back the same strings, and filters, joins and null fills work on them."""
    frame = pd.DataFrame(
        {"id": ["a1", "a2", "a3"], "reason": ["inside", None, "outside"], "n": [1, 2, 3]}
    )
    t = ibis.memtable(frame)
    with store.stage("spec-setup") as run:
        run.write("src", t, conform=False)
        src = run.staged("src")
        run.write(
            "tagged", src, conform=False, categories={"reason": ["outside", "inside", "unused"]}
        )
    got = store.table("tagged")
    assert got.schema()["reason"].is_string()
    back = store.to_pandas(got.order_by("id"))
    assert list(back.reason.fillna("-")) == ["inside", "-", "outside"]
    filled = got.mutate(r=got.reason.fill_null("none")).filter(lambda x: x.r != "inside")
    assert sorted(store.to_pandas(filled).r) == ["none", "outside"]
    joined = got.join(store.table("src").select("id", s_reason="reason"), "id")
    same = joined.filter(joined.reason == joined.s_reason)
    assert sorted(store.to_pandas(same).id) == ["a1", "a3"]
    if store.engine.kind == "duckdb":
        types = {r[0]: r[1] for r in store.engine.raw.execute("DESCRIBE tagged").fetchall()}
        assert types["reason"].startswith("ENUM(")
