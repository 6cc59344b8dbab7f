"""NHS number format and modulus-11 check digit, vectorised over Arrow/NumPy arrays."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10, 9, …, 2 for the first nine digits


def normalise(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Strip spaces and hyphens (`943 476 5919`, `943-476-5919`); blanks become null."""
    s = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    s = pc.replace_substring_regex(s, r"[\s-]", "")
    s = pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)
    return s.combine_chunks() if isinstance(s, pa.ChunkedArray) else s


def is_valid(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where the (normalised) value is ten digits with a correct modulus-11 check digit.

    The check: weight the first nine digits 10..2, sum, remainder mod 11; check = 11 - remainder
    (11 becomes 0; 10 means the number is invalid). All-same-digit numbers are rejected too.
    """
    s = normalise(values)
    n = len(s)
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(s, r"^\d{10}$"), False))
    out = np.zeros(n, dtype=bool)
    if not ok.any():
        return out
    digits_str = np.asarray(pc.fill_null(s, "0000000000").to_pylist(), dtype="S10")[ok]
    digits = (
        np.frombuffer(digits_str.tobytes(), dtype=np.uint8).reshape(-1, 10).astype(np.int64) - 48
    )
    remainder = (digits[:, :9] @ _WEIGHTS) % 11
    check = 11 - remainder
    check[check == 11] = 0
    valid = (check != 10) & (check == digits[:, 9])
    valid &= ~(digits == digits[:, :1]).all(axis=1)
    out[ok] = valid
    return out


def generate(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct valid NHS numbers as 10-character strings (for synthetic data only).

    Drawn from the 9xx range NHS England reserves for test numbers, so a synthetic extract can
    never contain a real person's number.
    """
    out = np.empty(0, dtype="S10")
    while len(out) < n:
        need = int((n - len(out)) * 1.15) + 16
        body = rng.integers(0, 10, size=(need, 9), dtype=np.int64)
        body[:, 0] = 9
        remainder = (body @ _WEIGHTS) % 11
        check = 11 - remainder
        check[check == 11] = 0
        keep = check != 10
        digits = np.concatenate([body[keep], check[keep, None]], axis=1).astype(np.uint8) + 48
        cand = np.frombuffer(digits.tobytes(), dtype="S10")
        out = np.unique(np.concatenate([out, cand]))
    return rng.permutation(out)[:n].astype(str)
