"""Computing the measures: one grouped scan per base and breakdown, then rates, intervals,
change on the previous year, targets and disclosure on the small result (pandas).

`part_aggregates` is the relational piece (an Ibis expression per base × breakdown holding
every numerator and denominator that base feeds); `finish` turns the collected aggregates
into `outcome_measure` rows. Intervals: Wilson for shares, exact Poisson (chi-squared) for
rates, normal for means (SD from the sum of squares).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from yearofcare.disclosure import DEFAULT_POLICY, DisclosurePolicy, round_significant, suppress
from yearofcare.outcomes.definitions import Condition, Measure, MeasuresFile, Part
from yearofcare.population.analysis.common import amount
from yearofcare.sums import exact_sum

Z = float(stats.norm.ppf(0.975))
DIMENSIONS = ("all", "level", "currency", "cohort", "practice", "provider")
#: Bases whose rows carry a provider (the others are people, not providers' activity).
PROVIDER_BASES = frozenset({"admission", "care_home", "delayed_transfer"})
DIMENSION_NEEDS = {
    "level": ("need_level", "yoc risk score"),
    "currency": ("person_currency", "yoc currency"),
    "cohort": ("cohort_member", "yoc cohort select"),
}


def condition(t: ibis.Table, c: Condition) -> ibis.BooleanValue:
    col = t[c.column]
    if c.op == "not_null":
        return col.notnull()
    if c.op == "is_null":
        return col.isnull()
    if c.op == "in":
        return col.isin(list(c.value)).fill_null(False)
    ops = {
        "==": "__eq__",
        "!=": "__ne__",
        "<": "__lt__",
        "<=": "__le__",
        ">": "__gt__",
        ">=": "__ge__",
    }
    return getattr(col, ops[c.op])(c.value).fill_null(False)


def _all(t: ibis.Table, conds: Iterable[Condition]) -> ibis.BooleanValue:
    out = ibis.literal(True)
    for c in conds:
        out = out & condition(t, c)
    return out


def _value(t: ibis.Table, part: Part) -> ibis.NumericValue:
    if not part.sum:
        return ibis.literal(1.0)
    total = None
    for col in part.sum:
        v = amount(t[col].cast("float64"))
        total = v if total is None else total + v
    return total


@dataclass(frozen=True)
class PartSpec:
    key: str  # "<measure>__num" or "<measure>__den"
    part: Part
    conds: tuple[Condition, ...]


def specs_by_base(measures: Iterable[Measure]) -> dict[str, list[PartSpec]]:
    out: dict[str, list[PartSpec]] = {}
    for m in measures:
        out.setdefault(m.num_base(), []).append(
            PartSpec(f"{m.id}__num", m.numerator, (*m.where, *m.numerator.where))
        )
        if m.denominator is not None:
            d = m.denominator
            out.setdefault(m.den_base(), []).append(
                PartSpec(f"{m.id}__den", d, (*m.where, *d.where))
            )
    return out


def grouped(base: ibis.Table, dimension: str, tables) -> ibis.Table:
    """`base` with `group_value` for the breakdown (rows repeat for each currency or cohort)."""
    if dimension == "all":
        return base.mutate(group_value=ibis.literal("all"))
    if dimension == "level":
        return base.mutate(group_value=base.level.fill_null("Unclassified"))
    if dimension == "practice":
        return base.mutate(group_value=base.practice_code.fill_null("Unknown"))
    if dimension == "provider":
        return base.mutate(group_value=base.provider_code.fill_null("Unknown"))
    if dimension == "currency":
        pc = tables["person_currency"]
        pc = pc.select(
            _cp=pc.person_id,
            _cfy=pc.fy.cast("int16"),
            _g=pc.currency.concat(": ", pc.value.fill_null("(no match)")),
        )
        j = base.join(pc, [base.person_id == pc._cp, base.fy == pc._cfy])
        return j.mutate(group_value=j._g).drop("_cp", "_cfy", "_g")
    if dimension == "cohort":
        cm = tables["cohort_member"]
        fys = base.select(_yfy=base.fy).distinct()
        cm = cm.cross_join(fys)
        start = ibis.date(cm._yfy.cast("int32"), 4, 1)
        end = ibis.date(cm._yfy.cast("int32") + 1, 3, 31)
        cm = cm.filter((cm.join_date <= end) & (cm.leave_date.isnull() | (cm.leave_date >= start)))
        cm = cm.select(_mp=cm.person_id, _mfy=cm._yfy, _g=cm.cohort_id).distinct()
        j = base.join(cm, [base.person_id == cm._mp, base.fy == cm._mfy])
        return j.mutate(group_value=j._g).drop("_mp", "_mfy", "_g")
    raise ValueError(dimension)


def part_aggregates(base: ibis.Table, specs: list[PartSpec], dimension: str, tables) -> ibis.Table:
    """Every part of `specs` summed by fy × group: <key> (sum), <key>_n (rows), <key>_sq."""
    g = grouped(base, dimension, tables)
    aggs = {}
    for s in specs:
        cond = _all(g, s.conds) if s.conds else None
        n = g.count(where=cond) if cond is not None else g.count()
        aggs[f"{s.key}_n"] = n
        if s.part.sum:
            v = _value(g, s.part)
            aggs[s.key] = exact_sum(v, where=cond).fill_null(0.0)
            aggs[f"{s.key}_sq"] = exact_sum(v * v, where=cond).fill_null(0.0)
        else:
            aggs[s.key] = n.cast("float64")
            aggs[f"{s.key}_sq"] = n.cast("float64")
    out = g.group_by(fy=g.fy.cast("int16"), group_value=g.group_value.cast("string"))
    return out.aggregate(**aggs).mutate(dimension=ibis.literal(dimension)).relocate("dimension")


def long_rows(frame: pd.DataFrame, specs: list[PartSpec]) -> pd.DataFrame:
    """Wide aggregates → rows of (measure, part, fy, dimension, group, sum, n, sq)."""
    out = []
    for s in specs:
        measure, part = s.key.rsplit("__", 1)
        out.append(
            pd.DataFrame(
                {
                    "measure_id": measure,
                    "part": part,
                    "fy": frame["fy"].astype("int64"),
                    "dimension": frame["dimension"].astype(str),
                    "group_value": frame["group_value"].astype(str),
                    "sum": frame[s.key].astype(float),
                    "n": frame[f"{s.key}_n"].astype(float),
                    "sq": frame[f"{s.key}_sq"].astype(float),
                }
            )
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def interval(
    m: Measure, num: np.ndarray, den: np.ndarray, sq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """95 % limits of num/den (before × per), elementwise; NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if m.ci == "proportion":
            p = num / den
            centre = (p + Z * Z / (2 * den)) / (1 + Z * Z / den)
            half = Z * np.sqrt(p * (1 - p) / den + Z * Z / (4 * den * den)) / (1 + Z * Z / den)
            return centre - half, centre + half
        if m.ci == "rate":
            lo = np.where(num > 0, stats.chi2.ppf(0.025, 2 * num) / 2, 0.0)
            hi = stats.chi2.ppf(0.975, 2 * num + 2) / 2
            return lo / den, hi / den
        if m.ci == "mean":
            mean = num / den
            var = np.maximum(sq / den - mean * mean, 0) * den / np.maximum(den - 1, 1)
            se = np.sqrt(var / den)
            return mean - Z * se, mean + Z * se
    nan = np.full(len(num), np.nan)
    return nan, nan


def finish(
    measures: MeasuresFile,
    parts: pd.DataFrame,
    missing: dict[str, str],
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> pd.DataFrame:
    """`outcome_measure` rows from the collected part aggregates.

    `missing` maps a measure id to the note saying which table (and command) it needs.
    """
    rows = []
    for m in measures.measures:
        if m.id in missing:
            rows.append(_missing_row(m, missing[m.id]))
            continue
        mine = parts[parts.measure_id == m.id] if len(parts) else parts
        idx = ["fy", "dimension", "group_value"]
        mine = mine.drop(columns=["measure_id"])
        num = mine[mine.part == "num"].drop(columns=["part"]).set_index(idx)
        if m.denominator is not None:
            den = mine[mine.part == "den"].drop(columns=["part"]).set_index(idx)
            frame = num.join(den, how="outer", suffixes=("_num", "_den"))
            frame = frame.rename(columns={"sum_num": "numerator", "sum_den": "denominator"})
            frame["numerator"] = frame["numerator"].fillna(0.0)
            frame["n_num"] = frame["n_num"].fillna(0.0)
            frame["sq_num"] = frame["sq_num"].fillna(0.0)
            frame = frame.dropna(subset=["denominator"])
        else:
            frame = num.rename(columns={"sum": "numerator", "n": "n_num", "sq": "sq_num"})
            frame["denominator"] = np.nan
            frame["n_den"] = np.nan
        if frame.empty:
            rows.append(_missing_row(m, "no rows in its base", status="no_data"))
            continue
        frame = frame.reset_index().assign(measure_id=m.id)
        rows.append(_values(m, frame))
    out = pd.concat(rows, ignore_index=True)
    return _disclose(out, policy, {m.id: m for m in measures.measures})


def _missing_row(m: Measure, note: str, status: str = "needs_table") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "measure_id": m.id,
                "fy": np.nan,
                "dimension": "all",
                "group_value": "all",
                "status": status,
                "note": note,
                "numerator": np.nan,
                "denominator": np.nan,
                "n_num": np.nan,
                "n_den": np.nan,
                "value": np.nan,
                "lower": np.nan,
                "upper": np.nan,
                "previous_value": np.nan,
                "change": np.nan,
                "change_percent": np.nan,
                **_meta(m),
            }
        ]
    )


def _meta(m: Measure) -> dict:
    return {
        "label": m.label,
        "quadrant": m.quadrant,
        "per": m.per,
        "unit": m.unit,
        "target": m.target,
        "direction": m.direction,
    }


def _values(m: Measure, f: pd.DataFrame) -> pd.DataFrame:
    num = f["numerator"].to_numpy(float)
    if m.denominator is None:
        value = num * m.per
        lo = hi = np.full(len(f), np.nan)
        zero = np.zeros(len(f), bool)
    else:
        den = f["denominator"].to_numpy(float)
        zero = den == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(zero, np.nan, num / np.where(zero, 1, den)) * m.per
        lo, hi = interval(m, num, np.where(zero, np.nan, den), f["sq_num"].to_numpy(float))
        lo, hi = lo * m.per, hi * m.per
    f = f.assign(value=value, lower=lo, upper=hi, **_meta(m))
    f["num_is_count"] = not m.numerator.sum
    f["den_is_count"] = m.denominator is not None and not m.denominator.sum
    f["status"] = np.where(zero, "zero_denominator", "ok")
    f["note"] = np.where(zero, "the denominator is zero: no value", None)
    prev = f[["fy", "dimension", "group_value", "value"]].copy()
    prev["fy"] = prev["fy"] + 1
    f = f.merge(
        prev.rename(columns={"value": "previous_value"}),
        on=["fy", "dimension", "group_value"],
        how="left",
    )
    f["change"] = f["value"] - f["previous_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = f["previous_value"].to_numpy(float)
        f["change_percent"] = np.where(pv != 0, f["change"].to_numpy(float) / pv * 100, np.nan)
    return f


COUNT_COLUMNS = ("n_num", "n_den")
DERIVED = (
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "previous_value",
    "change",
    "change_percent",
)


def _disclose(
    frame: pd.DataFrame, policy: DisclosurePolicy, measures: Mapping[str, Measure] | None = None
) -> pd.DataFrame:
    """Suppress small numbers of rows counted (and everything built on them); counts shown
    (numerator and denominator when they are counts) are rounded by the policy."""
    f = frame.copy()
    for c in COUNT_COLUMNS:
        f[c] = pd.to_numeric(f[c]).fillna(0.0)
    out = suppress(f, list(COUNT_COLUMNS), list(DERIVED), policy)
    # a value from a previous year's small count is also suppressed: mask change when the
    # previous value came from a suppressed row
    keys = ["measure_id", "fy", "dimension", "group_value"]
    prev = out.loc[out.suppressed, keys].assign(_was=True)
    prev["fy"] = prev["fy"] + 1
    was = (
        out[keys].merge(prev.drop_duplicates(keys), on=keys, how="left")["_was"].fillna(False)
    ).to_numpy(bool)
    for c in ("previous_value", "change", "change_percent"):
        out.loc[was, c] = np.nan
    for part, n in (("numerator", "n_num"), ("denominator", "n_den")):
        counted = out.get(f"{part[:3]}_is_count", pd.Series(False, index=out.index))
        counted = counted.fillna(False).astype(bool) & out[part].notna()
        out.loc[counted, part] = out.loc[counted, n]
        # a sum (cost, bed days) to significant figures, like every total over people
        summed = ~counted & out[part].notna()
        out.loc[summed, part] = round_significant(out.loc[summed, part], policy.significant_figures)
    # the value from the published numerator and denominator (times the measure's scale), so
    # neither can be recovered from the value and the other
    num, den = (pd.to_numeric(f[c], errors="coerce") for c in ("numerator", "denominator"))
    scale = (pd.to_numeric(f["value"], errors="coerce") * den / num).where((num != 0) & (den != 0))
    recompute = scale.notna() & out["value"].notna() & (out["denominator"] > 0)
    out.loc[recompute, "value"] = (
        out.loc[recompute, "numerator"] / out.loc[recompute, "denominator"] * scale.round(9)
    )
    # a measure without a denominator is its (published) numerator times its scale
    alone = den.isna() & (num != 0) & out["value"].notna() & out["numerator"].notna()
    per = (pd.to_numeric(f["value"], errors="coerce") / num).round(9)
    out.loc[alone, "value"] = out.loc[alone, "numerator"] * per[alone]
    # the 95 % limits from the published numerator and denominator too (limits from the true
    # counts would pin them down)
    for mid, m in (measures or {}).items():
        rows = recompute & (out["measure_id"] == mid)
        if m.denominator is None or not rows.any():
            continue
        num_p, den_p = (out.loc[rows, c].to_numpy(float) for c in ("numerator", "denominator"))
        lo, hi = interval(m, num_p, den_p, out.loc[rows, "sq_num"].to_numpy(float))
        out.loc[rows, "lower"], out.loc[rows, "upper"] = lo * m.per, hi * m.per
    # the change on the previous year between published values too
    shown = out[keys].assign(fy=out["fy"] + 1, _prev=out["value"]).drop_duplicates(keys)
    prev_shown = out[keys].merge(shown, on=keys, how="left")["_prev"].to_numpy(float)
    has = out["previous_value"].notna().to_numpy()
    out.loc[has, "previous_value"] = prev_shown[has]
    out["change"] = out["value"] - out["previous_value"]
    pv = out["previous_value"]
    out["change_percent"] = (out["change"] / pv.where(pv != 0) * 100).where(pv != 0)
    out = out.drop(columns=["num_is_count", "den_is_count"], errors="ignore")
    out.loc[out.suppressed & (out.status == "ok"), "status"] = "suppressed"
    out.loc[out.status == "suppressed", "note"] = "small numbers suppressed"
    return out.drop(columns=[c for c in out.columns if c.startswith(("n_", "sq_"))])
