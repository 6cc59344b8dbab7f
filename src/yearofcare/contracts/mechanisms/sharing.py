"""Mechanisms that share the variance (gain + / loss −) between the parties.

- `gain_loss`: gain or loss = baseline − outturn, shared by stated percentages (LGA 2019);
- `tiered_shares`: bands of variance, each shared its own way, with a cap at the top band;
- `cap_and_collar`: payment fixed at the baseline, changes paid at a marginal rate
  (Whittington: 30 %), with optional limits on the change (DH 2012 annex 4.2–4.3);
- `quality_share`: a quality premium and overspend exposure / surplus share by quality level
  (Blue Cross Alternative Quality Contract, DH 2012 annex 4.3);
- `risk_corridor`: no sharing inside a corridor, or a minimum savings rate;
- `underwriting`: one party carries all the risk (BHR: the CCG for an initial period).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from yearofcare.config import ConfigModel
from yearofcare.contracts.mechanisms.base import Mechanism, PartyRef
from yearofcare.contracts.money import parse_money, parse_percent, split
from yearofcare.contracts.types import AmountOrPercent, Percent, Shares


class GainLoss(Mechanism):
    """Gain or loss = baseline − outturn, shared by percentages (symmetric unless split)."""

    title: ClassVar[str] = "Gain/loss share"
    share_fields: ClassVar[tuple[str, ...]] = ("shares", "gain_shares", "loss_shares")
    type: Literal["gain_loss"]
    shares: Shares | None = Field(None, description="Shares of gains and losses alike.")
    gain_shares: Shares | None = Field(None, description="Shares of a gain (underspend).")
    loss_shares: Shares | None = Field(None, description="Shares of a loss (overspend).")

    @model_validator(mode="after")
    def _one_way(self) -> GainLoss:
        split_given = self.gain_shares is not None or self.loss_shares is not None
        if self.shares is not None and split_given:
            raise ValueError("give either shares (both ways) or gain_shares and loss_shares")
        if self.shares is None and (self.gain_shares is None or self.loss_shares is None):
            raise ValueError("give shares, or both gain_shares and loss_shares")
        return self

    def apply(self, st: Any, term: str) -> None:
        gain = self.shares or self.gain_shares
        loss = self.shares or self.loss_shares
        st.share(term, "gain_loss", self.label(), gain, loss)


def _edge(value: Any) -> Decimal:
    if isinstance(value, str) and not value.strip().endswith("%"):
        return parse_money(value)
    out = parse_percent(value)
    if out < 0:
        raise ValueError(f"a band edge cannot be negative, found {value!r}")
    return out


Edge = Annotated[Decimal, BeforeValidator(_edge)]


class Band(ConfigModel):
    """One band of variance: from (inclusive) to (exclusive; open when left out)."""

    start: Edge = Field(alias="from")
    to: Edge | None = None
    shares: Shares


def _check_bands(bands: list[Band]) -> list[Band]:
    if not bands:
        raise ValueError("give at least one band")
    if bands[0].start != 0:
        raise ValueError(f"the first band must start at 0, found {bands[0].start}")
    for i, band in enumerate(bands, start=1):
        if band.to is not None and band.to <= band.start:
            raise ValueError(f"band {i} ends at {band.to}, not above its start {band.start}")
        if i < len(bands):
            nxt = bands[i]
            if band.to is None:
                raise ValueError(f"band {i} is open-ended but band {i + 1} follows it")
            if nxt.start < band.to:
                raise ValueError(
                    f"bands overlap or are out of order: band {i + 1} starts at "
                    f"{nxt.start}, inside band {i} ({band.start} to {band.to})"
                )
            if nxt.start > band.to:
                raise ValueError(
                    f"gap between band {i} (ends {band.to}) and band {i + 1} "
                    f"(starts {nxt.start}); say who carries that variance"
                )
    return bands


class TieredShares(Mechanism):
    """Bands of variance shared differently; beyond a closed top band nothing is shared here."""

    title: ClassVar[str] = "Tiered shares"
    type: Literal["tiered_shares"]
    unit: Literal["percent", "pounds"] = Field(
        "percent", description="Band edges as % of the baseline, or in pounds."
    )
    bands: list[Band] | None = Field(None, description="Bands for overspend and underspend.")
    overspend: list[Band] | None = Field(None, description="Bands for an overspend only.")
    underspend: list[Band] | None = Field(None, description="Bands for an underspend only.")

    @field_validator("bands", "overspend", "underspend")
    @classmethod
    def _ordered(cls, bands: list[Band] | None) -> list[Band] | None:
        return None if bands is None else _check_bands(bands)

    @model_validator(mode="after")
    def _directions(self) -> TieredShares:
        split_given = self.overspend is not None or self.underspend is not None
        if self.bands is not None and split_given:
            raise ValueError("give either bands (both ways) or overspend and underspend bands")
        if self.bands is None and (self.overspend is None or self.underspend is None):
            raise ValueError("give bands, or both overspend and underspend bands")
        return self

    def party_refs(self) -> Iterator[PartyRef]:
        for name in ("bands", "overspend", "underspend"):
            for i, band in enumerate(getattr(self, name) or []):
                for party in band.shares:
                    yield (name, i, "shares", party), party

    def _edge(self, st: Any, value: Decimal) -> Any:
        return st.ops.pct(st.baseline, value) if self.unit == "percent" else st.ops.money(value)

    def _unit(self, value: Decimal | None) -> str:
        if value is None:
            return "and above"
        return f"{value:g}%" if self.unit == "percent" else f"£{value:,.0f}"

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        v = st.variance
        if self.bands is not None:
            directions = [("", self.bands, abs(v), ops.where(v < 0, -1, 1))]
        else:
            directions = [
                ("underspend ", self.underspend, ops.maximum(v, ops.zero), 1),
                ("overspend ", self.overspend, ops.maximum(-v, ops.zero), -1),
            ]
        for word, bands, magnitude, sign in directions:
            for i, band in enumerate(bands, start=1):
                lo = self._edge(st, band.start)
                above = ops.maximum(magnitude - lo, ops.zero)
                if band.to is not None:
                    above = ops.minimum(above, self._edge(st, band.to) - lo)
                portion = above * sign
                parts = split(ops, portion, list(band.shares.values()))
                shares = dict(zip(band.shares, parts, strict=True))
                st.variance = st.variance - portion
                to = f"to {self._unit(band.to)}" if band.to is not None else "and above"
                who = ", ".join(f"{st.name(p)} {s:g}%" for p, s in band.shares.items())
                st.emit(
                    term,
                    "tiered_shares",
                    f"{self.label()}: {word}band {i} ({self._unit(band.start)} {to}): {who}",
                    portion,
                    [st.share_to(p, a) for p, a in shares.items()],
                    shares=shares,
                )


class CapAndCollar(Mechanism):
    """Payment fixed at the baseline; the payer meets changes at a marginal rate, within limits."""

    title: ClassVar[str] = "Cap and collar"
    party_fields: ClassVar[tuple[str, ...]] = ("payer",)
    type: Literal["cap_and_collar"]
    marginal_rate: Percent = Field(
        description="% of a change in activity (outturn against baseline) the payer meets."
    )
    payer: str | None = Field(None, description="Who pays the marginal rate (default: payer).")
    cap: AmountOrPercent | None = Field(
        None, description="Most the payment can rise above the baseline (pounds or % of it)."
    )
    collar: AmountOrPercent | None = Field(
        None, description="Most the payment can fall below the baseline (pounds or % of it)."
    )

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        payer = self.payer or st.payer
        v = st.variance
        part = ops.pct(v, self.marginal_rate)
        if self.cap is not None:
            part = ops.maximum(part, -st.resolve(self.cap, st.baseline))
        if self.collar is not None:
            part = ops.minimum(part, st.resolve(self.collar, st.baseline))
        shares = {payer: part, st.holder: v - part}
        st.variance = v - v
        limits = [f"{k} {a.text()}" for k, a in (("cap", self.cap), ("collar", self.collar)) if a]
        limit = f" ({', '.join(limits)})" if limits else ""
        st.emit(
            term,
            "cap_and_collar",
            f"{self.label()}: {st.name(payer)} meets {self.marginal_rate:g}% of the change against the "
            f"baseline{limit}; {st.name(st.holder)} carries the rest",
            v,
            [st.share_to(payer, part)],
            shares=shares,
        )


class QualityLevel(ConfigModel):
    """One quality level: the premium, and the budget holder's overspend exposure and surplus share."""

    premium: Percent = Field(description="Quality premium, % of the baseline.")
    overspend: Percent | None = Field(
        None, description="% of an overspend the budget holder carries at this level."
    )
    surplus: Percent | None = Field(
        None, description="% of a surplus the budget holder keeps at this level."
    )


class QualityShare(Mechanism):
    """Quality premium and a risk share that depend on the quality level achieved (AQC)."""

    title: ClassVar[str] = "Quality-linked premium and share"
    party_fields: ClassVar[tuple[str, ...]] = ("payer",)
    type: Literal["quality_share"]
    payer: str | None = Field(None, description="Who pays the premium and shares the variance.")
    levels: dict[int, QualityLevel] = Field(description="Quality level → premium and shares.")

    @field_validator("levels")
    @classmethod
    def _some(cls, levels: dict[int, QualityLevel]) -> dict[int, QualityLevel]:
        if not levels:
            raise ValueError("define at least one quality level with its premium")
        return levels

    def level(self, st: Any, term: str) -> tuple[int, QualityLevel]:
        lvl = st.inputs.quality_level
        if lvl is None:
            raise st.fail(
                term,
                f"no quality level was given for period {st.period}",
                "pass --quality-level N, give quality_level in the inputs file, or run the "
                "outcomes stage (outcome_achievement)",
            )
        found = self.levels.get(lvl)
        if found is None:
            raise st.fail(
                term,
                f"quality level {lvl} has no premium defined (levels defined: "
                f"{', '.join(map(str, sorted(self.levels)))})",
                "add the level with its premium, overspend and surplus, or correct the level",
            )
        missing = [k for k in ("overspend", "surplus") if getattr(found, k) is None]
        if missing:
            raise st.fail(
                term,
                f"quality level {lvl} has no {' or '.join(missing)} share defined",
                "the Blue Cross AQC publishes the shares for levels 1 and 5 only; the levels "
                "between are contract terms: agree them and add them to the terms file",
            )
        return lvl, found

    def apply(self, st: Any, term: str) -> None:
        lvl, q = self.level(st, term)
        payer = self.payer or st.payer
        premium = st.ops.pct(st.baseline, q.premium)
        st.figures["quality_level"] = Decimal(lvl)
        st.figures["premium"] = premium
        st.emit(
            term,
            "quality_premium",
            f"{self.label()}: quality level {lvl} premium {q.premium:g}% of the baseline",
            premium,
            [st.move(payer, st.holder, premium)],
            shares={},
        )
        gain = {st.holder: q.surplus, payer: 100 - q.surplus}
        loss = {st.holder: q.overspend, payer: 100 - q.overspend}
        st.share(
            term,
            "quality_share",
            f"{self.label()}: at level {lvl} {st.name(st.holder)} carries {q.overspend:g}% of an "
            f"overspend and keeps {q.surplus:g}% of a surplus",
            gain,
            loss,
        )


class RiskCorridor(Mechanism):
    """No sharing inside a corridor around the baseline (or a minimum savings rate)."""

    title: ClassVar[str] = "Risk corridor"
    party_fields: ClassVar[tuple[str, ...]] = ("inside_to",)
    type: Literal["risk_corridor"]
    width: AmountOrPercent | None = Field(None, description="Half-width both ways (£ or %).")
    gain_width: AmountOrPercent | None = Field(None, description="Width on the underspend side.")
    loss_width: AmountOrPercent | None = Field(None, description="Width on the overspend side.")
    mode: Literal["beyond", "minimum_rate"] = Field(
        "beyond",
        description="beyond: only variance outside the corridor goes on to be shared; "
        "minimum_rate: variance inside stays put, variance outside is shared from the first pound.",
    )
    inside_to: str | None = Field(
        None, description="Who carries the variance inside the corridor (default: budget holder)."
    )

    @model_validator(mode="after")
    def _widths(self) -> RiskCorridor:
        if self.width is not None and (self.gain_width or self.loss_width):
            raise ValueError("give either width, or gain_width and loss_width")
        if self.width is None and (self.gain_width is None or self.loss_width is None):
            raise ValueError("give width, or both gain_width and loss_width")
        return self

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        who = self.inside_to or st.holder
        gw = st.resolve(self.width or self.gain_width, st.baseline)
        lw = st.resolve(self.width or self.loss_width, st.baseline)
        v = st.variance
        if self.mode == "beyond":
            inside = ops.clip(v, -lw, gw)
            how = "only the variance beyond it goes on to be shared"
        else:
            inside = ops.where((v <= gw) & (v >= -lw), v, ops.zero)
            how = "variance beyond it is shared from the first pound"
        st.variance = v - inside
        st.emit(
            term,
            "risk_corridor",
            f"{self.label()}: {st.name(who)} carries the variance within −{_text(self.width or self.loss_width)}"
            f" / +{_text(self.width or self.gain_width)} of the baseline; {how}",
            inside,
            [st.share_to(who, inside)],
            shares={who: inside},
        )


def _text(amount: Any) -> str:
    return amount.text()


class Underwriting(Mechanism):
    """One party carries all the remaining risk (BHR: the CCG for an initial period)."""

    title: ClassVar[str] = "Underwriting"
    party_fields: ClassVar[tuple[str, ...]] = ("party",)
    type: Literal["underwriting"]
    party: str = Field(description="Who underwrites.")
    covers: Literal["both", "loss", "gain"] = Field(
        "both", description="Underwrite overspends and underspends, or only one of them."
    )

    def apply(self, st: Any, term: str) -> None:
        ops = st.ops
        v = st.variance
        if self.covers == "loss":
            part = ops.minimum(v, ops.zero)
        elif self.covers == "gain":
            part = ops.maximum(v, ops.zero)
        else:
            part = v
        st.variance = v - part
        what = {"both": "all remaining variance", "loss": "any overspend", "gain": "any underspend"}
        st.emit(
            term,
            "underwriting",
            f"{self.label()}: {st.name(self.party)} carries {what[self.covers]}",
            part,
            [st.share_to(self.party, part)],
            shares={self.party: part},
        )
