"""Ingest: extract files in, canonical tables and their bookkeeping out (see `ingest.load`)."""

from yearofcare.ingest.load import ingest
from yearofcare.ingest.options import FileResult, IngestOptions, IngestResult, parse_period

__all__ = ["FileResult", "IngestOptions", "IngestResult", "ingest", "parse_period"]
