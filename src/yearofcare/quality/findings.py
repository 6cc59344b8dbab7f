"""Findings: what needs attention, in words a data provider can act on.

Rules over the measure tables (`dq_load`, `dq_reject`, `dq_source_month`, `dq_drift`,
`dq_triangulation`) once they are computed. These are small aggregates — a few rows per load,
month or contract line — so the rules run in plain Python on pandas frames pulled out of the
engine; no person-level data is read here.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from yearofcare import sources
from yearofcare.disclosure import DEFAULT_POLICY, SUPPRESSED, DisclosurePolicy
from yearofcare.errors import YocError
from yearofcare.fy import fy_label
from yearofcare.quality.demographics import demographic_findings
from yearofcare.quality.measures import CODE_REASONS
from yearofcare.quality.options import QualityOptions

#: What to do about each reason code of `ingest_reject` (the supplier's action).
ADVICE: dict[str, str] = {
    "missing_required": "fill this column on every row; rows without it cannot be used",
    "invalid_date": "send dates in the agreed format (YYYY-MM-DD unless agreed otherwise)",
    "impossible_date": "check the dates: they fall outside 1890–2099",
    "implausible_date": "check the dates: they fall after the latest plausible date (the future)",
    "end_before_start": "check the end dates: they fall before the start dates",
    "invalid_number": "send plain numbers (no text, units or thousands separators)",
    "out_of_range": "check the values: they fall outside the range the data set allows",
    "unknown_code": "use the national code list for this column (or agree a local mapping)",
    "invalid_code": "send codes in their national format (ICD-10, OPCS-4, SNOMED CT, Read v2, "
    "BNF), without descriptions or local codes",
    "invalid_pseudonym": "send the pseudonym made with the agreed key, or the NHS number",
    "duplicate": "send each record once; duplicates of an earlier row were set aside",
    "malformed_row": "check quoting and delimiters: these rows have the wrong number of fields",
    "excluded": "these rows are out of scope for the format (e.g. unfinished episodes)",
}

REASON_LABELS: dict[str, str] = {
    "missing_required": "required value missing",
    "invalid_date": "not a valid date",
    "impossible_date": "date out of range",
    "implausible_date": "date in the future",
    "end_before_start": "end before start",
    "invalid_number": "not a number",
    "out_of_range": "number out of range",
    "unknown_code": "unknown code",
    "invalid_code": "invalid code format",
    "invalid_pseudonym": "invalid pseudonym",
    "duplicate": "duplicate record",
    "malformed_row": "unreadable row",
    "excluded": "out of scope (format rule)",
}


def rows_text(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _f(
    priority: int,
    severity: str,
    check: str,
    source: str,
    message: str,
    action: str | None = None,
    *,
    load: pd.Series | None = None,
    month: Any = None,
    column: str | None = None,
    count: int | None = None,
    value: float | None = None,
) -> dict[str, Any]:
    return {
        "priority": priority,
        "severity": severity,
        "check": check,
        "source": source,
        "load_id": None if load is None else load["load_id"],
        "file_name": None if load is None else load["file_name"],
        "month": month,
        "column": column or None,
        "count": None if count is None else int(count),
        "value": None if value is None or pd.isna(value) else float(value),
        "message": message,
        "action": action,
    }


def _p(x: float) -> str:
    return f"{x:.1%}"


@cache
def identifies_people(source: str, file_name: str) -> bool:
    """Whether the file's format carries a person identifier (a practice list does not)."""
    try:
        if source == "canonical":
            from yearofcare.sources.canonical import table_for

            adapter = sources.get(source, table_for(Path(file_name).stem))
        else:
            adapter = sources.get(source)
    except YocError:
        return True
    return any(c.kind in ("nhs_number", "pseudonym", "token") for c in adapter.identifiers)


def load_findings(loads: pd.DataFrame, o: QualityOptions) -> Iterator[dict[str, Any]]:
    for _, x in loads[loads.status == "current"].iterrows():
        s = x["source"]
        people = identifies_people(s, x["file_name"])  # a practice list has no one to link
        has_nhs = x["nhs_number_present"] > 0
        if people and not has_nhs and x["pseudonym_supplied"] == 0 and x["rows_read"] > 0:
            yield _f(
                1,
                "warning",
                "nhs_number_absent",
                s,
                f"{x['file_name']}: no row carries an NHS number"
                + (f"; {x['token_linked']:,} rows carry only a token" if x["token_linked"] else ""),
                "include the NHS number (or the agreed pseudonym) so records link across services",
                load=x,
                count=x["nhs_number_missing"],
                value=0.0,
            )
        if has_nhs and x["nhs_number_missing"] > 0:
            yield _f(
                1,
                "warning",
                "nhs_number_missing",
                s,
                f"{x['file_name']}: {x['nhs_number_missing']:,} rows have no NHS number "
                f"(coverage {_p(x['nhs_coverage'])})",
                "trace and add the NHS number (PDS) before sending",
                load=x,
                count=x["nhs_number_missing"],
                value=x["nhs_coverage"],
            )
        if x["nhs_number_invalid"] > 0:
            yield _f(
                1,
                "warning",
                "nhs_number_invalid",
                s,
                f"{x['file_name']}: {x['nhs_number_invalid']:,} NHS "
                f"number{'s fail' if x['nhs_number_invalid'] != 1 else ' fails'} the "
                f"format or check-digit test (validity {_p(x['nhs_validity'])})",
                "check how NHS numbers are captured and exported (10 digits, valid check digit)",
                load=x,
                count=x["nhs_number_invalid"],
                value=x["nhs_validity"],
            )
        if (
            has_nhs
            and pd.notna(x["nhs_valid_coverage"])
            and x["nhs_valid_coverage"] < o.nhs_valid_target
        ):
            yield _f(
                1,
                "warning",
                "nhs_valid_coverage",
                s,
                f"{x['file_name']}: {_p(x['nhs_valid_coverage'])} of rows have a valid NHS "
                f"number (target {_p(o.nhs_valid_target)})",
                "raise NHS number coverage; unlinked rows cannot be joined to other services",
                load=x,
                value=x["nhs_valid_coverage"],
            )
        identified = has_nhs or x["pseudonym_supplied"] > 0
        if identified and pd.notna(x["linkage_rate"]) and x["linkage_rate"] < o.linkage_target:
            yield _f(
                1,
                "warning",
                "linkage_rate",
                s,
                f"{x['file_name']}: {_p(x['linkage_rate'])} of loaded rows are linked to a "
                f"person on NHS number (target {_p(o.linkage_target)})",
                "unlinked rows are counted but cannot join a person's other care",
                load=x,
                count=x["rows_unlinked"],
                value=x["linkage_rate"],
            )
        if x["duplicates_across_loads"] > 0:
            yield _f(
                1,
                "warning",
                "duplicates_across_loads",
                s,
                f"{x['file_name']}: {x['duplicates_across_loads']:,} records also arrived in "
                "another file of this source",
                "send each period once; overlapping extracts double-count activity",
                load=x,
                count=x["duplicates_across_loads"],
            )
        if pd.notna(x["quarantine_rate"]) and x["quarantine_rate"] > o.quarantine_limit:
            yield _f(
                2,
                "warning",
                "quarantine_rate",
                s,
                f"{x['file_name']}: {x['rows_quarantined']:,} of {x['rows_read']:,} rows "
                f"({_p(x['quarantine_rate'])}) were set aside",
                "see the reasons listed for this file",
                load=x,
                count=x["rows_quarantined"],
                value=x["quarantine_rate"],
            )
        if x["rows_late"] > 0:
            yield _f(
                3,
                "info",
                "late_records",
                s,
                f"{x['file_name']}: {rows_text(x['rows_late'])} dated before the period the "
                "file covers (late arrivals)",
                "late records change earlier months' figures; send them in their own period",
                load=x,
                count=x["rows_late"],
            )


def timeliness_findings(loads: pd.DataFrame, o: QualityOptions) -> Iterator[dict[str, Any]]:
    """One finding per source whose current files arrived more than `late_days` after their
    periods ended."""
    cur = loads[(loads.status == "current") & loads.lag_days.notna()]
    late = cur[cur.lag_days > o.late_days]
    for source, g in late.groupby("source"):
        lo, hi = int(g.lag_days.min()), int(g.lag_days.max())
        days = f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
        files = "1 file was" if len(g) == 1 else f"{len(g)} files were"
        yield _f(
            3,
            "info",
            "timeliness",
            str(source),
            f"{files} loaded {days} days after the period ended (expected within "
            f"{o.late_days}): " + ", ".join(sorted(g.file_name)),
            "send extracts sooner after the period closes",
            load=g.iloc[0] if len(g) == 1 else None,
            count=len(g),
            value=float(hi),
        )


def reject_findings(rejects: pd.DataFrame, loads: pd.DataFrame) -> Iterator[dict[str, Any]]:
    current = loads.set_index("load_id")
    current = current[current.status == "current"]
    for _, r in rejects.iterrows():
        if r["load_id"] not in current.index:
            continue
        x = current.loc[r["load_id"]].copy()
        x["load_id"] = r["load_id"]
        reason = r["reason"]
        priority = 1 if reason in (*CODE_REASONS, "duplicate") else 2
        severity = "error" if r["action"] == "quarantined" else "warning"
        if reason == "duplicate":
            severity = "warning"  # the copy was set aside; the record itself is loaded
        elif reason == "excluded":
            severity = "info"
        where = f", column {r['column']}" if r["column"] else ""
        done = "set aside" if r["action"] == "quarantined" else "loaded with the value blanked"
        yield _f(
            priority,
            severity,
            reason,
            r["source"],
            f"{r['file_name']}{where}: {REASON_LABELS.get(reason, reason)} in "
            f"{rows_text(r['rows'])} ({done}); e.g. row{'s' if r['rows'] > 1 else ''} "
            f"{r['example_rows']}",
            ADVICE.get(reason),
            load=x,
            column=r["column"],
            count=r["rows"],
        )


def _runs(months: list[pd.Timestamp]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive months grouped into (first, last) runs."""
    runs: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for m in months:
        if runs and m == runs[-1][1] + pd.offsets.MonthBegin(1):
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return runs


def month_findings(months: pd.DataFrame, o: QualityOptions) -> Iterator[dict[str, Any]]:
    """Gaps within the periods a source's files say they cover: a month with no records is
    missing; one with under `gap_ratio` × the median month's records is low. Sources with
    fewer than `gap_min_records` in a usual month are too sparse to judge. Sources whose
    files give no period (e.g. a registration snapshot) are not checked: their dates are not
    a monthly flow."""
    for source, g in months.groupby("source"):
        start, end = g.source_period_start.iloc[0], g.source_period_end.iloc[0]
        if pd.isna(start) or pd.isna(end):
            continue
        first = pd.Timestamp(start).to_period("M").to_timestamp()
        last = pd.Timestamp(end).to_period("M").to_timestamp()
        g = g.assign(month=pd.to_datetime(g.month))
        g = g[(g.month >= first) & (g.month <= last)].sort_values("month")
        span = pd.date_range(first, last, freq="MS")
        if len(span) < 3:
            continue
        if g.empty or float(g.records.median()) < o.gap_min_records:
            continue
        have = set(g.month)
        for a, b in _runs([m for m in span if m not in have]):
            n = (b.year - a.year) * 12 + b.month - a.month + 1
            when = f"{a:%B %Y}" if n == 1 else f"{a:%B %Y} to {b:%B %Y} ({n} months)"
            yield _f(
                2,
                "warning",
                "month_missing",
                str(source),
                f"no records dated {when}, within the period {first:%b %Y}–{last:%b %Y} its "
                "files cover",
                "check whether these months' data were sent and loaded",
                month=a.date(),
                count=0,
            )
        median = float(g.records.median())
        for _, r in g[g.records < o.gap_ratio * median].iterrows():
            yield _f(
                2,
                "warning",
                "month_low",
                str(source),
                f"{r['month']:%B %Y}: under {o.gap_ratio:.0%} of the records of a usual month",
                "check whether part of this month's data is missing",
                month=r["month"].date(),
                value=float(r["records"]) / median if median else None,
            )


def drift_findings(drift: pd.DataFrame, loads: pd.DataFrame) -> Iterator[dict[str, Any]]:
    current = set(loads.loc[loads.status == "current", "load_id"])
    for _, d in drift[drift.flagged].iterrows():
        if d["load_id"] not in current:
            continue
        fmt = d["check"].startswith(("column_", "mapping", "delimiter", "encoding"))
        yield _f(
            3,
            "warning",
            d["check"],
            d["source"],
            f"{d['file_name']}: {d['message']}",
            "keep the agreed layout (column names, order, formats) from load to load"
            if fmt
            else "check for missing or repeated data, or a change in what is extracted",
            load=d,
            column=d["column"] if isinstance(d["column"], str) else None,
            value=d["change"],
        )


def triangulation_findings(
    tri: pd.DataFrame, policy: DisclosurePolicy = DEFAULT_POLICY
) -> Iterator[dict[str, Any]]:
    """Contract lines outside their tolerance. A loaded cost built on fewer records than the
    disclosure threshold is not quoted (it could be one person's care)."""
    for _, t in tri.iterrows():
        if t["within_tolerance"] is True or t["within_tolerance"] == 1:
            continue
        pct = t["difference_pct"]
        small = 0 < t["records"] < policy.threshold
        if small:
            gap = f"the loaded cost rests on fewer than {policy.threshold} records ({SUPPRESSED})"
            pct = None
        else:
            shown = f"{pct:+.1%}" if pd.notna(pct) else "n/a"
            gap = f"loaded cost £{t['loaded_cost']:,.0f} ({shown})"
        uncosted = (
            f"; {t['records_uncosted']:,} matching rows have no cost"
            if t["records_uncosted"] and not small
            else ""
        )
        yield _f(
            2,
            "warning",
            "triangulation",
            t["source"] if isinstance(t["source"], str) else "all",
            f"{t['kind']} {t['name']} ({fy_label(int(t['fy']))}): {gap} against "
            f"£{t['contract_value']:,.0f} (tolerance {t['tolerance_pct']:.0%}){uncosted}",
            "look for missing months, missing providers, duplicates or costing gaps",
            value=pct,
        )


def findings(
    loads: pd.DataFrame,
    rejects: pd.DataFrame,
    months: pd.DataFrame,
    drift: pd.DataFrame,
    tri: pd.DataFrame,
    options: QualityOptions,
    people: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Every finding, most important first (priority, then errors before warnings)."""
    out = [
        *(demographic_findings(people) if people is not None else ()),
        *load_findings(loads, options),
        *timeliness_findings(loads, options),
        *reject_findings(rejects, loads),
        *month_findings(months, options),
        *drift_findings(drift, loads),
        *triangulation_findings(tri),
    ]
    rank = {"error": 0, "warning": 1, "info": 2}
    out.sort(key=lambda f: (f["priority"], rank[f["severity"]], f["source"], f["check"]))
    return out
