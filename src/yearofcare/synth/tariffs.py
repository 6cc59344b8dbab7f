"""Prices of synthetic acute spells, in the structure of the NHS Payment Scheme (acute.yaml).

A spell of stream `ne` or `el` costs

    band price × shape × comorbidity × noise  +  excess bed days × excess bed day price

- **band**: a non-elective spell of up to `short_stay_max_los` bed days is a short stay
  (`ne_short_stay_price`), a longer one a long stay (the stream's unit cost); an elective spell
  has one band (its unit cost). NCC 2024/25 national averages, as in the build's
  `ncc_2024_25.csv`;
- **shape**: `fixed + (1 − fixed) × days / mean days of the band` (days in hospital = bed days + 1,
  so a same-day spell still occupies its day), so within its band a longer stay costs more
  (longer stays fall in costlier HRGs);
- **comorbidity**: `1 + cc_uplift × min(conditions, cc_cap)` (HRGs split by complications and
  comorbidities);
- shape × comorbidity are scaled to mean 1 within each band of the rows priced together, so a
  band's average is its national price; **noise** is lognormal with mean 1 (`cost_sigma` of
  unit_costs.csv);
- **excess bed days**: each bed day beyond the stream's trim point.

Vectorised over the rows of one block.
"""

from __future__ import annotations

import numpy as np

from yearofcare.synth.paramfiles import AcuteConfig

PRICED_STREAMS = ("ne", "el")


def spell_prices(
    stream: str,
    unit_cost: np.ndarray,
    bed_days: np.ndarray,
    conditions: np.ndarray,
    noise: np.ndarray,
    cfg: AcuteConfig,
) -> np.ndarray:
    """Price of each spell of `stream` (`ne` or `el`) from its bed days and condition count."""
    bed = np.nan_to_num(bed_days.astype(np.float64), nan=0.0)
    if stream == "ne":
        short = bed <= cfg.short_stay_max_los
        band_price = np.where(short, cfg.ne_short_stay_price, unit_cost)
        bands = [short, ~short]
    else:
        band_price = np.asarray(unit_cost, dtype=np.float64)
        bands = [np.ones(len(bed), bool)]
    weight = 1.0 + cfg.cc_uplift * np.minimum(conditions, cfg.cc_cap)
    relative = np.ones(len(bed))
    for band in bands:
        if not band.any():
            continue
        days = bed[band] + 1.0
        shape = cfg.los_fixed_share + (1 - cfg.los_fixed_share) * days / days.mean()
        r = shape * weight[band]
        relative[band] = r / r.mean()
    trim = cfg.trim_days[stream]
    excess = np.maximum(bed - trim, 0.0) * cfg.excess_bed_day_price
    return band_price * relative * noise + excess
