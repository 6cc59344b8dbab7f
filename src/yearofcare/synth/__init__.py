"""Synthetic care economy: a seeded, vectorised population with conditions, activity and costs.

Real NHS data cannot be shipped, so this is what a new user sees first. `generate` simulates a
population in memory and returns Arrow tables shaped like the canonical tables (with a row index
and synthetic NHS numbers instead of pseudonyms); `write` pseudonymises and stores them in one
stage; `run_synth` does both (`yoc synth`). Every parameter lives in a data file under
`yearofcare/synth/params/`, with its source.
"""

from __future__ import annotations

from yearofcare.synth.generate import SynthPopulation, generate
from yearofcare.synth.params import SynthParams
from yearofcare.synth.writer import default_key_path, linkage_key, run_synth, write

__all__ = [
    "SynthParams",
    "SynthPopulation",
    "default_key_path",
    "generate",
    "linkage_key",
    "run_synth",
    "write",
]
