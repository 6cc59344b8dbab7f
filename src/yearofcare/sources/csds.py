"""Community Services Data Set: care contacts and community bed stays (see `contacts`)."""

from yearofcare.sources.contacts import make_adapter

ADAPTER = make_adapter(
    "csds", "Community Services Data Set contacts and bed stays.", "community", "block"
)
