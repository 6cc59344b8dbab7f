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

from dataclasses import dataclass

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


# ---- the identity plan: SQL the ingest parse runs ------------------------------------------
@dataclass(frozen=True)
class IdColumn:
    """What one identifier column contributes: typed outputs, an error SQL and its message."""

    typed: dict[str, str]
    error: str | None
    message: str


@dataclass(frozen=True)
class IdentityPlan:
    """Statements to run first (`prelude`), the joins for the typed SELECT, the columns."""

    prelude: tuple[str, ...]
    joins: str
    columns: dict[str, IdColumn]
    cleanup: tuple[str, ...]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def plan(
    kinds: dict[str, tuple[str, str]],
    *,
    source: str,
    token_namespace: str,
    content_hash: str,
    optout_table: str | None,
    min_date: str,
) -> IdentityPlan:
    """The identity step as SQL over temp table/view `raw` (see the module docstring).

    `kinds` maps an identifier kind (nhs_number, pseudonym, token, local_id, dob, postcode) to
    (raw column name, SQL giving its blanked value; dob: the parsed date). Keyed hashes are
    computed once per distinct value (a few hundred thousand NHS numbers for millions of
    rows), in maps joined back to the rows.
    """
    ids = ["_row"]
    prelude: list[str] = []
    joins = [" JOIN _ids USING (_row)"]
    cleanup = ["_ids"]
    cols: dict[str, IdColumn] = {}
    choices: list[tuple[str, str, str, str]] = []  # condition, person sql, kind, linked
    optout = "FALSE"
    nhs_state = "NULL::VARCHAR"

    def distinct_map(name: str, key: str, select: str) -> None:
        prelude.append(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {key}, {select} "
            f"FROM (SELECT DISTINCT {key} FROM _ids WHERE {key} IS NOT NULL)"
        )
        joins.append(f" LEFT JOIN {name} ON {name}.{key} = _ids.{key}")
        cleanup.append(name)

    if "pseudonym" in kinds:
        raw, v = kinds["pseudonym"]
        ids.append(f"lower({v}) AS _p")
        ok = "regexp_full_match(_ids._p, '[0-9a-f]{32}')"
        choices.append((ok, "_ids._p", "pseudonym", "TRUE"))
        cols[raw] = IdColumn(
            {},
            f"CASE WHEN _ids._p IS NOT NULL AND NOT {ok} THEN 'invalid_pseudonym' END",
            f"'{raw} is not a pseudonym made with the linkage key (32 hex characters)'",
        )
        if optout_table:
            optout = f"coalesce(_ids._p IN (SELECT pseudonym FROM {optout_table}), FALSE)"
    if "nhs_number" in kinds:
        raw, v = kinds["nhs_number"]
        ids.append(f"{normalised_nhs_sql(v)} AS _n")
        opt = f"_n IN (SELECT nhs FROM {optout_table})" if optout_table else "FALSE"
        distinct_map(
            "_nm",
            "_n",
            f"{nhs_valid_sql('_n')} AS _valid, "
            f"CASE WHEN {nhs_valid_sql('_n')} THEN {hmac_sql('_n')} END AS _h, {opt} AS _opt",
        )
        choices.append(("coalesce(_nm._valid, FALSE)", "_nm._h", "nhs_number", "TRUE"))
        nhs_state = (
            "CASE WHEN _ids._n IS NULL THEN 'missing' WHEN _nm._valid THEN 'valid' "
            "ELSE 'invalid' END"
        )
        optout = f"({optout} OR coalesce(_nm._opt, FALSE))"
        cols[raw] = IdColumn({}, None, "''")
    for kind, key, prefix, label in (
        ("token", "_tk", f"token:{token_namespace}:", "token"),
        ("local_id", "_lc", f"local:{source}:", "local"),
    ):
        if kind in kinds:
            raw, v = kinds[kind]
            ids.append(f"{v} AS {key}")
            table = f"_m{key}"
            distinct_map(table, key, f"{hmac_sql(repr(prefix) + ' || ' + key)} AS _h")
            choices.append((f"_ids.{key} IS NOT NULL", f"{table}._h", label, "FALSE"))
            cols[raw] = IdColumn({}, None, "''")
    row = hmac_sql(f"'row:{content_hash}:' || _row::VARCHAR")
    whens = " ".join(f"WHEN {c} THEN {p}" for c, p, _, _ in choices)
    cols["__identity"] = IdColumn(
        {
            "person_id": f"CASE {whens} ELSE {row} END" if choices else row,
            "_id_kind": "CASE "
            + " ".join(f"WHEN {c} THEN '{k}'" for c, _, k, _ in choices)
            + " ELSE 'row' END"
            if choices
            else "'row'",
            "_linked": "CASE "
            + " ".join(f"WHEN {c} THEN {lk}" for c, _, _, lk in choices)
            + " ELSE FALSE END"
            if choices
            else "FALSE",
            "_nhs_state": nhs_state,
            "_optout": optout,
        },
        None,
        "''",
    )
    if "dob" in kinds:
        raw, (v, d) = kinds["dob"][0], kinds["dob"][1]
        ids.append(f"{v} AS _dob_raw")
        ids.append(f"{d} AS _dob")
        ok = f"_dob BETWEEN DATE '{min_date}' AND current_date"
        distinct_map(
            "_dm",
            "_dob",
            f"{ok} AS _ok, "
            f"CASE WHEN {ok} THEN {hmac_sql(repr('dob:') + ' || strftime(_dob, ' + repr('%Y-%m-%d') + ')')} END AS _dh, "
            f"CASE WHEN {ok} THEN {hmac_sql(repr('dobmd:') + ' || strftime(_dob, ' + repr('%m-%d') + ')')} END AS _dmh",
        )
        good = "CASE WHEN _dm._ok THEN _ids._dob END"
        cols[raw] = IdColumn(
            {
                "_dob_year": f"year({good})::SMALLINT",
                "_dob_month": f"month({good})::TINYINT",
                "_dob_hash": "_dm._dh",
                "_dob_md_hash": "_dm._dmh",
            },
            "CASE WHEN _ids._dob_raw IS NOT NULL AND _ids._dob IS NULL THEN 'invalid_date' "
            "WHEN _ids._dob_raw IS NOT NULL AND NOT _dm._ok THEN 'impossible_date' END",
            f"'{raw} is not a valid date of birth (value not shown)'",
        )
    if "postcode" in kinds:
        raw, v = kinds["postcode"]
        norm, _ = postcode_sql(v)
        ids.append(f"{norm} AS _pc")
        ok = "regexp_full_match(_pc, '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}')"
        parts = postcode_parts_sql("_pc")
        distinct_map(
            "_pm",
            "_pc",
            f"{ok} AS _ok, "
            + ", ".join(
                f"CASE WHEN {ok} THEN {hmac_sql(repr(p) + ' || ' + parts[k])} END AS {c}"
                for k, p, c in (
                    ("full", "pc:", "_pch"),
                    ("sector", "pcs:", "_sch"),
                    ("district", "pcd:", "_dih"),
                )
            ),
        )
        cols[raw] = IdColumn(
            {"_pc_hash": "_pm._pch", "_sector_hash": "_pm._sch", "_district_hash": "_pm._dih"},
            "CASE WHEN _ids._pc IS NOT NULL AND NOT _pm._ok THEN 'invalid_code' END",
            f"'{raw} is not a valid UK postcode (value not shown)'",
        )
    prelude.insert(0, f"CREATE OR REPLACE TEMP TABLE _ids AS SELECT {', '.join(ids)} FROM raw")
    return IdentityPlan(tuple(prelude), "".join(joins), cols, tuple(cleanup))
