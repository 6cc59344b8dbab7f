"""Drift (Kent priority 3): each load against the earlier loads of the same feed.

A feed is a series of like files: a source (one supplier's format), or for canonical files the
source and the file name without its period. Loads of a feed are put in order by the period
they cover (or the day they were loaded when the period is unknown), then the time and file name of the load. A load is compared with the
earlier *current* loads of its feed that belong to other extracts (a corrected resubmission
of the same extract replaces it and is not its own baseline):

- volume: rows read against the mean of up to `baseline_loads` earlier loads (relative change);
- rates: quarantine rate, valid NHS number coverage and linkage rate against their mean
  (change in points; only a deterioration is flagged);
- format, against the immediately previous load: mapping file, delimiter, encoding, columns
  emptied (a canonical column filled before and empty now: removed or renamed upstream),
  columns newly failing their checks (e.g. dates sent in another format), and — when the
  header of each load is known — columns added, removed or renamed.

The comparisons are Ibis expressions over `dq_load` and `dq_column`. Headers are compared in
Python on a handful of short lists (one per load): see `header_drift`.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import ibis

from yearofcare.quality.options import QualityOptions

BASELINE_LOADS = 6
_NONE = "\u2205"


def ordered(loads: ibis.Table) -> ibis.Table:
    """`dq_load` with `_seq`: the position of each load among its feed's loads."""
    order = loads.period_start.fill_null(loads.loaded_at.date())
    w = ibis.window(group_by=loads.feed, order_by=[order, loads.loaded_at, loads.file_name])
    return loads.mutate(_seq=ibis.row_number().over(w))


def previous_pairs(loads: ibis.Table, baseline_loads: int = BASELINE_LOADS) -> ibis.Table:
    """(load, earlier load) pairs: up to `baseline_loads` earlier current loads of the same
    feed from other extracts, with `_back` = 1 for the immediately previous one."""
    o = ordered(loads)
    cur = o.select("load_id", "feed", "extract_id", "_seq")
    prev = o.filter(o.status == "current").select(
        p_load_id=o.load_id,
        p_feed=o.feed,
        p_extract_id=o.extract_id,
        p_seq=o._seq,
    )
    j = cur.join(
        prev,
        [
            cur.feed == prev.p_feed,
            prev.p_seq < cur._seq,
            prev.p_extract_id != cur.extract_id,
        ],
    )
    j = j.select("load_id", "p_load_id", "p_seq")
    w = ibis.window(group_by=j.load_id, order_by=ibis.desc(j.p_seq))
    j = j.mutate(_back=ibis.row_number().over(w) + 1)
    return j.filter(j._back <= baseline_loads).select("load_id", "p_load_id", "_back")


def _row(
    t: ibis.Table,
    check: str,
    *,
    previous: ibis.Value,
    value: ibis.Value,
    baseline: ibis.Value,
    change: ibis.Value,
    threshold: float,
    flagged: ibis.Value,
    message: ibis.Value,
    column: ibis.Value | None = None,
) -> ibis.Table:
    return t.select(
        load_id=t.load_id,
        source=t.source,
        feed=t.feed,
        file_name=t.file_name,
        loaded_at=t.loaded_at,
        previous_loads=previous.cast("int64"),
        check=ibis.literal(check),
        column=column if column is not None else ibis.null("string"),
        value=value.cast("float64"),
        baseline=baseline.cast("float64"),
        change=change.cast("float64"),
        threshold=ibis.literal(threshold, "float64"),
        flagged=flagged.fill_null(False),
        message=message,
    )


def _pct(v: ibis.Value) -> ibis.StringValue:
    return (v * 100).round(1).cast("string") + "%"


def _pts(v: ibis.Value) -> ibis.StringValue:
    return (v * 100).round(1).cast("string") + " points"


def load_drift(
    loads: ibis.Table, options: QualityOptions, baseline_loads: int = BASELINE_LOADS
) -> ibis.Table:
    """Volume, rate and format checks of every load that has earlier loads to compare with."""
    pairs = previous_pairs(loads, baseline_loads)
    p = loads.select(
        p_load_id=loads.load_id,
        p_rows=loads.rows_read,
        p_quarantine=loads.quarantine_rate,
        p_nhs=loads.nhs_valid_coverage,
        p_linkage=loads.linkage_rate,
        p_mapping=loads.mapping_hash.fill_null(_NONE),
        p_delimiter=loads.delimiter.fill_null(_NONE),
        p_encoding=loads.encoding.fill_null(_NONE),
        p_file=loads.file_name,
    )
    jp = pairs.join(p, "p_load_id")
    base = jp.group_by("load_id").aggregate(
        previous=jp.count(),
        b_rows=jp.p_rows.mean(),
        b_quarantine=jp.p_quarantine.mean(),
        b_nhs=jp.p_nhs.mean(),
        b_linkage=jp.p_linkage.mean(),
    )
    last = jp.filter(jp._back == 1).select(
        "load_id", "p_mapping", "p_delimiter", "p_encoding", "p_file"
    )
    t = loads.join(base, "load_id").left_join(last, "load_id")
    t = t.select(
        loads,
        base.previous,
        base.b_rows,
        base.b_quarantine,
        base.b_nhs,
        base.b_linkage,
        last.p_mapping,
        last.p_delimiter,
        last.p_encoding,
        last.p_file,
    )
    n = t.previous
    vol_change = ibis.ifelse(
        t.b_rows > 0, (t.rows_read - t.b_rows) / t.b_rows, ibis.null("float64")
    )
    parts = [
        _row(
            t,
            "volume",
            previous=n,
            value=t.rows_read,
            baseline=t.b_rows,
            change=vol_change,
            threshold=options.volume_change,
            flagged=(vol_change.abs() > options.volume_change)
            & (t.b_rows >= options.volume_min_rows),
            message="rows read "
            + t.rows_read.cast("string")
            + " against a mean of "
            + t.b_rows.round(0).cast("int64").cast("string")
            + " in "
            + n.cast("string")
            + " earlier load(s): "
            + ibis.ifelse(vol_change >= 0, "+", "")
            + _pct(vol_change.fill_null(0)),
        )
    ]
    for check, value, baseline, worse, label in (
        ("quarantine_rate", t.quarantine_rate, t.b_quarantine, 1, "rows quarantined"),
        ("nhs_valid_coverage", t.nhs_valid_coverage, t.b_nhs, -1, "rows with a valid NHS number"),
        ("linkage_rate", t.linkage_rate, t.b_linkage, -1, "rows linked"),
    ):
        change = value - baseline
        parts.append(
            _row(
                t,
                check,
                previous=n,
                value=value,
                baseline=baseline,
                change=change,
                threshold=options.rate_change,
                flagged=(change * worse) > options.rate_change,
                message=label
                + ": "
                + _pct(value.fill_null(0))
                + " against "
                + _pct(baseline.fill_null(0))
                + " before ("
                + ibis.ifelse(change >= 0, "+", "")
                + _pts(change.fill_null(0))
                + ")",
            )
        )
    for check, now, before, label in (
        ("mapping_changed", t.mapping_hash.fill_null(_NONE), t.p_mapping, "mapping file"),
        ("delimiter_changed", t.delimiter.fill_null(_NONE), t.p_delimiter, "delimiter"),
        ("encoding_changed", t.encoding.fill_null(_NONE), t.p_encoding, "encoding"),
    ):
        changed = before.notnull() & (now != before)
        parts.append(
            _row(
                t.filter(changed),
                check,
                previous=n,
                value=ibis.null("float64"),
                baseline=ibis.null("float64"),
                change=ibis.null("float64"),
                threshold=0.0,
                flagged=ibis.literal(True),
                message=f"the {label} differs from the previous load ("
                + t.p_file
                + ")"
                + (
                    ": columns may have been renamed or recoded upstream"
                    if check == "mapping_changed"
                    else ""
                ),
            )
        )
    return ibis.union(*parts, distinct=False)


def column_drift(
    loads: ibis.Table,
    columns: ibis.Table,
    options: QualityOptions,
    baseline_loads: int = BASELINE_LOADS,
) -> ibis.Table:
    """Columns emptied (canonical) or newly failing checks (file) against the previous load."""
    pairs = previous_pairs(loads, baseline_loads)
    last = pairs.filter(pairs._back == 1).select("load_id", "p_load_id")
    keyed = columns.mutate(_table=columns.table_name.fill_null(""))
    now = keyed.select("load_id", "source", "level", "_table", "column", "completeness", "validity")
    before = keyed.select(
        p_load_id=keyed.load_id,
        level=keyed.level,
        _table=keyed._table,
        column=keyed.column,
        p_completeness=keyed.completeness,
        p_validity=keyed.validity,
    )
    j = now.join(last, "load_id").join(before, ["p_load_id", "level", "_table", "column"])
    j = j.select(now, j.p_completeness, j.p_validity)
    lf = loads.select("load_id", "feed", "file_name", "loaded_at")
    j = j.join(lf, "load_id")
    emptied_drop = j.p_completeness - j.completeness
    emptied = j.filter((j.level == "table") & (emptied_drop >= options.emptied_drop))
    failing_drop = j.p_validity - j.validity
    failing = j.filter((j.level == "file") & (failing_drop > options.rate_change))
    where = ibis.ifelse(j._table != "", j._table + ".", "")
    return ibis.union(
        _row(
            emptied,
            "column_emptied",
            previous=ibis.literal(1),
            value=emptied.completeness,
            baseline=emptied.p_completeness,
            change=-emptied_drop,
            threshold=options.emptied_drop,
            flagged=ibis.literal(True),
            column=emptied.column,
            message=where
            + emptied.column
            + " is filled in "
            + _pct(emptied.completeness.fill_null(0))
            + " of rows against "
            + _pct(emptied.p_completeness.fill_null(0))
            + " in the previous load: the column feeding it may have been removed or renamed",
        ),
        _row(
            failing,
            "column_rejects",
            previous=ibis.literal(1),
            value=failing.validity,
            baseline=failing.p_validity,
            change=-failing_drop,
            threshold=options.rate_change,
            flagged=ibis.literal(True),
            column=failing.column,
            message=failing.column
            + " values pass their check in "
            + _pct(failing.validity.fill_null(0))
            + " of rows against "
            + _pct(failing.p_validity.fill_null(0))
            + " in the previous load: its format or codes may have changed",
        ),
        distinct=False,
    )


# ---- headers ----------------------------------------------------------------------------------
def parse_header(value: object) -> tuple[str, ...] | None:
    """A header recorded in `ingest_load` (a JSON list, or names separated by , | or tab)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("["):
        try:
            return tuple(str(v) for v in json.loads(text))
        except ValueError:
            pass
    delim = max((",", "|", "\t"), key=text.count)
    return tuple(n.strip() for n in text.split(delim))


def header_from_file(
    path: str | None, size: int | None, delimiter: str | None, encoding: str | None
) -> tuple[str, ...] | None:
    """The header line of a loaded file, when the file is still where it was loaded from and
    still the same size. Only the first line is read: column names, never a data row."""
    if not isinstance(path, str) or not path:
        return None
    delimiter = delimiter if isinstance(delimiter, str) and delimiter else ","
    encoding = encoding if isinstance(encoding, str) else None
    p = Path(path)
    try:
        if not p.is_file() or (size is not None and p.stat().st_size != size):
            return None
        enc = {"latin-1": "latin-1", "utf-16": "utf-16"}.get(encoding or "", "utf-8-sig")
        with p.open("r", encoding=enc, errors="replace", newline="") as fh:
            line = fh.readline()
    except OSError:
        return None
    if not line.strip():
        return None
    row = next(csv.reader(io.StringIO(line), delimiter=delimiter), [])
    return tuple(n.strip().lstrip("\ufeff") for n in row)


def _renames(removed: Sequence[str], added: Sequence[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    left = list(added)
    for old in removed:
        match = difflib.get_close_matches(old.upper(), [a.upper() for a in left], n=1, cutoff=0.6)
        if match:
            new = next(a for a in left if a.upper() == match[0])
            pairs.append((old, new))
            left.remove(new)
    return pairs


def header_drift(
    previous: Iterable[Mapping[str, object]],
    headers: Mapping[str, tuple[str, ...]],
    loads: Mapping[str, Mapping[str, object]],
) -> list[dict[str, object]]:
    """`dq_drift` rows for columns added, removed or renamed against the previous load.

    previous: (load_id, p_load_id) pairs of each load and its immediately previous load;
    headers: load_id → its header; loads: load_id → source, feed, file_name, loaded_at.
    """
    out: list[dict[str, object]] = []
    for pair in previous:
        lid, pid = str(pair["load_id"]), str(pair["p_load_id"])
        if lid not in headers or pid not in headers:
            continue
        now, before = headers[lid], headers[pid]
        now_u = {h.upper(): h for h in now}
        before_u = {h.upper(): h for h in before}
        added = [now_u[k] for k in now_u if k not in before_u]
        removed = [before_u[k] for k in before_u if k not in now_u]
        renamed = _renames(removed, added)
        info = loads[lid]
        prev_file = loads.get(pid, {}).get("file_name", pid)

        def row(check: str, column: str, message: str, info=info, lid=lid) -> dict[str, object]:
            return {
                "load_id": lid,
                "source": info["source"],
                "feed": info.get("feed", info["source"]),
                "file_name": info["file_name"],
                "loaded_at": info["loaded_at"],
                "previous_loads": 1,
                "check": check,
                "column": column,
                "value": None,
                "baseline": None,
                "change": None,
                "threshold": 0.0,
                "flagged": True,
                "message": message,
            }

        for old, new in renamed:
            out.append(
                row(
                    "column_renamed",
                    new,
                    f"column {old} of the previous load ({prev_file}) appears renamed {new}",
                )
            )
        gone = {o for o, _ in renamed}
        new_names = {n for _, n in renamed}
        for name in added:
            if name not in new_names:
                out.append(row("column_added", name, f"column {name} is new since {prev_file}"))
        for name in removed:
            if name not in gone:
                out.append(row("column_removed", name, f"column {name} of {prev_file} is missing"))
    return out
