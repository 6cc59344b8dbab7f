"""Two-stage selection and the cohort register (issue 11 item 5): the rule proposes, the
reviewers' file decides, and the annual review closes spells for the right reasons."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from tests.spec import load, rows
from yearofcare.cohorts.selection import CohortOptions, run_review, run_select, run_update
from yearofcare.errors import InputError

COHORTS = """\
# a test cohort
version: test-1
cohorts:
  - id: multi
    label: Three or more LTCs
    rule: "ltc_count >= 3"
    currency: ltc_band
"""


def _py(pid, fy, ltc, practice="P1", **kw):
    return {"person_id": pid, "fy": fy, "ltc_count": ltc, "practice_code": practice,
            "died_in_year": False, **kw}  # fmt: skip


PY = [
    _py("a", 2023, 3), _py("b", 2023, 5, "P2"), _py("c", 2023, 3), _py("d", 2023, 4),
    _py("e", 2023, 3, "P2"), _py("f", 2023, 1),
    # 2024: a has a fourth LTC; b has left the area; d dies; e is down to two LTCs
    _py("a", 2024, 4), _py("c", 2024, 3),
    _py("d", 2024, 4, died_in_year=True, date_of_death=date(2024, 7, 15)),
    _py("e", 2024, 2, "P2"), _py("f", 2024, 1),
]  # fmt: skip
CURRENCY = [
    {"person_id": p, "fy": fy, "currency": "ltc_band", "currency_version": "t",
     "value": str(min(n, 5)) if n < 5 else "5+", "matched": True}
    for p, fy, n in (("a", 2023, 3), ("b", 2023, 5), ("c", 2023, 3), ("d", 2023, 4),
                     ("e", 2023, 3), ("a", 2024, 4), ("c", 2024, 3), ("d", 2024, 4), ("e", 2024, 2))
]  # fmt: skip


def _files(tmp_path: Path) -> tuple[Path, Path]:
    cohorts = tmp_path / "cohorts.yaml"
    cohorts.write_text(COHORTS, encoding="utf-8")
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "Person ID;Decision;Decision date;Reviewer;Reason\n"
        "a;Accept;10/03/2024;Dr A;\n"  # decided before the cohort starts: joins on 1 April
        "b;yes;;Dr B;\n"
        "c;Declined;2024-03-12;Dr A;already case-managed\n"
        "d;accept;2024-04-20;Dr A;\n"  # decided after the start: joins on the decision date
        "e;ACCEPTED;;Dr B;\n",
        encoding="utf-8",
    )
    return cohorts, decisions


def test_selection_review_and_annual_update(store, tmp_path):
    cohorts, decisions = _files(tmp_path)
    load(store, {"person_year": PY, "person_currency": CURRENCY})
    opts = {"cohorts": cohorts, "cohort": "multi"}
    sel = run_select(store, CohortOptions(**opts, fy=2023, out_dir=tmp_path / "review"))
    assert (sel.proposed, sel.practices) == (5, 2)  # a–e; f has one LTC
    listed = (
        (tmp_path / "review" / "multi" / "2023" / "review_P2.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()
    )
    assert listed[0] == "person_id,practice_code,facts,decision,decided_on,reviewer,reason"
    assert listed[1].startswith("b,P2,ltc_count=5,")
    rev = run_review(store, CohortOptions(**opts, fy=2023, decisions=decisions))
    assert (rev.accepted, rev.declined) == (4, 1)
    up = run_update(store, CohortOptions(**opts, fy=2024))
    assert up.transitions == {"changed_currency": 1, "moved_away": 1, "died": 1, "stepped_down": 1}
    got = rows(store, store.table("cohort_member"), order_by=["person_id", "spell"])
    want = [
        # a: still three or more LTCs but now four: the spell at "3" closes, one at "4" opens
        ("a", 1, date(2024, 4, 1), "joined", date(2025, 3, 31), "changed_currency", "3", 2023),
        ("a", 2, date(2025, 4, 1), "changed_currency", None, None, "4", 2024),
        # b: absent in 2024 (alive): moved away before the start, so the spell ends on its first day
        ("b", 1, date(2024, 4, 1), "joined", date(2024, 4, 1), "moved_away", "5+", 2023),
        # d: died on 15 July 2024
        ("d", 1, date(2024, 4, 20), "joined", date(2024, 7, 15), "died", "4", 2023),
        # e: two LTCs in 2024: no longer meets the rule at the annual review
        ("e", 1, date(2024, 4, 1), "joined", date(2025, 3, 31), "stepped_down", "3", 2023),
    ]
    cols = ["person_id", "spell", "join_date", "join_reason", "leave_date", "leave_reason",
            "currency_value", "currency_fy"]  # fmt: skip
    assert [tuple(_d(r[c]) for c in cols) for r in got] == want
    review = rows(store, store.table("cohort_review"), order_by=["person_id"])
    assert [(r["person_id"], r["decision"], r["reviewer"]) for r in review] == [
        ("a", "accepted", "Dr A"), ("b", "accepted", "Dr B"), ("c", "declined", "Dr A"),
        ("d", "accepted", "Dr A"), ("e", "accepted", "Dr B"),
    ]  # fmt: skip
    # the annual review is idempotent
    again = run_update(store, CohortOptions(**opts, fy=2024))
    assert again.transitions == {} and again.members == 1


def _d(v):
    return v.date() if isinstance(v, datetime) else v


@pytest.mark.duckdb_only(reason="the decision files are checked before any table is read")
@pytest.mark.parametrize(
    "body, message",
    [
        ("person_id,decision\na,maybe\n", r"row 1, column decision: 'maybe' is not a decision"),
        (
            "person_id,decision,decided_on\na,accept,31/02/2024\n",
            r"row 1, column decided_on: '31/02/2024' is not a date",
        ),
        (
            "person_id,decision\nzz,accept\nyy,decline\n",
            r"2 person\(s\) are not on the review list of cohort multi \(2023\): rows 1, 2",
        ),
        ("person_id,decision\na,accept\na,decline\n", r"more than one decision, e.g. rows 1, 2"),
        ("patient,decision\na,accept\n", r"no person_id column"),
        ("person_id,choice\na,accept\n", r"no decision column"),
    ],
)
def test_bad_decision_files_are_named_and_nothing_changes(duck_store, tmp_path, body, message):
    cohorts, _ = _files(tmp_path)
    load(duck_store, {"person_year": PY, "person_currency": CURRENCY})
    opts = {"cohorts": cohorts, "cohort": "multi"}
    run_select(duck_store, CohortOptions(**opts, fy=2023, out_dir=tmp_path / "review"))
    before = duck_store.to_pandas(duck_store.table("cohort_review"))
    bad = tmp_path / "bad.csv"
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        run_review(duck_store, CohortOptions(**opts, fy=2023, decisions=bad))
    assert duck_store.to_pandas(duck_store.table("cohort_review")).equals(before)
    assert not duck_store.exists("cohort_member")
