"""The registered pages, in navigation order. Importing this package registers them all."""

from yearofcare.web.pages import (  # noqa: F401  (population first)
    outcomes,
    pending,
    population,
    quality,
)
