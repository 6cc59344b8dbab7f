"""Rows of one record share one person: a hospital spell's episodes are one patient's.

The identity step (`linkage.identity`) gives each row a person from that row's own
identifiers. A record that spans rows — a hospital provider spell of several consultant
episodes — can then be split across people when one episode's NHS number is missing or fails
its check digit: that episode becomes its own unlinked person (`row:<file>:<row>`), its own
spell, and is priced again. An adapter declares the keys that tie its rows to one record
(`Adapter.record_group`: alternatives in order of preference, e.g. provider + hospital
provider spell number, then provider + SUS spell id); every row of a group takes the person
of its best-identified row: a supplied pseudonym or valid NHS number first, then a source
token, a local id, and only then the row itself (ties to the earliest row of the file).

An Ibis expression over the parsed rows on the ingest's private scratch (pseudonymised
already); the keys never depend on the validity of an identifier.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

#: Strength of a row's own identity (smaller is better): `_id_kind` from the identity step.
KIND_ORDER = {"pseudonym": 0, "nhs_number": 0, "token": 1, "local": 2, "row": 3}
_SEP = "\x1f"


def group_key(t: ibis.Table, keys: Sequence[Sequence[str]]) -> ibis.StringValue | None:
    """A row's record key: the first alternative whose columns are all non-blank (else NULL)."""
    branches = []
    for i, cols in enumerate(keys):
        if not cols or not all(c in t.columns for c in cols):
            continue
        complete = ibis.and_(*[t[c].notnull() for c in cols])
        value = ibis.literal(str(i))
        for c in cols:
            value = value + _SEP + t[c].cast("string")
        branches.append((complete, value))
    return ibis.cases(*branches, else_=ibis.null("string")) if branches else None


def shared(t: ibis.Table, keys: Sequence[Sequence[str]]) -> ibis.Table | None:
    """Rows of `t` whose record group's best-identified row is another row.

    Returns `_row`, `_id_row` (the row whose identity it takes) and that row's `person_id`,
    `_linked` and `_id_kind` — or None when the adapter declares no group key the file has.
    `t` needs `_row`, `person_id`, `_linked`, `_id_kind` and the key columns.
    """
    key = group_key(t, keys)
    if key is None:
        return None
    rank = t._id_kind.cases(*KIND_ORDER.items(), else_=9)
    g = t.mutate(_g=key, _rank=rank).filter(lambda x: x._g.notnull())
    w = ibis.window(group_by=g._g, order_by=[g._rank, g._row])
    g = g.mutate(_id_row=g._row.first().over(w))
    g = g.filter(g._id_row != g._row).select("_row", "_id_row")
    best = t.select(_best=t._row, _bp=t.person_id, _bl=t._linked, _bk=t._id_kind)
    j = g.join(best, g._id_row == best._best)
    return j.select("_row", "_id_row", person_id=j._bp, _linked=j._bl, _id_kind=j._bk)
