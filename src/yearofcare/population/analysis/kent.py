"""Kent's two headline findings (004 §5.6, Figure 5), as numbers a test can check:

1. the number of LTCs explains a person's annual cost more strongly than age does
   (eta² of cost on LTC band > eta² on age band);
2. the extra cost of people with many LTCs is mostly acute non-elective care: comparing the
   highest LTC band that has people (5+ normally) with people with no LTC, non-elective care
   is the setting contributing most to the difference in mean cost per person — by a clear
   margin: at least `CLEAR_MARGIN` times the next setting's part, not merely the largest of
   twelve slices.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from yearofcare.errors import StageError
from yearofcare.population.analysis.common import ALL, LTC_BANDS
from yearofcare.population.analysis.cost_by_ltc import cost_by_ltc_setting, cost_strength
from yearofcare.store import Store

#: The largest part of the excess must be this many times the next one to count as "mostly".
CLEAR_MARGIN = 1.3


def kent_findings(store: Store, fy: int | None = None) -> dict[str, Any]:
    """Kent's findings for one year of the store's person_year (default: the latest).

    Executes two small aggregates of the whole population (not suppressed: the figures are
    population-level shares, for checking, not publication).
    """
    py = store.table("person_year")
    if fy is None:
        latest = store.to_pandas(py.select(m=py.fy.max()))["m"].iloc[0]
        if pd.isna(latest):
            raise StageError("person_year is empty", hint="run `yoc build` first")
        fy = int(latest)
    year = py.filter(py.fy == fy)
    strength = store.to_pandas(cost_strength(year))
    setting = store.to_pandas(cost_by_ltc_setting(year))
    return {"fy": fy, **summarise_kent(strength, setting)}


def summarise_kent(strength: pd.DataFrame, setting: pd.DataFrame) -> dict[str, Any]:
    """The findings from analysis_cost_strength and analysis_cost_by_ltc_setting rows
    (whole-population rows are used; suppressed cells are treated as missing)."""
    s = strength[strength.split_by == ALL].set_index("factor")["eta_squared"]
    eta_ltc = _num(s.get("ltc_band"))
    eta_age = _num(s.get("age_band"))
    rows = setting[(setting.split_by == ALL) & setting.mean_cost.notna()]
    bands = [b for b in LTC_BANDS if b in set(rows.ltc_band)]
    excess: dict[str, float] = {}
    top = bands[-1] if bands else None
    if bands and bands[0] == "0" and top != "0":
        by_band = rows.pivot_table(index="cost_group", columns="ltc_band", values="mean_cost")
        diff = (by_band[top] - by_band["0"]).dropna().sort_values(ascending=False)
        excess = {str(k): float(v) for k, v in diff.items()}
    total = sum(excess.values())
    largest = next(iter(excess), None)
    parts = list(excess.values())
    margin = parts[0] / parts[1] if len(parts) > 1 and parts[1] > 0 else None
    ne = excess.get("non_elective")
    return {
        "eta_squared_ltc": eta_ltc,
        "eta_squared_age": eta_age,
        "ltc_explains_more_than_age": bool(
            eta_ltc is not None and eta_age is not None and eta_ltc > eta_age
        ),
        "compared_bands": ("0", top),
        "excess_by_setting": excess,
        "excess_total": total if excess else None,
        "largest_excess_setting": largest,
        "largest_excess_margin": margin,
        "non_elective_share_of_excess": (ne / total) if ne is not None and total > 0 else None,
        "excess_mostly_non_elective": largest == "non_elective"
        and margin is not None
        and margin >= CLEAR_MARGIN,
    }


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)  # type: ignore[arg-type]
