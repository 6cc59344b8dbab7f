"""Tariffs, the capitated budget, in-year movements, the payment schedule, activity tagging
and reconciliation (NHS England LTC Year of Care handbook 2016, §7; DH funding model 2012).

Pieces (Ibis expressions) live in `service_map`, `costs`, `tariffs`, `register`, `budget`,
`tagging` and `reconcile`; the non-relational work (bootstrap, largest-remainder allocation,
adjustments in Decimal) in `bootstrap`, `money` and `adjust`; the stage services in `run`.
"""
