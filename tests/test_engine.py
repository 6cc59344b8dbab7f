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
