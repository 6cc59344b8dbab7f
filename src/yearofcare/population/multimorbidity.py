"""Multimorbidity measures: LTC counts, the Charlson index (three weight sets) and the CMS.

- **LTC count**: the number of catalogue conditions held by the end of the year, in total and
  split physical / mental by the catalogue's `group`. Registers (catalogue `kind` register:
  palliative care) are flagged but not counted, and cannot be CMS conditions.
- **Charlson index** from ICD-10 codes (hospital data) with the Quan 2005 mapping
  (`reference/multimorbidity/quan_2005_icd10.csv`, prefix semantics as in codelists): a
  category is present when any of its codes is recorded on or before the end of the year
  (within `charlson_lookback_years` when configured). The hierarchy rules
  (`charlson_hierarchy.csv`) drop the inferior category when the superior one is present; the
  index is the sum of the weights (`charlson_weights.csv`: original Charlson 1987, Quan 2011,
  SHMI) and never below zero (only SHMI has a negative weight). No age points are added.
- **Cambridge Multimorbidity Score**: the sum of the general-outcome weights
  (`cambridge_payne_2020.csv`) of the CMS conditions held, each CMS condition mapping to one
  or more catalogue conditions. A CMS condition with `first_diagnosis_within_years` (cancer:
  5) counts only when the catalogue condition's first diagnosis falls in that many financial
  years ending with the year, whatever window the catalogue flag itself uses (the catalogue's
  cancer follows the QOF register, any diagnosis since April 2003).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import ibis
import pandas as pd

from yearofcare.errors import InputError
from yearofcare.fy import fy_expr
from yearofcare.population.codelists import (
    Codelist,
    drop_covered,
    match_codes,
    normalise_icd10,
)
from yearofcare.population.conditions import as_of, yearly
from yearofcare.population.refdata import RefFile, read_csv, reference_dir
from yearofcare.schemas.population import catalogue_rows

#: person_year column -> weight-set column of charlson_weights.csv.
CHARLSON_COLUMNS: dict[str, str] = {
    "charlson_charlson": "charlson_1987",
    "charlson_quan": "quan_2011",
    "charlson_shmi": "shmi",
}


@dataclass(frozen=True)
class CharlsonSpec:
    mapping: pd.DataFrame  # category, code_system, code
    weights: pd.DataFrame  # category, label, one column per weight set
    hierarchy: tuple[tuple[str, str], ...]  # (superior, inferior)
    files: tuple[RefFile, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.weights.category)

    def weight(self, weight_set: str, category: str) -> float:
        row = self.weights[self.weights.category == category].iloc[0]
        return float(row[weight_set])


@dataclass(frozen=True)
class CmsSpec:
    items: tuple[tuple[str, tuple[str, ...], float], ...]  # cms condition, condition ids, weight
    file: RefFile
    #: cms condition -> financial years its first diagnosis must fall in (absent = any time)
    windows: tuple[tuple[str, int], ...] = ()


@cache
def load_charlson(
    mapping: str = "quan_2005_icd10", weights: str = "charlson_weights"
) -> CharlsonSpec:
    folder = reference_dir("multimorbidity")
    m = read_csv(
        folder / f"{mapping}.csv", f"reference/multimorbidity/{mapping}.csv", ("category", "code")
    )
    w = read_csv(
        folder / f"{weights}.csv",
        f"reference/multimorbidity/{weights}.csv",
        ("category", "label", *CHARLSON_COLUMNS.values()),
    )
    h = read_csv(
        folder / "charlson_hierarchy.csv",
        "reference/multimorbidity/charlson_hierarchy.csv",
        ("superior", "inferior"),
    )
    cats = set(w.frame.category)
    unknown = sorted(set(m.frame.category) - cats) + sorted(
        (set(h.frame.superior) | set(h.frame.inferior)) - cats
    )
    if unknown:
        raise InputError(
            f"Charlson categories {', '.join(unknown)} have no weights in {w.path}",
            hint="every category of the mapping and the hierarchy needs a weight row",
        )
    for col in CHARLSON_COLUMNS.values():
        bad = pd.to_numeric(w.frame[col], errors="coerce").isna()
        if bad.any():
            raise InputError(
                f"{w.path}: weight {col} of {w.frame.category[bad].iloc[0]} is not a number"
            )
    frame = m.frame.assign(code_system="ICD10", code=m.frame.code.map(normalise_icd10))
    frame = drop_covered(frame.drop_duplicates(["category", "code"]), ("category",))
    return CharlsonSpec(
        mapping=frame[["category", "code_system", "code"]].reset_index(drop=True),
        weights=w.frame,
        hierarchy=tuple(zip(h.frame.superior, h.frame.inferior, strict=True)),
        files=(m, w, h),
    )


@cache
def load_cms(name: str = "cambridge_payne_2020") -> CmsSpec:
    f = read_csv(
        reference_dir("multimorbidity") / f"{name}.csv",
        f"reference/multimorbidity/{name}.csv",
        ("cms_condition", "condition_ids", "weight"),
    )
    return parse_cms(f)


def parse_cms(f: RefFile) -> CmsSpec:
    """Validate the rows of a CMS weights file (errors name the file and line)."""
    items, windows = [], []
    has_window = "first_diagnosis_within_years" in f.frame.columns
    for i, row in enumerate(f.frame.itertuples(index=False), start=2):
        try:
            weight = float(row.weight)
        except ValueError:
            raise InputError(f"{f.path} line {i}: weight {row.weight!r} is not a number") from None
        ids = tuple(row.condition_ids.split("|"))
        _check_cms_conditions(f.path, i, ids)
        items.append((row.cms_condition, ids, weight))
        window = row.first_diagnosis_within_years if has_window else ""
        if window:
            if not window.isdigit() or int(window) < 1:
                raise InputError(
                    f"{f.path} line {i}: first_diagnosis_within_years {window!r} is not a "
                    "positive whole number of years"
                )
            windows.append((row.cms_condition, int(window)))
    return CmsSpec(items=tuple(items), file=f, windows=tuple(windows))


def _check_cms_conditions(path: str, line: int, ids: tuple[str, ...]) -> None:
    """A CMS condition maps to counted catalogue conditions (never to a register)."""
    kinds = {r["condition_id"]: r["kind"] for r in catalogue_rows()}
    for cid in ids:
        if cid not in kinds:
            raise InputError(
                f"{path} line {line}: condition {cid!r} is not in the LTC catalogue",
                hint="use condition_ids of reference/conditions/yoc_ltc_catalogue_2026.csv",
            )
        if kinds[cid] != "condition":
            raise InputError(
                f"{path} line {line}: {cid} is a {kinds[cid]}, not a long-term condition, "
                "so it cannot count towards the Cambridge Multimorbidity Score",
                hint="remove it from the CMS weights file",
            )


# ---- Ibis expressions ----------------------------------------------------------------------
def charlson_flags(
    coded_event: ibis.Table, spec: CharlsonSpec, years: list[int], lookback: int | None = None
) -> ibis.Table:
    """Person × year with one boolean column per Charlson category (before the hierarchy)."""
    icd = coded_event.filter(coded_event.code_system == "ICD10")
    matched = match_codes(icd, spec.mapping, ("category",))
    t = as_of(yearly(matched, ("person_id", "category")), years)
    if lookback is not None:
        t = t.filter(t.efy > t.fy - lookback)
    return t.group_by(["person_id", "fy"]).aggregate(
        **{c: ibis.ifelse(t.category == c, 1, 0).max() == 1 for c in spec.categories}
    )


def charlson_scores(flags: ibis.Table, spec: CharlsonSpec) -> ibis.Table:
    """Apply the hierarchy and the three weight sets: person_id, fy and the charlson_* columns."""
    present = {c: flags[c].fill_null(False) for c in spec.categories}
    effective = dict(present)
    for superior, inferior in spec.hierarchy:
        effective[inferior] = effective[inferior] & ~present[superior]
    scores = {}
    for column, weight_set in CHARLSON_COLUMNS.items():
        total = sum(
            ibis.ifelse(effective[c], spec.weight(weight_set, c), 0.0) for c in spec.categories
        )
        scores[column] = ibis.greatest(total, 0.0).cast("int16")
    return flags.select("person_id", "fy", **scores)


def cms_aggregate(held: ibis.Table, spec: CmsSpec) -> ibis.FloatingValue:
    """CMS as an aggregate over rows of conditions held (person_condition rows: `condition_id`,
    and `fy` and `first_diagnosis_date` for the CMS conditions with a first-diagnosis window)."""
    windows = dict(spec.windows)
    terms = []
    for name, ids, weight in spec.items:
        counts = held.condition_id.isin(list(ids))
        if name in windows:
            first_fy = fy_expr(held.first_diagnosis_date).cast("int32")
            counts = counts & (first_fy > held.fy.cast("int32") - windows[name])
        terms.append(ibis.ifelse(counts, weight, 0.0).max())
    return sum(terms).round(2).cast("float64")


def ltc_count_aggregates(held: ibis.Table, codelist: Codelist) -> dict[str, ibis.Value]:
    """ltc_count, physical_ltc_count and mental_ltc_count as aggregates over conditions held.

    Registers (palliative care) are flagged but never counted: they are not conditions, and a
    register entered near death would inflate the counts of people in their last months.
    """
    counted = [r for r in codelist.rules if r.counted]
    physical = [r.condition_id for r in counted if r.group == "physical"]
    mental = [r.condition_id for r in counted if r.group == "mental"]
    return {
        "ltc_count": held.count(where=held.condition_id.isin(physical + mental)).cast("int16"),
        "physical_ltc_count": held.count(where=held.condition_id.isin(physical)).cast("int16"),
        "mental_ltc_count": held.count(where=held.condition_id.isin(mental)).cast("int16"),
    }
