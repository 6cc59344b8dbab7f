"""Triangulation (Kent priority 2, "reality checking"): loaded cost against contract values.

The finance team supplies a small file of contract or budget values — CSV or YAML — one line
per contract (or budget) and financial year, naming what it covers: a source, a provider, a
setting, any of them empty meaning "any". Each line is compared with the cost of the matching
activity rows in the store: difference = loaded − contract, and that difference as a share of
the contract value. A large gap means activity is missing, duplicated or mis-costed (or the
contract covers services the extracts do not).

CSV columns (header row, any order): name, kind, source, provider_code, setting, fy, value,
tolerance. YAML: a list of mappings with the same keys (or a mapping with a `lines:` list).
`fy` is the financial year as 2024, 2024/25 or 2024-25; `value` is in pounds (`£` and thousands
separators allowed); `tolerance` is a fraction (0.05) or a percentage (5%).
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path
from typing import ClassVar, Literal

import ibis
import pyarrow as pa
from pydantic import ConfigDict, Field, field_validator

from yearofcare import sources, vocab
from yearofcare.config import ConfigModel, read_yaml, validate
from yearofcare.errors import ConfigError
from yearofcare.fy import fy_expr
from yearofcare.sums import exact_sum

FIELDS = ("name", "kind", "source", "provider_code", "setting", "fy", "value", "tolerance")
_HINT = (
    "each line needs name, fy (2024 or 2024/25) and value (pounds); kind is contract or budget; "
    "source, provider_code and setting are optional filters; tolerance is a fraction or a %"
)


class ContractLine(ConfigModel):
    """One line of a contract / budget file."""

    model_config = ConfigDict(str_strip_whitespace=True)
    config_name: ClassVar[str] = "contract line"
    config_hint: ClassVar[str | None] = _HINT

    name: str = Field(min_length=1)
    kind: Literal["contract", "budget"] = "contract"
    source: str | None = None
    provider_code: str | None = None
    setting: str | None = None
    fy: int = Field(ge=1990, le=2100)
    value: float = Field(ge=0)
    tolerance: float | None = Field(None, ge=0)

    @field_validator("source", "provider_code", "setting", "tolerance", "kind", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: object) -> object:
        return "contract" if v is None else (v.strip().lower() if isinstance(v, str) else v)

    @field_validator("source")
    @classmethod
    def _source(cls, v: str | None) -> str | None:
        if v is not None and v not in sources.FORMATS:
            raise ValueError(f"unknown source; expected one of {', '.join(sources.FORMATS)}")
        return v

    @field_validator("setting")
    @classmethod
    def _setting(cls, v: str | None) -> str | None:
        if v is not None and v not in vocab.SETTINGS:
            raise ValueError(f"unknown setting; expected one of {', '.join(vocab.SETTINGS)}")
        return v

    @field_validator("fy", mode="before")
    @classmethod
    def _fy(cls, v: object) -> object:
        if isinstance(v, str):
            m = re.fullmatch(r"\s*(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?\s*", v)
            if not m:
                raise ValueError("not a financial year; write 2024 or 2024/25")
            start = int(m.group(1))
            if m.group(2) and int(m.group(2)[-2:]) != (start + 1) % 100:
                raise ValueError("the two years are not consecutive (2024/25 is 2024 to 2025)")
            return start
        return v

    @field_validator("value", mode="before")
    @classmethod
    def _money(cls, v: object) -> object:
        if isinstance(v, str):
            text = v.strip().replace("£", "").replace(",", "").replace(" ", "")
            try:
                return float(text)
            except ValueError:
                raise ValueError("not an amount in pounds (e.g. 1250000 or £1,250,000)") from None
        return v

    @field_validator("tolerance", mode="before")
    @classmethod
    def _tolerance(cls, v: object) -> object:
        if isinstance(v, str):
            text = v.strip()
            pct = text.endswith("%")
            try:
                x = float(text.rstrip("%"))
            except ValueError:
                raise ValueError("not a fraction (0.05) or a percentage (5%)") from None
            return x / 100 if pct else x
        return v


def _records(path: Path) -> list[tuple[int, dict[str, object]]]:
    """(row number, fields) of each line; row numbers as an editor shows them."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"contract file {path} not found", hint="check the path given to --contracts"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"contract file {path} cannot be read ({exc})", hint="save it as UTF-8 CSV or YAML"
        ) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        doc, _ = read_yaml(path, what="contract file")
        if isinstance(doc, dict) and "lines" in doc:
            doc = doc["lines"]
        if not isinstance(doc, list) or not all(isinstance(x, dict) for x in doc):
            raise ConfigError(
                f"contract file {path.name}: expected a list of lines (mappings)",
                hint="write `lines:` followed by `- name: …, fy: …, value: …` entries",
            )
        return [(i, dict(x)) for i, x in enumerate(doc, start=1)]
    if path.suffix.lower() not in (".csv", ".txt"):
        raise ConfigError(
            f"contract file {path.name}: unknown type {path.suffix or '(none)'}",
            hint="use a .csv or a .yaml file",
        )
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ConfigError(
            f"contract file {path.name}: it is empty; expected a header row", hint=_HINT
        )
    unknown = [h for h in header if h.lower() not in FIELDS]
    if unknown:
        raise ConfigError(
            f"contract file {path.name}, row 1, column {unknown[0]}: unknown column",
            hint="the columns are " + ", ".join(FIELDS),
        )
    out = []
    for i, rec in enumerate(reader, start=2):
        if rec.get(None):
            raise ConfigError(
                f"contract file {path.name}, row {i}: more fields than the header has columns",
                hint="quote values that contain commas",
            )
        fields = {k.strip().lower(): v for k, v in rec.items() if k is not None}
        if all((v or "").strip() == "" for v in fields.values()):
            continue
        out.append((i, {k: v for k, v in fields.items() if v is not None and v.strip() != ""}))
    return out


def load_contracts(path: Path | str) -> list[tuple[int, ContractLine]]:
    """Read and validate a contract file: (row, line) pairs. Errors name the file, row and
    column at fault."""
    path = Path(path)
    lines: list[tuple[int, ContractLine]] = []
    what = "item" if path.suffix.lower() in (".yaml", ".yml") else "row"
    for row, fields in _records(path):
        where = f"contract file {path.name}, {what} {row}"
        noun = "setting" if what == "item" else "column"
        lines.append((row, validate(ContractLine, fields, source=where, noun=noun)))
    if not lines:
        raise ConfigError(f"contract file {path.name} has no lines", hint=_HINT)
    seen: dict[tuple, int] = {}
    for row, line in lines:
        key = (line.kind, line.source, line.provider_code, line.setting, line.fy)
        if key in seen:
            raise ConfigError(
                f"contract file {path.name}, {what} {row}: same {line.kind} as {what} "
                f"{seen[key]} (source, provider, setting and year all match)",
                hint="merge the two lines, or tell them apart by provider or setting",
            )
        seen[key] = row
    return lines


def file_hash(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def contracts_table(lines: list[tuple[int, ContractLine]], default_tolerance: float) -> pa.Table:
    rows = [
        {
            "line": row,
            "name": c.name,
            "kind": c.kind,
            "source": c.source,
            "provider_code": c.provider_code,
            "setting": c.setting,
            "fy": c.fy,
            "contract_value": c.value,
            "tolerance_pct": c.tolerance if c.tolerance is not None else default_tolerance,
        }
        for row, c in lines
    ]
    schema = pa.schema(
        [
            ("line", pa.int64()),
            ("name", pa.string()),
            ("kind", pa.string()),
            ("source", pa.string()),
            ("provider_code", pa.string()),
            ("setting", pa.string()),
            ("fy", pa.int16()),
            ("contract_value", pa.float64()),
            ("tolerance_pct", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def loaded_costs(activity: ibis.Table, costed: ibis.Table | None) -> tuple[ibis.Table, str]:
    """Cost by source, provider, setting and financial year: from `activity_costed` when the
    build has costed every row, else the costs supplied in `activity` (uncosted rows counted)."""
    if costed is not None:
        c = costed.filter(costed.is_activity)
        g = c.group_by(["source", "provider_code", "setting", "fy"]).aggregate(
            cost=exact_sum(c.cost), records=c.count(), records_uncosted=ibis.literal(0, "int64")
        )
        return g, "activity_costed"
    a = activity.mutate(fy=fy_expr(activity.start_date))
    g = a.group_by(["source", "provider_code", "setting", "fy"]).aggregate(
        cost=exact_sum(a.cost), records=a.count(), records_uncosted=a.cost.isnull().sum()
    )
    return g, "activity"


def triangulate(contracts: ibis.Table, costs: ibis.Table, cost_table: str) -> ibis.Table:
    """`dq_triangulation`: each contract line with the loaded cost of the rows it covers."""
    c = contracts
    k = costs.select(
        k_source=costs.source,
        k_provider=costs.provider_code,
        k_setting=costs.setting,
        k_fy=costs.fy.cast("int16"),
        k_cost=costs.cost,
        k_records=costs.records,
        k_uncosted=costs.records_uncosted,
    )
    j = c.left_join(
        k,
        [
            c.fy == k.k_fy,
            c.source.isnull() | (c.source == k.k_source),
            c.provider_code.isnull() | (c.provider_code == k.k_provider),
            c.setting.isnull() | (c.setting == k.k_setting),
        ],
    )
    keys = [
        "line",
        "name",
        "kind",
        "source",
        "provider_code",
        "setting",
        "fy",
        "contract_value",
        "tolerance_pct",
    ]
    g = j.group_by(keys).aggregate(
        loaded_cost=exact_sum(j.k_cost),
        records=j.k_records.sum(),
        records_uncosted=j.k_uncosted.sum(),
    )
    loaded = g.loaded_cost.fill_null(0.0)
    diff = loaded - g.contract_value
    pct = ibis.ifelse(g.contract_value > 0, diff / g.contract_value, ibis.null("float64"))
    return g.select(
        "line",
        "name",
        "kind",
        "source",
        "provider_code",
        "setting",
        "fy",
        "contract_value",
        loaded_cost=loaded,
        records=g.records.fill_null(0).cast("int64"),
        records_uncosted=g.records_uncosted.fill_null(0).cast("int64"),
        difference=diff,
        difference_pct=pct,
        tolerance_pct=g.tolerance_pct,
        within_tolerance=ibis.ifelse(
            pct.notnull(), pct.abs() <= g.tolerance_pct, loaded == g.contract_value
        ),
        cost_table=ibis.literal(cost_table),
    )
