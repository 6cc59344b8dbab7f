"""No NHS number in a log line: the app's loggers pass every message through a redacting filter.

Anything that looks like an NHS number (ten digits, optionally 3-3-4 with spaces or hyphens)
and passes the modulus-11 check is replaced by `[NHS number]` before a handler sees it; the app
never logs query strings or form bodies either, so this is the second line of defence.
"""

from __future__ import annotations

import logging
import re

import pyarrow as pa

from yearofcare.linkage.nhs_number import is_valid

# ten digits standing alone: not inside a longer token (a hex pseudonym) or a decimal number
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z.])(\d{3}[ -]?\d{3}[ -]?\d{4})(?![0-9A-Za-z]|\.\d)")
MASK = "[NHS number]"
LOGGER = "yearofcare.web"


def redact(text: str) -> str:
    """`text` with every valid NHS number masked."""
    found = _CANDIDATE.findall(text)
    if not found:
        return text
    valid = is_valid(pa.array(found, type=pa.string()))
    for value, ok in zip(found, valid, strict=True):
        if ok:
            text = text.replace(value, MASK)
    return text


def contains_nhs_number(text: str) -> bool:
    return redact(text) != text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def app_logger() -> logging.Logger:
    """The app's logger, with the redacting filter attached once."""
    log = logging.getLogger(LOGGER)
    if not any(isinstance(f, RedactingFilter) for f in log.filters):
        log.addFilter(RedactingFilter())
    return log


def protect_logger(name: str) -> None:
    """Attach the redacting filter to another logger (uvicorn's error log)."""
    log = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in log.filters):
        log.addFilter(RedactingFilter())
