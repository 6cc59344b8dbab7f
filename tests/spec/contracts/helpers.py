"""Small builders for contract tests: terms as dicts, inputs, one-line settlements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from yearofcare.contracts.inputs import high_cost
from yearofcare.contracts.settle import Settlement, settle
from yearofcare.contracts.state import PeriodInputs
from yearofcare.contracts.terms import LoadedTerms, terms_from_dict

D = Decimal


def two_party(mechanisms: dict[str, Any], apply: list[str] | None = None, **extra: Any) -> dict:
    """A commissioner ("icb") and a provider ("prov") with one period P1 of baseline £1,000,000."""
    data = {
        "contract": "test",
        "name": "Test contract",
        "parties": {
            "icb": {"name": "ICB", "role": "commissioner"},
            "prov": {"name": "Provider", "role": "provider"},
        },
        "holder": "prov",
        "periods": [{"id": "P1", "baseline": 1_000_000}],
        "apply": apply if apply is not None else list(mechanisms),
        "mechanisms": mechanisms,
    }
    data.update(extra)
    return data


def pooled(mechanisms: dict[str, Any], apply: list[str], periods: int = 1) -> dict:
    """An ICB (£750k) and a council (£250k) pooling £1m (s75) for a provider ("prov")."""
    return {
        "contract": "pooled",
        "name": "Pooled",
        "parties": {
            "icb": {"name": "ICB", "role": "commissioner"},
            "council": {"name": "Council", "role": "local_authority"},
            "prov": {"name": "Provider", "role": "provider"},
        },
        "pool": {
            "id": "s75",
            "name": "s75 pool",
            "total": 1_000_000,
            "contributions": {"icb": 750_000, "council": 250_000},
        },
        "holder": "prov",
        "periods": [{"id": f"P{i}"} for i in range(1, periods + 1)],
        "apply": apply,
        "mechanisms": mechanisms,
    }


def inputs(
    outturn: Any,
    *,
    level: int | None = None,
    achievement: dict[str, Any] | None = None,
    costs: list[Any] | None = None,
) -> PeriodInputs:
    excess, people = high_cost([D(str(c)) for c in costs]) if costs is not None else (None, None)
    return PeriodInputs(
        outturn=D(str(outturn)).quantize(D("0.01")),
        quality_level=level,
        achievement={k: D(str(v)) for k, v in (achievement or {}).items()},
        excess=excess,
        high_cost_people=people or (lambda _t: None),
    )


def settle_one(data: dict | LoadedTerms, outturn: Any, **kw: Any) -> Settlement:
    loaded = data if isinstance(data, LoadedTerms) else terms_from_dict(data)
    period = loaded.terms.periods[0].id
    return settle(loaded, {period: inputs(outturn, **kw)})


def gains(s: Settlement, period: int = 0) -> dict[str, Decimal]:
    return {p: acc["gain_loss"] for p, acc in s.periods[period].parties.items()}
