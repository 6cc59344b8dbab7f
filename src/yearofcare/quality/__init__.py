"""Data quality (`yoc quality`): Kent's three priorities (004 §5.5) as tables and reports.

- `measures`: per load, per source × month, per column and per reason (Ibis expressions);
- `drift`: each load against the earlier loads of its source (volume, rates, format);
- `triangulation`: loaded cost against contract or budget values from a small file;
- `findings`: what needs attention, in words a data provider can act on;
- `run`: the stage that writes the `dq_*` tables; `report`: HTML, workbook, supplier feedback.
"""

from __future__ import annotations

from yearofcare.quality.options import QualityOptions
from yearofcare.quality.run import STAGE, QualityResult, run_quality

__all__ = ["STAGE", "QualityOptions", "QualityResult", "run_quality"]
