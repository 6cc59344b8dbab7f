"""Planning (issue 14): the Year of Care simulation (baseline against scenario over three years,
with cohort dynamics from history and Monte Carlo intervals), the service-model adjustment the
budget reads, RRR unbundling and the delayed-discharge audit."""
