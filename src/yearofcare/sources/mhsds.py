"""Mental Health Services Data Set: care contacts and inpatient stays (see `contacts`)."""

from yearofcare.sources.contacts import make_adapter

ADAPTER = make_adapter(
    "mhsds",
    "Mental Health Services Data Set contacts and inpatient stays.",
    "mental_health",
    "block",
)
