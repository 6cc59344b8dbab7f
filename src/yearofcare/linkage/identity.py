"""The trusted identity step: identifiers in, pseudonyms out, as SQL on a private DuckDB.

Ingest reads each raw file into a private in-memory DuckDB connection (never the store). The
SQL built here turns every identifier column into keyed pseudonyms there — HMAC-SHA-256 with the
linkage key, computed vectorised from DuckDB's `sha256` (HMAC(K, m) = H(K⊕opad ‖ H(K⊕ipad ‖ m)),
identical to Python's `hmac` module, which a test checks) — so only pseudonyms leave it.

Who a row belongs to, in order of preference:
1. a pseudonym supplied with the file, made with our key (32 hex characters): used as it is;
2. a valid NHS number (format and modulus-11 check): HMAC of the ten digits (the same
   pseudonym `linkage.pseudonym.pseudonymise` gives, so every source links);
3. a source token such as HES `PSEUDO_HESID` / `TOKEN_PERSON_ID`: HMAC of `token:<ns>:<token>`
   — its own domain, so a token can never collide with an NHS-number pseudonym; it links the
   source's records to each other, not to the spine;
4. a local person identifier (e.g. an ASC-CLD client id): HMAC of `local:<source>:<id>`;
5. otherwise the record itself: HMAC of `row:<file hash>:<row>` — one unlinked person per row.
Rows identified by 3–5 are *unlinked* (`linked` false) and are what probabilistic linkage on
date of birth, sex and postcode (the keyed hashes made here) tries to place on the spine.
"""

from __future__ import annotations

import duckdb

from yearofcare.linkage.pseudonym import PSEUDONYM_HEX

BLOCK = 64
KEY_TABLE = "_yoc_hmac_key"


def install_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Put the HMAC pads in a private temp table of `con` (never in SQL text or a log)."""
    import hashlib

    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    k = key.ljust(BLOCK, b"\0")
    ipad = bytes(b ^ 0x36 for b in k)
    opad = bytes(b ^ 0x5C for b in k)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {KEY_TABLE} (ipad BLOB, opad BLOB)")
    con.execute(f"INSERT INTO {KEY_TABLE} VALUES (?, ?)", [ipad, opad])


def hmac_sql(message: str) -> str:
    """SQL for the pseudonym (hex, 32 characters) of a VARCHAR SQL expression."""
    ipad = f"(SELECT ipad FROM {KEY_TABLE})"
    opad = f"(SELECT opad FROM {KEY_TABLE})"
    inner = f"unhex(sha256({ipad} || encode({message})))"
    return f"left(sha256({opad} || {inner}), {PSEUDONYM_HEX})"


def normalised_nhs_sql(col: str) -> str:
    """Strip spaces and hyphens; blank becomes NULL (as `nhs_number.normalise`)."""
    return f"nullif(regexp_replace(trim({col}), '[\\s-]', '', 'g'), '')"


def nhs_valid_sql(n: str) -> str:
    """TRUE where the normalised value passes the format and modulus-11 check."""
    weighted = " + ".join(f"(ascii(substr({n}, {i}, 1)) - 48) * {11 - i}" for i in range(1, 10))
    check = f"(11 - (({weighted}) % 11))"
    same = ", ".join(f"'{str(d) * 10}'" for d in range(10))
    return (
        f"coalesce(regexp_full_match({n}, '[0-9]{{10}}') AND {check} <> 10 "
        f"AND {check} % 11 = ascii(substr({n}, 10, 1)) - 48 AND {n} NOT IN ({same}), FALSE)"
    )


def postcode_sql(col: str) -> tuple[str, str]:
    """(normalised postcode SQL `AB12CD`-style without space, validity SQL)."""
    norm = f"nullif(upper(regexp_replace({col}, '\\s', '', 'g')), '')"
    valid = f"regexp_full_match({norm}, '[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}')"
    return norm, valid


def postcode_parts_sql(norm: str) -> dict[str, str]:
    """Full postcode, sector and district from a valid normalised postcode."""
    outward = f"left({norm}, length({norm}) - 3)"
    inward = f"right({norm}, 3)"
    return {
        "full": f"({outward} || ' ' || {inward})",
        "sector": f"({outward} || ' ' || left({inward}, 1))",
        "district": outward,
    }
