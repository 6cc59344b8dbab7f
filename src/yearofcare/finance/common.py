"""Small helpers the finance services share: labels and required tables."""

from __future__ import annotations

from yearofcare.errors import StageError
from yearofcare.store import Store

#: The command that writes each table a finance stage may need.
WRITTEN_BY = {
    "person_year": "yoc build",
    "person_currency": "yoc currency (the need-and-cohorts stage)",
    "cohort_member": "yoc cohort select / review (the need-and-cohorts stage)",
    "tariff": "yoc tariff",
    "tariff_person": "yoc tariff",
    "budget": "yoc budget",
    "payment_schedule": "yoc budget",
    "activity_tag": "yoc tag",
}


def require(store: Store, *names: str, stage: str) -> None:
    """Stop with the command to run when a table the stage reads is missing."""
    for name in names:
        if not store.exists(name):
            raise StageError(
                f"{stage} needs the {name} table, which the store does not have",
                hint=f"run {WRITTEN_BY.get(name, 'the stage that writes it')} first",
            )


def pounds(pence: int | float | None) -> str:
    """£1,234.56 (for messages)."""
    if pence is None or pence != pence:
        return "—"
    return f"£{pence / 100:,.2f}"
