"""What every contract mechanism has: a type, an optional description, the periods it is in force.

A mechanism is a frozen configuration model with an `apply(state, term)` method that emits
statement lines on a `PeriodState`. It must use the state's `ops` for every comparison and
rounding of money (`ops.where`, `ops.clip`, `ops.pct`, `split`), never a Python `if` on an
amount, so the same code settles one outturn in Decimal and 100,000 simulated ones in arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from yearofcare.config import ConfigModel

#: A place in the terms file below a mechanism (for line numbers) and the party id found there.
PartyRef = tuple[tuple[str | int, ...], str]


class Mechanism(ConfigModel):
    """Fields every mechanism accepts."""

    config_name: ClassVar[str] = "contract terms"
    title: ClassVar[str] = "mechanism"
    #: Fields holding one party id (None = the contract's default for that role).
    party_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields holding shares keyed by party id.
    share_fields: ClassVar[tuple[str, ...]] = ()

    description: str | None = Field(None, description="What the parties agreed, in words.")
    periods: list[str] | None = Field(
        None, description="Periods this term is in force (default: every period)."
    )

    def label(self) -> str:
        return self.description or self.title

    def party_refs(self) -> Iterator[PartyRef]:
        """Every party id this mechanism names, with where it is named."""
        for name in self.party_fields:
            value = getattr(self, name)
            if value is not None:
                yield (name,), value
        for name in self.share_fields:
            shares = getattr(self, name)
            if shares:
                for party in shares:
                    yield (name, party), party

    def apply(self, st: Any, term: str) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError
