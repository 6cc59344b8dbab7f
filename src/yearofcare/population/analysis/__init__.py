"""Whole-population analyses (004 §5.2, §5.6): cost by LTCs and age, concentration,
multimorbidity overlap, risk vs multimorbidity selection, the crisis curve, cohort turnover
and bed demand. Each module builds Ibis expressions; `run.run_analyses` executes, suppresses
and writes them; `kent.kent_findings` checks Kent's two headline findings."""

from yearofcare.population.analysis.kent import kent_findings, summarise_kent
from yearofcare.population.analysis.run import (
    ANALYSES,
    AnalysisOptions,
    AnalysisResult,
    run_analyses,
)

__all__ = [
    "ANALYSES",
    "AnalysisOptions",
    "AnalysisResult",
    "kent_findings",
    "run_analyses",
    "summarise_kent",
]
