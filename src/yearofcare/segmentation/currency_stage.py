"""`yoc currency`: every configured currency for every person-year (person_currency), with a
summary by value (currency_summary, through small-number suppression).

Exclusive rule sets are checked on the data first: a person-year matching two rules stops the
run with both values named, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pyarrow as pa

from yearofcare import schemas
from yearofcare.config import ConfigModel
from yearofcare.disclosure import DEFAULT_POLICY, DisclosurePolicy, suppress
from yearofcare.errors import ConfigError
from yearofcare.progress import SILENT, Progress
from yearofcare.segmentation.currencies import (
    NO_MATCH,
    SEP,
    Currencies,
    load_currencies,
    overlaps,
    person_currency,
    summary,
)
from yearofcare.segmentation.frame import need_frame
from yearofcare.store import Store

STAGE = "currency"


class CurrencyOptions(ConfigModel):
    config_name: ClassVar[str] = "currency options"
    currencies: Path | None = None


@dataclass(frozen=True)
class CurrencyResult:
    run_id: str
    version: str
    unmatched: dict[str, int]  # currency -> person-years matching no rule
    summary: pd.DataFrame


def run_currency(
    store: Store, options: CurrencyOptions | None = None, progress: Progress = SILENT
) -> CurrencyResult:
    options = options or CurrencyOptions()
    loaded, parsed = load_currencies(options.currencies)
    config: Currencies = loaded.model
    params = {
        **options.model_dump(mode="json"),
        "currencies_version": config.version,
        "currencies_sha256": loaded.sha256,
    }
    with progress.task("Currencies", total=3) as bar, store.stage(STAGE, params) as run:
        py = run.read("person_year")
        need = run.read("need_level") if store.exists("need_level") else None
        if need is None and any(c.column in ("level",) for c in config.currencies):
            run.parameters["note"] = "no need_level yet: level-based currencies are unmatched"
        frame = store.cache(need_frame(py, need))
        for cur in config.currencies:
            if cur.kind == "rules" and cur.match == "exclusive":
                _check_overlaps(store, frame, cur, parsed, loaded.path)
        bar.advance()
        run.write("person_currency", person_currency(frame, config, parsed))
        frame.release()
        bar.advance()
        pc = run.staged("person_currency")
        raw = store.to_pandas(summary(pc, py))
        safe = _safe(raw, DEFAULT_POLICY)
        run.write("currency_summary", _arrow(safe))
        unmatched = {
            c.name: int(raw[(raw.currency == c.name) & (raw.value == NO_MATCH)].people.sum())
            for c in config.currencies
        }
        run.parameters["unmatched_person_years"] = unmatched
        bar.advance()
    return CurrencyResult(run.run_id, config.version, unmatched, safe)


def _check_overlaps(store: Store, frame, cur, parsed, path) -> None:
    found = store.to_pandas(overlaps(frame, cur, parsed).order_by("first_fy").limit(5))
    if found.empty:
        return
    first = found.iloc[0]
    total = int(found.person_years.sum())
    values = " and ".join(repr(v) for v in str(first._label).split(SEP) if v)
    raise ConfigError(
        f"currencies file {path}, currency {cur.name}: the rules overlap — "
        f"{int(first.person_years):,} person-years (first in {int(first.first_fy)}) match both "
        f"{values}; {total:,} person-years match more than one rule in all",
        hint="make the rules exclusive (add 'and not …'), or set match: first to take the "
        "first rule that holds",
    )


def _safe(raw: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    declared = schemas.get("currency_summary")
    if raw.empty:
        return pa.Table.from_pylist([], schema=declared.ibis_schema().to_pyarrow()).to_pandas()
    safe = suppress(
        raw,
        ["people"],
        ["share_of_people", "cost_total", "mean_cost"],
        policy,
        totals=["cost_total"],
        per={"mean_cost": "people"},
        shares={"share_of_people": "people"},
        lines=[("fy", "currency")],
    )
    safe["people"] = safe["people"].round().astype("Int64")
    safe = safe.sort_values(["fy", "currency", "value_order", "value"], kind="stable")
    return safe[list(declared.names)].reset_index(drop=True)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    schema = schemas.get("currency_summary").ibis_schema().to_pyarrow()
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
