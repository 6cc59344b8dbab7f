"""Files already in the canonical schema (CSV or Parquet), one table per file.

The table is named by `table:` in a mapping file, else by the file name (`activity_2024-25.csv`,
`assessment.parquet`). Columns are the declared ones (docs/data-model.md); a file may carry
`nhs_number` instead of `person_id` (pseudonymised on ingest) or `person_id` already made with
our key. Identifiers of rows (`activity_id`, `assessment_id`, `response_id`) are prefixed with
the load id so every row traces to its load.
"""

from __future__ import annotations

from functools import cache

import ibis

from yearofcare import schemas
from yearofcare.errors import ConfigError
from yearofcare.schemas.model import Column, TableSchema
from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn

TABLES = (
    "person",
    "practice",
    "registration",
    "activity",
    "coded_event",
    "assessment",
    "survey_response",
)
BOOLEANS = {
    "TRUE": "true",
    "T": "true",
    "1": "true",
    "Y": "true",
    "YES": "true",
    "FALSE": "false",
    "F": "false",
    "0": "false",
    "N": "false",
    "NO": "false",
}
ROW_IDS = {
    "activity": "activity_id",
    "assessment": "assessment_id",
    "survey_response": "response_id",
}
PERSON_DATES = {
    "registration": "start_date",
    "activity": "start_date",
    "coded_event": "event_date",
    "assessment": "assessment_date",
    "survey_response": "response_date",
}


def table_for(stem: str) -> str:
    """The canonical table a file name names (longest match first)."""
    s = stem.lower()
    for name in sorted(TABLES, key=len, reverse=True):
        if s.startswith(name):
            return name
    raise ConfigError(
        f"cannot tell which canonical table {stem!r} holds",
        hint="name the file after the table (e.g. activity_2024-25.csv) or set `table:` in a "
        "mapping file; tables: " + ", ".join(TABLES),
    )


def _raw_column(c: Column) -> RawColumn:
    """Declared column → raw column: required values stay required; nullable ones may be
    absent from the file altogether."""
    kw = {"required": not c.nullable, "optional": c.nullable}
    if c.type == "date":
        return RawColumn(c.name, "date", **kw)
    if c.type.startswith("int"):
        return RawColumn(c.name, "int", minimum=c.minimum, maximum=c.maximum, **kw)
    if c.type == "float64":
        return RawColumn(c.name, "float", minimum=c.minimum, maximum=c.maximum, **kw)
    if c.type == "boolean" or c.allowed:
        return RawColumn(c.name, "code", **kw)
    return RawColumn(c.name, "string", **kw)


def _build_for(schema: TableSchema):
    def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
        values = {}
        for c in schema.columns:
            v = t.person_id if c.name == "person_id" else t[c.name]
            if c.type == "boolean":
                v = ibis.ifelse(v.isnull(), ibis.null("boolean"), v == "true")
            if c.name == ROW_IDS.get(schema.name):
                v = common.activity_id(ctx, v)
            if schema.name == "coded_event" and c.name == "activity_id":
                v = ibis.ifelse(
                    v.notnull(),
                    common.activity_id(ctx, v),
                    common.activity_id(ctx, "r" + t._row.cast("string")),
                )
            values[c.name] = v.cast(c.dtype)
        out = {schema.name: t.select(**values)}
        if schema.name == "person":
            out["person"] = common.person_rows(
                t,
                sex=t.sex,
                birth_year=t.birth_year,
                birth_month=t.birth_month,
                lsoa=t.lsoa,
                imd_decile=t.imd_decile,
                date_of_death=t.date_of_death,
                place_of_death=t.place_of_death,
            )
        elif "person_id" in schema.names:
            out["person"] = common.person_rows(t, last_seen=t[PERSON_DATES[schema.name]])
        return out

    return build


@cache
def adapter_for(table: str) -> Adapter:
    if table not in TABLES:
        raise ConfigError(
            f"{table!r} is not a canonical table", hint="tables: " + ", ".join(TABLES)
        )
    schema = schemas.get(table)
    cols = [
        RawColumn("person_id", "pseudonym", optional=True)
        if c.name == "person_id"
        else _raw_column(c)
        for c in schema.columns
    ]
    if "person_id" in schema.names:
        cols.insert(0, RawColumn("nhs_number", "nhs_number", optional=True))
    code_maps = {c.name: dict.fromkeys(c.allowed, "") for c in schema.columns if c.allowed}
    code_maps = {n: {k: k for k in m} for n, m in code_maps.items()}
    code_maps.update({c.name: BOOLEANS for c in schema.columns if c.type == "boolean"})
    key = tuple(k if k != "person_id" else "person_id" for k in schema.key)
    return Adapter(
        name="canonical",
        description=f"Canonical {table} rows (CSV or Parquet).",
        columns=tuple(cols),
        build=_build_for(schema),
        record_key=key,
        code_maps=code_maps,
        date_column=PERSON_DATES.get(table),
        person_rank=1 if table in ("person", "registration") else 5,
        token_namespace="canonical",
        feeds=(table,),
    )


# The placeholder every format module exports; ingest picks the table per file.
ADAPTER = adapter_for("activity")
