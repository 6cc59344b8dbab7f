"""Risk share and settlement (`yoc settle`): contract terms as data, exact statements, exposure.

- `terms.py`: the terms file (parties, pooled budget, periods, mechanisms applied in order);
- `mechanisms/`: the thirteen mechanisms, written once for both numeric backends;
- `money.py`: exact money and the one rounding rule (Decimal pounds, int64 pence arrays);
- `state.py`, `settle.py`: the engine and the statements; `simulate.py`: exposure over draws;
- `inputs.py`, `sources.py`: outturn, quality level, achievement (typed, or from the store);
- `run.py`: the stage against a store; `report.py`: the Risk share report sections;
- `examples/`: Lewisham (DH 2012 annex 3.3.1), Whittington, Blue Cross AQC, sample local terms.

See docs/contracts.md.
"""
