"""The contract mechanisms, chosen in a terms file by `type`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from yearofcare.contracts.mechanisms.base import Mechanism
from yearofcare.contracts.mechanisms.budget import (
    Contingency,
    OutcomeWithhold,
    Payment,
    Saving,
    StopLoss,
)
from yearofcare.contracts.mechanisms.pooling import Apportion, CarryForward
from yearofcare.contracts.mechanisms.sharing import (
    CapAndCollar,
    GainLoss,
    QualityShare,
    RiskCorridor,
    TieredShares,
    Underwriting,
)

MECHANISMS: tuple[type[Mechanism], ...] = (
    GainLoss,
    TieredShares,
    CapAndCollar,
    QualityShare,
    OutcomeWithhold,
    StopLoss,
    RiskCorridor,
    Underwriting,
    CarryForward,
    Contingency,
    Apportion,
    Saving,
    Payment,
)

AnyMechanism = Annotated[
    GainLoss
    | TieredShares
    | CapAndCollar
    | QualityShare
    | OutcomeWithhold
    | StopLoss
    | RiskCorridor
    | Underwriting
    | CarryForward
    | Contingency
    | Apportion
    | Saving
    | Payment,
    Field(discriminator="type"),
]

__all__ = ["MECHANISMS", "AnyMechanism", "Mechanism"]
