"""`yoc assess`: DST assessments against their domains and the risk profile (seed 000 annex 2).

For each assessment in `assessment` (from the synthetic economy, or a DST export loaded by
`yoc ingest` with the canonical adapter and a mapping file):

- the level its domains support, by the documented rule of the need rules file (functional
  need and complexity of health need from the domains, then the 3×3 matrix);
- the risk-profiling level of the same financial year (`need_level`, when scored);
- concordance: cross-tables of the concluded level against both, and Cohen's kappa
  (unweighted, linear, quadratic) with 95 % intervals;
- the upcoding audit: each assessor's and provider's share of conclusions above what the
  domains support (and, separately, above the risk profile), against the overall share, with
  an exact binomial test and funnel limits; flagged above 99.8 %.

Conclusions of End of life are left out of the comparison with the domains (the domains do not
decide End of life) and End of life on either side is left out of the comparison with the risk
profile. Domain levels above a domain's maximum in the DST stop the run, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from yearofcare import schemas, vocab
from yearofcare.config import ConfigModel
from yearofcare.disclosure import DEFAULT_POLICY, suppress
from yearofcare.errors import InputError, StageError
from yearofcare.fy import fy_expr
from yearofcare.progress import SILENT, Progress
from yearofcare.segmentation.agreement import funnel, kappa
from yearofcare.segmentation.config import Matrix, NeedRules, load_need_rules
from yearofcare.segmentation.levels import assessment_matrix
from yearofcare.store import Store

STAGE = "assess"
LEVELS = vocab.NEED_LEVELS


class AssessOptions(ConfigModel):
    config_name: ClassVar[str] = "assess options"
    rules: Path | None = None


@dataclass(frozen=True)
class AssessResult:
    run_id: str
    assessments: int
    agreement: pd.DataFrame
    audit: pd.DataFrame
    notes: list[str]


def _rank(level: ibis.Value) -> ibis.Value:
    return ibis.cases(*[(level == v, i + 1) for i, v in enumerate(LEVELS)], else_=ibis.null("int8"))


def assessment_levels(
    assessment: ibis.Table, need: ibis.Table | None, matrix: Matrix, version: str
) -> ibis.Table:
    """assessment_level: each assessment with its domain level, risk level and above flags."""
    a = assessment_matrix(assessment, matrix)
    a = a.mutate(fy=fy_expr(a.assessment_date))
    if need is not None:
        n = need.select(_npid=need.person_id, _nfy=need.fy, risk_level=need.level)
        a = a.left_join(n, [a.person_id == n._npid, a.fy == n._nfy]).drop("_npid", "_nfy")
    else:
        a = a.mutate(risk_level=ibis.null("string"))
    eol = "End of life"
    ra, rd, rr = _rank(a.assessed_level), _rank(a.domain_level), _rank(a.risk_level)
    return a.select(
        "assessment_id",
        "person_id",
        "fy",
        "assessment_date",
        "assessor_id",
        "provider_code",
        "functional_need",
        "health_complexity",
        "matrix_cell",
        "domain_level",
        "assessed_level",
        "risk_level",
        above_domains=ibis.ifelse(
            (a.assessed_level == eol) | ra.isnull() | rd.isnull(), ibis.null("boolean"), ra > rd
        ),
        above_risk_profile=ibis.ifelse(
            (a.assessed_level == eol) | (a.risk_level == eol) | ra.isnull() | rr.isnull(),
            ibis.null("boolean"),
            ra > rr,
        ),
        rules_version=ibis.literal(version),
    )


def check_domains(store: Store, assessment: ibis.Table, matrix: Matrix) -> None:
    """Domain levels outside 0 … the domain's maximum stop the run, naming them."""
    problems = []
    for d, top in matrix.domain_max.items():
        col = assessment[f"dst_{d}"]
        bad = assessment.filter((col < 0) | (col > top))
        got = store.to_pandas(bad.select("assessment_id", v=col).order_by("assessment_id").limit(3))
        if len(got):
            n = int(store.to_pandas(bad.aggregate(n=bad.count())).n.iloc[0])
            shown = ", ".join(f"{r.assessment_id} ({int(r.v)})" for r in got.itertuples())
            word = vocab.DST_LEVELS[top] if top < len(vocab.DST_LEVELS) else str(top)
            problems.append(
                f"dst_{d}: {n:,} assessment(s) above the domain's highest level {top} "
                f"({word}), e.g. {shown}"
            )
    if problems:
        raise InputError(
            "assessment: DST domain levels the tool does not have — " + "; ".join(problems),
            hint="levels are 0 no needs, 1 low, 2 moderate, 3 high, 4 severe, 5 priority, and "
            "not every domain has every level; fix the export or its mapping file "
            "(code_maps) and reload it with `yoc ingest`",
        )


def run_assess(
    store: Store, options: AssessOptions | None = None, progress: Progress = SILENT
) -> AssessResult:
    options = options or AssessOptions()
    loaded = load_need_rules(options.rules)
    rules: NeedRules = loaded.model
    params = {**options.model_dump(mode="json"), "rules_version": rules.version}
    notes: list[str] = []
    with progress.task("Assessments", total=3) as bar, store.stage(STAGE, params) as run:
        if not store.exists("assessment"):
            raise StageError(
                "the store has no assessment table",
                hint="load DST assessments with `yoc ingest` (canonical adapter, table: "
                "assessment) or generate them with `yoc synth`",
            )
        a = run.read("assessment")
        if not run.input_rows["assessment"]:
            raise StageError("the assessment table is empty", hint="load DST assessments first")
        check_domains(store, a, rules.matrix)
        need = run.read("need_level") if store.exists("need_level") else None
        if need is None:
            notes.append("no need_level yet: run `yoc risk score` to compare with the risk profile")
        run.write("assessment_level", assessment_levels(a, need, rules.matrix, rules.version))
        bar.advance()
        al = store.to_pandas(
            run.staged("assessment_level").select(
                "assessor_id",
                "provider_code",
                "domain_level",
                "assessed_level",
                "risk_level",
                "above_domains",
                "above_risk_profile",
            )
        )
        concord, agree = _concordance(al)
        run.write("assessment_concordance", _arrow(concord, "assessment_concordance"))
        run.write("assessment_agreement", _arrow(agree, "assessment_agreement"))
        bar.advance()
        audit = _audit(al)
        run.write("assessment_audit", _arrow(audit, "assessment_audit"))
        flagged = audit[audit.flagged & (audit.unit == "assessor")]
        run.parameters.update(
            {
                "flagged": {c: sorted(g.unit_id) for c, g in flagged.groupby("comparison")},
                "notes": notes,
            }
        )
        bar.advance()
    return AssessResult(run.run_id, len(al), agree, audit, notes)


def _pairs(al: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """comparison -> (assessed, compared) level pairs that are compared."""
    dom = al[al.domain_level.notna() & (al.assessed_level != "End of life")]
    rp = al[al.risk_level.notna() & al.assessed_level.notna()]
    return {
        "domains": dom[["assessed_level", "domain_level"]].set_axis(["a", "b"], axis=1),
        "risk_profile": rp[["assessed_level", "risk_level"]].set_axis(["a", "b"], axis=1),
    }


def _concordance(al: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, agree = [], []
    for comparison, pairs in _pairs(al).items():
        cats = list(LEVELS[:3]) if comparison == "domains" else list(LEVELS)
        table = pd.crosstab(
            pd.Categorical(pairs.a, categories=list(LEVELS)),
            pd.Categorical(pairs.b, categories=list(LEVELS)),
            dropna=False,
        )
        for a_lvl in LEVELS:
            for b_lvl in LEVELS:
                n = int(table.loc[a_lvl, b_lvl]) if len(table) else 0
                if comparison == "domains" and b_lvl == "End of life":
                    continue
                rows.append(
                    {
                        "comparison": comparison,
                        "assessed_level": a_lvl,
                        "compared_level": b_lvl,
                        "assessments": n,
                    }
                )
        square = (
            table.loc[cats, cats].to_numpy() if len(table) else np.zeros((len(cats), len(cats)))
        )
        for w in ("none", "linear", "quadratic"):
            k = kappa(square, w)
            agree.append(
                {
                    "comparison": comparison,
                    "weights": w,
                    "assessments": k.n,
                    "observed_agreement": k.observed,
                    "expected_agreement": k.expected,
                    "kappa": k.kappa,
                    "lower": k.lower,
                    "upper": k.upper,
                }
            )
    concord = pd.DataFrame(rows)
    safe = suppress(concord, ["assessments"], [], DEFAULT_POLICY)
    safe["assessments"] = safe["assessments"].round().astype("Int64")
    return safe, pd.DataFrame(agree)


def _audit(al: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for comparison, column in (
        ("domains", "above_domains"),
        ("risk_profile", "above_risk_profile"),
    ):
        d = al[al[column].notna()].assign(_above=lambda f, c=column: f[c].astype(bool))
        if d.empty:
            continue
        p0 = float(d._above.mean())
        for unit, key in (("assessor", "assessor_id"), ("provider", "provider_code")):
            g = d.assign(_k=d[key].fillna("(unknown)")).groupby("_k")
            prov = g.provider_code.agg(
                lambda s: s.dropna().mode().iloc[0] if s.notna().any() else None
            )
            for unit_id, grp in g:
                n, x = len(grp), int(grp._above.sum())
                f = funnel(x, n, p0)
                rows.append(
                    {
                        "comparison": comparison,
                        "unit": unit,
                        "unit_id": str(unit_id),
                        "provider_code": prov.loc[unit_id],
                        "assessments": n,
                        "above": x,
                        "share_above": f.share,
                        "expected_share": p0,
                        "lower_95": f.lower_95,
                        "upper_95": f.upper_95,
                        "lower_998": f.lower_998,
                        "upper_998": f.upper_998,
                        "p_value": f.p_value,
                        "above_95": f.above_95,
                        "flagged": f.flagged,
                    }
                )
    if not rows:
        return _empty("assessment_audit")
    return pd.DataFrame(rows)


def _empty(table: str) -> pd.DataFrame:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    return pa.Table.from_pylist([], schema=schema).to_pandas()


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = schemas.get(table).ibis_schema().to_pyarrow()
    frame = frame.reindex(columns=schema.names) if len(frame) else _empty(table)
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
