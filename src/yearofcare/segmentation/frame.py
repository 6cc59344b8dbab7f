"""The frame rules read: person_year with the need columns of the same person-year.

Currencies and cohort rules are written over this frame, so a rule can say
`ltc_count >= 3 and level in ('High', 'End of life')` or `risk_percentile >= 99.5`.
"""

from __future__ import annotations

import ibis

from yearofcare import schemas

#: need_level columns a rule may read (besides every person_year column).
NEED_COLUMNS: tuple[str, ...] = (
    "has_ltc",
    "score",
    "risk_percentile",
    "threshold_percentile",
    "level",
    "level_rank",
    "functional_need",
    "health_complexity",
    "matrix_cell",
    "matrix_level",
    "matrix_basis",
    "rising_risk",
    "score_change",
    "previous_level",
    "annual_change",
)


def frame_columns() -> dict[str, str]:
    """Column name → type of the rule frame, from the declarations (for checking rules)."""
    cols = {c.name: c.type for c in schemas.get("person_year").columns}
    need = schemas.get("need_level")
    cols.update({name: need.column(name).type for name in NEED_COLUMNS})
    return cols


def need_frame(py: ibis.Table, need: ibis.Table | None) -> ibis.Table:
    """`py` with the need columns of each person-year (empty where not classified or when
    `need` is None)."""
    if need is None:
        declared = schemas.get("need_level")
        return py.mutate(
            **{n: ibis.null(declared.column(n).type) for n in NEED_COLUMNS if n not in py.columns}
        )
    n = need.select(_npid=need.person_id, _nfy=need.fy, **{c: need[c] for c in NEED_COLUMNS})
    return py.left_join(n, [py.person_id == n._npid, py.fy == n._nfy]).drop("_npid", "_nfy")
