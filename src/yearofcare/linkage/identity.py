"""The trusted identity step: identifiers in, pseudonyms out, on the ingest's private scratch.

Ingest reads each raw file on a private in-memory DuckDB (never the store). Here every
identifier column is normalised (Ibis expressions), its *distinct* values are pulled out once,
checked and keyed-hashed in bulk in Python (`pseudonym.Hasher`: the key never enters the
engine), and the small value → pseudonym maps are joined back to the rows. Only pseudonyms and
keyed hashes leave the scratch.

Who a row belongs to, in order of preference:
1. a pseudonym supplied with the file, made with our key (32 hex characters): used as it is;
2. a valid NHS number (format and modulus-11 check): HMAC of the ten digits (the same
   pseudonym `linkage.pseudonym.pseudonymise` gives, so every source links);
3. a source token such as HES `PSEUDO_HESID` / `TOKEN_PERSON_ID`: HMAC of `token:<ns>:<token>`
   — its own domain, so a token can never collide with an NHS-number pseudonym; it links the
   source's records to each other, not to the spine;
4. a local person identifier (e.g. an ASC-CLD client id): HMAC of `local:<source>:<id>`;
5. otherwise the record itself: HMAC of `row:<file hash>:<row>` — one unlinked person per row
   (`person_id` is left NULL here and filled once the rows are checked: `sources.parse`).
Rows identified by 3–5 are *unlinked* (`linked` false) and are what probabilistic linkage on
date of birth, sex and postcode (the keyed hashes made here) tries to place on the spine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import ibis
import pyarrow as pa

from yearofcare.linkage import nhs_number
from yearofcare.linkage.optout import OptOuts
from yearofcare.linkage.pseudonym import PSEUDONYM_HEX, Hasher

POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
PSEUDONYM = re.compile(f"[0-9a-f]{{{PSEUDONYM_HEX}}}")

#: Identifier outputs every parsed row carries (NULL where the format has no such column).
OUTPUT_TYPES: dict[str, str] = {
    "person_id": "string",
    "_id_kind": "string",
    "_linked": "boolean",
    "_nhs_state": "string",
    "_optout": "boolean",
    "_dob_year": "int16",
    "_dob_month": "int8",
    "_dob_hash": "string",
    "_dob_md_hash": "string",
    "_pc_hash": "string",
    "_sector_hash": "string",
    "_district_hash": "string",
}


@dataclass(frozen=True)
class IdError:
    """A check on one identifier column: its reason code (an expression, NULL when fine)."""

    reason: ibis.StringValue
    message: str


@dataclass
class Identity:
    """The identity step for one file: the table with its maps joined, and what to select."""

    table: ibis.Table
    columns: dict[str, ibis.Value]
    errors: dict[str, IdError] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """Which raw column holds each identifier kind, and the load's naming."""

    kinds: dict[str, str]  # kind → raw column name (present in the file)
    source: str
    token_namespace: str
    content_hash: str
    min_date: date


def _memtable(columns: dict[str, pa.Array]) -> ibis.Table:
    return ibis.memtable(pa.table(columns))


def _distinct(con, expr: ibis.Value, name: str) -> pa.Array:
    t = expr.name(name).as_table()
    t = t.filter(t[name].notnull()).distinct()
    return con.to_pyarrow(t)[name].combine_chunks()


def identify(
    con,
    t: ibis.Table,
    values: dict[str, ibis.Value],
    spec: Spec,
    hasher: Hasher,
    optouts: OptOuts | None,
) -> Identity:
    """The identity step over `t` (see the module docstring).

    `values` maps each identifier kind present to its blanked raw value (an expression over
    `t`; for `dob`, the parsed date, with the raw value under `dob_raw`). Runs one distinct
    query per kind on `con`; returns `t` with the maps joined and the output expressions.
    """
    cols: dict[str, ibis.Value] = {}
    errors: dict[str, IdError] = {}
    choices: list[tuple[ibis.BooleanValue, ibis.Value, str, bool]] = []
    opted: list[ibis.BooleanValue] = []
    optout_nhs = optouts.nhs if optouts else frozenset()
    optout_ps = optouts.pseudonyms if optouts else frozenset()
    keys: dict[str, ibis.Value] = {}
    maps: list[tuple[str, ibis.Table]] = []

    def add_map(key: str, expr: ibis.Value, build: Callable[[pa.Array], dict[str, pa.Array]]):
        keys[key] = expr
        distinct = _distinct(con, expr, key)
        maps.append((key, _memtable({f"{key}_k": distinct, **build(distinct)})))

    if "pseudonym" in values:

        def pseudonym_map(v: pa.Array) -> dict[str, pa.Array]:
            items = v.to_pylist()
            return {
                "_pv": pa.array([PSEUDONYM.fullmatch(x) is not None for x in items]),
                "_po": pa.array([x in optout_ps for x in items]),
            }

        add_map("_p", values["pseudonym"].lower(), pseudonym_map)
    if "nhs_number" in values:

        def nhs_map(v: pa.Array) -> dict[str, pa.Array]:
            valid = nhs_number.is_valid(v)
            items = v.to_pylist()
            hashes = hasher.many(x if ok else None for x, ok in zip(items, valid, strict=True))
            return {
                "_nv": pa.array(valid),
                "_nh": pa.array(hashes, pa.string()),
                "_no": pa.array([x in optout_nhs for x in items]),
            }

        add_map("_n", values["nhs_number"].re_replace(r"[\s-]", "").nullif(""), nhs_map)
    for kind, key, prefix in (
        ("token", "_tk", f"token:{spec.token_namespace}:"),
        ("local_id", "_lc", f"local:{spec.source}:"),
    ):
        if kind in values:
            add_map(
                key,
                values[kind],
                lambda v, p=prefix, k=key: {f"{k}h": pa.array(hasher.many(v.to_pylist(), p))},
            )
    if "dob" in values:
        today = date.today()

        def dob_map(v: pa.Array) -> dict[str, pa.Array]:
            days = v.to_pylist()
            ok = [spec.min_date <= d <= today for d in days]
            return {
                "_dok": pa.array(ok),
                "_dh": pa.array(
                    [
                        hasher.one(f"dob:{d:%Y-%m-%d}") if g else None
                        for d, g in zip(days, ok, strict=False)
                    ],
                    pa.string(),
                ),
                "_dmh": pa.array(
                    [
                        hasher.one(f"dobmd:{d:%m-%d}") if g else None
                        for d, g in zip(days, ok, strict=False)
                    ],
                    pa.string(),
                ),
            }

        add_map("_dob", values["dob"], dob_map)
    if "postcode" in values:

        def postcode_map(v: pa.Array) -> dict[str, pa.Array]:
            items = v.to_pylist()
            ok = [POSTCODE.fullmatch(x) is not None for x in items]
            out = {"_pok": pa.array(ok)}
            for col, prefix, part in (
                ("_pch", "pc:", lambda x: f"{x[:-3]} {x[-3:]}"),
                ("_sch", "pcs:", lambda x: f"{x[:-3]} {x[-3]}"),
                ("_dih", "pcd:", lambda x: x[:-3]),
            ):
                out[col] = pa.array(
                    [
                        hasher.one(prefix + part(x)) if g else None
                        for x, g in zip(items, ok, strict=False)
                    ],
                    pa.string(),
                )
            return out

        add_map("_pc", values["postcode"].re_replace(r"\s", "").upper().nullif(""), postcode_map)

    j = t.mutate(**keys)
    for key, m in maps:
        j = j.left_join(m, j[key] == m[f"{key}_k"]).drop(f"{key}_k")

    if "pseudonym" in values:
        choices.append((j._pv.fill_null(False), j._p, "pseudonym", True))
        opted.append(j._po.fill_null(False))
        errors[spec.kinds["pseudonym"]] = IdError(
            ibis.ifelse(
                j._p.notnull() & ~j._pv.fill_null(False), "invalid_pseudonym", ibis.null("string")
            ),
            f"{spec.kinds['pseudonym']} is not a pseudonym made with the linkage key "
            f"({PSEUDONYM_HEX} hex characters)",
        )
    if "nhs_number" in values:
        choices.append((j._nv.fill_null(False), j._nh, "nhs_number", True))
        opted.append(j._no.fill_null(False))
        cols["_nhs_state"] = ibis.cases(
            (j._n.isnull(), "missing"), (j._nv, "valid"), else_="invalid"
        )
    if "token" in values:
        choices.append((j._tk.notnull(), j._tkh, "token", False))
    if "local_id" in values:
        choices.append((j._lc.notnull(), j._lch, "local", False))
    cols["person_id"] = (
        ibis.cases(*[(c, v) for c, v, _, _ in choices], else_=ibis.null("string"))
        if choices
        else ibis.null("string")
    )
    cols["_id_kind"] = (
        ibis.cases(*[(c, k) for c, _, k, _ in choices], else_="row") if choices else "row"
    )
    cols["_linked"] = (
        ibis.cases(*[(c, lk) for c, _, _, lk in choices], else_=False) if choices else False
    )
    cols["_optout"] = ibis.or_(*opted) if opted else False
    if "dob" in values:
        good = ibis.ifelse(j._dok.fill_null(False), j._dob, ibis.null("date"))
        cols.update(
            _dob_year=good.year(), _dob_month=good.month(), _dob_hash=j._dh, _dob_md_hash=j._dmh
        )
        raw = values["dob_raw"].name("_dob_raw")
        j = j.mutate(_dob_raw=raw)
        errors[spec.kinds["dob"]] = IdError(
            ibis.cases(
                (j._dob_raw.notnull() & j._dob.isnull(), "invalid_date"),
                (j._dob_raw.notnull() & ~j._dok.fill_null(False), "impossible_date"),
                else_=ibis.null("string"),
            ),
            f"{spec.kinds['dob']} is not a valid date of birth (value not shown)",
        )
    if "postcode" in values:
        cols.update(_pc_hash=j._pch, _sector_hash=j._sch, _district_hash=j._dih)
        errors[spec.kinds["postcode"]] = IdError(
            ibis.ifelse(
                j._pc.notnull() & ~j._pok.fill_null(False), "invalid_code", ibis.null("string")
            ),
            f"{spec.kinds['postcode']} is not a valid UK postcode (value not shown)",
        )
    out = {
        name: _expr(cols[name]).cast(typ) if name in cols else ibis.null(typ)
        for name, typ in OUTPUT_TYPES.items()
    }
    return Identity(j, out, errors)


def _expr(value: object) -> ibis.Value:
    return value if isinstance(value, ibis.Expr) else ibis.literal(value)
