"""Demographic completeness of the person spine: who has no birth year, no known sex, or no
`person` row at all (Kent priority 2, gap analysis).

Age bands drive every analysis: a person with no birth year sits in the `unknown` band (never
0-17, as `greatest(age, 0)` made of a missing age), and a registered pseudonym with no `person`
row has neither sex nor age. This counts both, for everyone in the spine and for the
registered population, so the analyst sees how large the unknown band is before reading an
analysis. One aggregate over `person` and `registration`; the findings are plain Python on
its single row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd

#: measure → (population, what is counted), in display order.
MEASURES: dict[str, tuple[str, str]] = {
    "people": ("spine", "people in the person table"),
    "no_birth_year": ("spine", "with no birth year in any source (age unknown)"),
    "unknown_sex": ("spine", "with sex not known (U)"),
    "registered": ("registered", "people registered with a practice"),
    "registered_no_birth_year": ("registered", "registered, with no birth year (age unknown)"),
    "registered_unknown_sex": ("registered", "registered, with sex not known (U)"),
    "registered_without_person": (
        "registered",
        "registered, with no person row (sex and age unknown)",
    ),
}


def person_completeness(person: ibis.Table, registration: ibis.Table | None) -> ibis.Table:
    """One row per measure: people counted and the share of their population."""
    p = person.select("person_id", "birth_year", "sex")
    spine = p.aggregate(
        people=p.count(),
        no_birth_year=p.birth_year.isnull().sum(),
        unknown_sex=(p.sex.isnull() | (p.sex == "U")).sum(),
    )
    if registration is not None:
        reg = registration.select("person_id").distinct()
        j = reg.left_join(p, reg.person_id == p.person_id)
        known = j.person_id_right.notnull()
        regs = j.aggregate(
            registered=j.count(),
            registered_no_birth_year=(known & j.birth_year.isnull()).sum(),
            registered_unknown_sex=(known & (j.sex.isnull() | (j.sex == "U"))).sum(),
            registered_without_person=(~known).sum(),
        )
        wide = spine.cross_join(regs)
    else:
        wide = spine.mutate(
            **{m: ibis.literal(0, "int64") for m in MEASURES if MEASURES[m][0] == "registered"}
        )
    parts = []
    for measure, (population, label) in MEASURES.items():
        total = wide.people if population == "spine" else wide.registered
        parts.append(
            wide.select(
                measure=ibis.literal(measure),
                population=ibis.literal(population),
                description=ibis.literal(label),
                people=wide[measure].cast("int64"),
                share=ibis.ifelse(
                    total > 0, wide[measure].cast("float64") / total.cast("float64"), None
                ),
            )
        )
    return ibis.union(*parts, distinct=False)


def demographic_findings(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Findings (as `quality.findings` rows) on the measures above."""
    from yearofcare.quality.findings import _f

    got = {r.measure: r for r in frame.itertuples(index=False)}
    missing = got.get("registered_without_person")
    if missing is not None and missing.people > 0:
        yield _f(
            1,
            "error",
            "registered_without_person",
            "person",
            f"{missing.people:,} registered people have no person row: their sex and age are "
            "unknown in every analysis",
            "load the registrations' demographics (gp_registrations) or run `yoc link --apply` "
            "again so relinked registrations follow their person",
            count=missing.people,
            value=missing.share,
        )
    for measure, what in (
        ("registered_no_birth_year", "no birth year in any source"),
        ("no_birth_year", "no birth year in any source"),
    ):
        r = got.get(measure)
        if r is None or not r.people:
            continue
        who = "registered people" if measure.startswith("registered") else "people in the spine"
        yield _f(
            2,
            "warning" if measure.startswith("registered") else "info",
            "unknown_age",
            "person",
            f"{r.people:,} {who} ({r.share:.1%}) have {what}: they are counted in the "
            "'unknown' age band of every analysis, not in 0-17",
            "send date of birth (or month and year of birth) with every extract",
            count=r.people,
            value=r.share,
        )
