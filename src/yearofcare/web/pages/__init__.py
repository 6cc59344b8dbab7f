"""The registered pages, in navigation order. Importing this package registers them all."""

from yearofcare.web.pages import (  # noqa: F401  (population first)
    budget,
    cohorts,
    outcomes,
    population,
    quality,
    risk_share,
    scenarios,
)
