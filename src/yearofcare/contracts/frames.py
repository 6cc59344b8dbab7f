"""Settlements and exposures as rows of the declared tables (schemas/contracts.py).

Pure functions: a `Settlement` (Decimal) or simulated scenarios in, rows out. Money leaves as
whole pence (exact); the readable statement and workbook format them as pounds.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from yearofcare.contracts.settle import Settlement
from yearofcare.contracts.simulate import Draws, Scenario, exposure
from yearofcare.contracts.state import OUTSIDE

MONEY_FIGURES = frozenset(
    {
        "baseline",
        "outturn",
        "variance",
        "planned_payment",
        "provider_budget",
        "payment",
        "remaining_variance",
        "carried_in",
        "carried_out",
        "contingency",
        "withheld",
        "earned",
        "premium",
    }
)
UNITS = {
    "income_to_cost_ratio": "ratio",
    "contingency_percent": "percent",
    "quality_level": "level",
}


def pence(pounds: Decimal) -> int:
    return int(Decimal(pounds) * 100)


def unit_of(figure: str) -> str:
    if figure in UNITS:
        return UNITS[figure]
    return "pounds" if figure in MONEY_FIGURES or figure.startswith("excess_") else "ratio"


def settlement_rows(
    s: Settlement, run_id: str, terms_file: str | None, sources: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of settlement_contract, settlement_step, settlement, settlement_party and
    settlement_figure for one settled contract."""
    t = s.loaded.terms
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in s.periods:
        st, base = r.state, {"contract_id": t.contract, "period": r.period.id}
        level = st.inputs.quality_level if "quality_level" in r.figures else None
        out["settlement_contract"].append(
            {
                **base,
                "contract_name": t.name,
                "terms_file": terms_file,
                "terms_sha256": s.loaded.sha256,
                "fy": r.period.fy,
                "holder": t.holder,
                "payer": t.payer_id,
                "baseline_pence": pence(st.baseline),
                "outturn_pence": pence(st.outturn),
                "inputs_source": sources.get(r.period.id),
                "quality_level": level,
                "run_id": run_id,
            }
        )
        position = dict.fromkeys(st.parties, Decimal(0))
        for line in st.lines:
            out["settlement_step"].append(
                {
                    **base,
                    "step": line.step,
                    "term": line.term,
                    "kind": line.kind,
                    "phase": line.phase,
                    "description": line.description,
                    "amount_pence": pence(line.amount),
                    "variance_after_pence": pence(line.variance_after),
                    "target_after_pence": pence(line.target_after),
                    "payment_after_pence": pence(line.payment_after),
                    "run_id": run_id,
                }
            )
            out["settlement"].extend(_party_rows(t, base, line, position, run_id))
        for party, acc in r.parties.items():
            out["settlement_party"].append(
                {
                    **base,
                    **_who(t, party),
                    **{f"{k}_pence": pence(v) for k, v in acc.items()},
                    "run_id": run_id,
                }
            )
        for figure, value in r.figures.items():
            unit = unit_of(figure)
            out["settlement_figure"].append(
                {
                    **base,
                    "figure": figure,
                    "value": float(value),
                    "value_pence": pence(value) if unit == "pounds" else None,
                    "unit": unit,
                    "run_id": run_id,
                }
            )
    return out


def _who(t: Any, party: str) -> dict[str, str]:
    return {"party": party, "party_name": t.party_name(party), "role": t.role(party)}


def _party_rows(
    t: Any, base: dict, line: Any, position: dict[str, Decimal], run_id: str
) -> list[dict[str, Any]]:
    money_in: dict[str, Decimal] = defaultdict(Decimal)
    money_out: dict[str, Decimal] = defaultdict(Decimal)
    other: dict[str, list[str]] = defaultdict(list)
    for m in line.moves:
        amount, source, target = m.amount, m.source, m.target
        if amount < 0:
            amount, source, target = -amount, target, source
        if source in position:
            money_out[source] += amount
            position[source] -= amount
            other[source].append(target)
        if target in position:
            money_in[target] += amount
            position[target] += amount
            other[target].append(source)
    touched = [p for p in position if p in money_in or p in money_out or p in line.shares]
    return [
        {
            **base,
            "step": line.step,
            "term": line.term,
            **_who(t, p),
            "counterparty": ", ".join(
                dict.fromkeys(o if o in OUTSIDE else t.party_name(o) for o in other[p])
            )
            or None,
            "money_in_pence": pence(money_in.get(p, Decimal(0))),
            "money_out_pence": pence(money_out.get(p, Decimal(0))),
            "share_pence": pence(line.shares[p]) if p in line.shares else None,
            "position_after_pence": pence(position[p]),
            "run_id": run_id,
        }
        for p in touched
    ]


def exposure_rows(scenarios: list[Scenario], draws: Draws, run_id: str) -> list[dict[str, Any]]:
    """Rows of settlement_exposure: one per scenario × party."""
    rows = []
    for sc in scenarios:
        t = sc.loaded.terms
        mean_payment = float(sc.payment.mean()) / 100 if sc.payment is not None else 0.0
        for party, position in sc.positions.items():
            rows.append(
                {
                    "scenario": sc.label,
                    "contract_id": sc.contract,
                    "period": sc.period.id,
                    "quality_level": sc.quality_level,
                    **_who(t, party),
                    "draws": int(draws.outturn.size),
                    "outturn_model": draws.how,
                    **exposure(position),
                    "mean_payment": mean_payment,
                    "notes": "; ".join(sc.notes) or None,
                    "run_id": run_id,
                }
            )
    return rows
