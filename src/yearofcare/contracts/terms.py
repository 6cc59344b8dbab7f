"""The contract terms file: parties, pooled budget, periods and the mechanisms applied in order.

    contract: tiered-ltc            # an id for the store and the statements
    name: Tiered risk share, people with 3+ LTCs
    parties:
      icb: {name: NHS Example ICB, role: commissioner}
      icp: {name: Example Integrated Care Partnership, role: provider}
    holder: icp                     # receives the budget and pays the cost of care
    periods:
      - {id: 2025/26, baseline: 12000000}
    apply: [tiers]                  # the order the mechanisms are applied in
    mechanisms:
      tiers: {type: tiered_shares, bands: [...]}

Validation happens in two passes: pydantic checks each value (types, ranges, shares adding to
100 %, ordered tiers) and `check_terms` checks what refers to what (parties, periods,
mechanisms, contributions against the pool). Both name the file, the line and the setting.
The format is documented in docs/contracts.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from yearofcare.config import ConfigModel, config_error_at, read_yaml, validate
from yearofcare.contracts.mechanisms import AnyMechanism
from yearofcare.contracts.state import TermError
from yearofcare.contracts.types import Pounds
from yearofcare.errors import ConfigError

HINT = "see docs/contracts.md for the contract terms format and every mechanism"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_FY = re.compile(r"^(?P<start>\d{4})/(?P<end>\d{2})$")


class Party(ConfigModel):
    """A party to the contract."""

    name: str = Field(description="The organisation's name as it appears on statements.")
    role: Literal["commissioner", "local_authority", "provider"] = Field(
        description="commissioner, local_authority or provider."
    )


class Pool(ConfigModel):
    """A pooled budget (s75 / Better Care Fund) that funds the baseline."""

    id: str = Field(description="The pool's id (used like a party id).")
    name: str = Field(description="The pool's name.")
    total: Pounds | None = Field(None, description="The pooled budget; contributions add up to it.")
    contributions: dict[str, Pounds] = Field(description="Each partner's contribution in pounds.")


class Period(ConfigModel):
    """One settlement period (usually a financial year)."""

    id: str = Field(description="The period's id, e.g. 2025/26.")
    baseline: Pounds | None = Field(
        None, description="Expected cost (default: the pool total). Gain/loss = baseline − outturn."
    )
    contributions: dict[str, Pounds] | None = Field(
        None, description="This period's pool contributions, when they differ from the pool's."
    )

    @property
    def fy(self) -> int | None:
        """The financial year start when the id is written like 2025/26."""
        m = _FY.match(self.id)
        if not m or (int(m["start"]) + 1) % 100 != int(m["end"]):
            return None
        return int(m["start"])


class ContractTerms(ConfigModel):
    """A risk-share contract: who, how much, and the mechanisms applied in order."""

    config_name: ClassVar[str] = "contract terms"
    config_hint: ClassVar[str | None] = HINT

    contract: str = Field(description="Contract id (letters, digits, - _ .).")
    name: str = Field(description="The contract's name on statements.")
    source: str | None = Field(None, description="Where the terms come from (provenance).")
    parties: dict[str, Party] = Field(description="Parties by id.")
    pool: Pool | None = Field(None, description="A pooled budget funding the baseline.")
    holder: str = Field(description="The provider that holds the budget and pays for care.")
    payer: str | None = Field(
        None, description="Who pays the budget (default: the pool, else the only commissioner)."
    )
    periods: list[Period] = Field(description="Settlement periods in order.")
    apply: list[str] = Field(description="Mechanism ids in the order they are applied.")
    mechanisms: dict[str, AnyMechanism] = Field(description="Mechanisms by id.")

    @field_validator("contract")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use letters, digits, '-', '_' or '.' (no spaces)")
        return value

    @field_validator("periods", "apply")
    @classmethod
    def _not_empty(cls, value: list) -> list:
        if not value:
            raise ValueError("must not be empty")
        return value

    @property
    def party_ids(self) -> list[str]:
        return [*self.parties, *([self.pool.id] if self.pool else [])]

    @property
    def payer_id(self) -> str:
        if self.payer:
            return self.payer
        if self.pool:
            return self.pool.id
        funders = [k for k, p in self.parties.items() if p.role != "provider"]
        return funders[0]

    def role(self, party: str) -> str:
        return "pool" if self.pool and party == self.pool.id else self.parties[party].role

    def party_name(self, party: str) -> str:
        if self.pool and party == self.pool.id:
            return self.pool.name
        return self.parties[party].name

    def contributions(self, period: Period) -> dict[str, Decimal]:
        if period.contributions is not None:
            return dict(period.contributions)
        return dict(self.pool.contributions) if self.pool else {}

    def baseline(self, period: Period) -> Decimal:
        if period.baseline is not None:
            return period.baseline
        return sum(self.contributions(period).values(), Decimal(0))


@dataclass(frozen=True)
class LoadedTerms:
    """Validated terms with where they came from, for statements, run logs and errors."""

    terms: ContractTerms
    path: Path | None
    sha256: str | None
    lines: dict[tuple[Any, ...], int]
    source: str

    def fail(self, term: str, message: str, hint: str) -> TermError:
        err = config_error_at(self.source, ("mechanisms", term), self.lines, message, hint)
        return TermError(f"term {term!r}: {err.message}", hint=hint)


def load_terms(path: Path | str) -> LoadedTerms:
    """Read, validate and cross-check a contract terms file."""
    path = Path(path)
    what = "contract terms file"
    data, lines = read_yaml(path, what=what)
    source = f"{what} {path}"
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must hold settings as 'key: value' lines", hint=HINT)
    terms = validate(ContractTerms, data, source=source, lines=lines)
    check_terms(terms, lines, source)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedTerms(terms, path, digest, lines, source)


def terms_from_dict(data: dict[str, Any], source: str = "contract terms") -> LoadedTerms:
    """Terms given as data (tests, the web app); checked exactly like a file."""
    terms = validate(ContractTerms, data, source=source)
    check_terms(terms, {}, source)
    return LoadedTerms(terms, None, None, {}, source)


def check_terms(terms: ContractTerms, lines: dict, source: str) -> None:
    """What pydantic cannot see: references between parties, periods, pool and mechanisms."""

    def fail(loc: tuple, message: str, hint: str = HINT) -> ConfigError:
        return config_error_at(source, loc, lines, message, hint)

    ids = terms.party_ids
    listed = ", ".join(ids)
    if terms.pool and terms.pool.id in terms.parties:
        raise fail(("pool", "id"), f"pool id {terms.pool.id!r} is also a party id; use another")

    def known(loc: tuple, party: str) -> None:
        if party not in ids:
            raise fail(
                loc,
                f"party {party!r} is not defined (parties: {listed})",
                "add it under parties, or correct the id",
            )

    known(("holder",), terms.holder)
    if terms.role(terms.holder) != "provider":
        raise fail(("holder",), f"the budget holder {terms.holder!r} must be a provider")
    if terms.payer:
        known(("payer",), terms.payer)
    elif not terms.pool:
        funders = [k for k, p in terms.parties.items() if p.role != "provider"]
        if len(funders) != 1:
            raise fail(
                ("payer",),
                f"name the payer: there is no pool and {len(funders)} commissioning parties",
            )
    if terms.role(terms.payer_id) == "provider":
        raise fail(("payer",), f"the payer {terms.payer_id!r} must not be a provider")
    _check_pool(terms, known, fail)
    _check_periods(terms, fail)
    _check_mechanisms(terms, known, fail)


def _check_pool(terms: ContractTerms, known, fail) -> None:
    pool = terms.pool
    if pool is None:
        return
    for party in pool.contributions:
        known(("pool", "contributions", party), party)
    total = sum(pool.contributions.values(), Decimal(0))
    if pool.total is not None and total != pool.total:
        raise fail(
            ("pool", "contributions"),
            f"contributions add up to £{total:,.2f} but the pool total is £{pool.total:,.2f}",
            "correct a contribution or the total so they agree",
        )


def _check_periods(terms: ContractTerms, fail) -> None:
    seen: set[str] = set()
    for i, period in enumerate(terms.periods):
        if period.id in seen:
            raise fail(("periods", i, "id"), f"period {period.id!r} is listed twice")
        seen.add(period.id)
        if period.contributions is not None and terms.pool is None:
            raise fail(("periods", i, "contributions"), "contributions need a pool")
        if period.baseline is None and terms.pool is None:
            raise fail(
                ("periods", i),
                f"period {period.id} has no baseline",
                "give its baseline (expected cost) in pounds",
            )
        if terms.pool is None:
            continue
        funds = sum(terms.contributions(period).values(), Decimal(0))
        if period.baseline is not None and funds != period.baseline:
            where = "contributions" if period.contributions is not None else "baseline"
            raise fail(
                ("periods", i, where),
                f"the pool's contributions (£{funds:,.2f}) do not add up to the baseline "
                f"of period {period.id} (£{period.baseline:,.2f}); the pool funds the baseline",
                "give the period its own contributions, or correct the baseline",
            )


def _check_mechanisms(terms: ContractTerms, known, fail) -> None:
    defined = list(terms.mechanisms)
    periods = {p.id for p in terms.periods}
    seen: set[str] = set()
    for i, term in enumerate(terms.apply):
        if term not in terms.mechanisms:
            raise fail(
                ("apply", i),
                f"mechanism {term!r} is referenced but not defined "
                f"(defined: {', '.join(defined) or 'none'})",
                "define it under mechanisms, or correct the id",
            )
        if term in seen:
            raise fail(("apply", i), f"mechanism {term!r} is applied twice")
        seen.add(term)
    for term, mech in terms.mechanisms.items():
        if term not in seen:
            raise fail(
                ("mechanisms", term),
                f"mechanism {term!r} is defined but not applied",
                "add it to apply (in the order it should act), or delete it",
            )
        for loc, party in mech.party_refs():
            known(("mechanisms", term, *loc), party)
        for field in ("periods", "guaranteed_periods"):
            for j, pid in enumerate(getattr(mech, field, None) or []):
                if pid not in periods:
                    raise fail(
                        ("mechanisms", term, field, j),
                        f"period {pid!r} is not defined (periods: {', '.join(periods)})",
                    )
        for name in ("payer", "retained_by", "party", "source", "inside_to"):
            if getattr(mech, name, None) == terms.holder and mech.type in (
                "saving",
                "quality_share",
                "stop_loss",
                "cap_and_collar",
                "underwriting",
            ):
                raise fail(
                    ("mechanisms", term, name),
                    f"the budget holder {terms.holder!r} cannot be its own counterparty",
                )
        if mech.type == "payment" and (mech.source or terms.payer_id) == (mech.to or terms.holder):
            raise fail(("mechanisms", term), "a payment must be between two different parties")
