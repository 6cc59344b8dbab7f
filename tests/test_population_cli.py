"""`yoc build` from the command line, and which years it builds by default (DuckDB)."""

from __future__ import annotations

from datetime import date

from tests.spec import load
from yearofcare.cli import main
from yearofcare.engine import connect
from yearofcare.population.person_year import discover_years
from yearofcare.store import Store

D = date


def _store(path) -> Store:
    return Store(connect("duckdb", path))


def _economy(store: Store) -> None:
    load(
        store,
        {
            "person": [{"person_id": "p1", "sex": "M", "birth_year": 1940, "birth_month": 1}],
            "registration": [
                {"person_id": "p1", "practice_code": "P1", "start_date": D(1990, 1, 1)},
                {"person_id": "p2", "practice_code": "P1", "start_date": D(2022, 8, 1)},
            ],
            "activity": [
                {
                    "activity_id": f"a{y}",
                    "person_id": "p1",
                    "source": "spec",
                    "setting": "gp",
                    "start_date": D(y, 6, 1),
                }
                for y in (2021, 2023)
            ],
        },
    )


def test_years_are_those_with_activity_and_registration_changes_between(tmp_path):
    store = _store(tmp_path / "d")
    _economy(store)
    # activity in 2021/22 and 2023/24; a registration starts in 2022/23; the 1990 spell is ignored
    assert discover_years(store) == [2021, 2022, 2023]


def test_yoc_build_writes_person_year_and_reports(tmp_path, capsys):
    store = _store(tmp_path / "d")
    _economy(store)
    del store
    assert main(["--data-dir", str(tmp_path / "d"), "build", "--years", "2023/24"]) == 0
    out = capsys.readouterr().out
    assert "person_year" in out and "2023/24" in out
    store = _store(tmp_path / "d")
    assert store.count("person_year") == 2  # p1 (activity) and p2 (registered)


def test_yoc_build_without_activity_is_one_line_and_a_hint(tmp_path, capsys):
    code = main(["--data-dir", str(tmp_path / "empty"), "build"])
    err = capsys.readouterr().err
    assert code != 0
    assert "needs the person table" in err and "Hint:" in err and "Traceback" not in err
