"""The demonstration pipeline: a synthetic care economy, from raw extracts to analyses.

synthesise → raw extracts with defects (outside the store) → ingest by plan, with a national
data opt-out list → probabilistic linkage (applied) → data quality → person_year → analyses
→ the money once currencies and a cohort register exist (finance/demo.py: tariffs, budget,
tags, billed lines with planted double payment, reconciliation, workbook).
Every step is an ordinary stage recorded in the run log; the raw extracts, the opt-out list and
the linkage key stay outside the data directory, so the store never holds an NHS number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yearofcare.ingest.plan import ingest_plan
from yearofcare.linkage.probabilistic import LinkOptions, run_link
from yearofcare.linkage.pseudonym import create_key
from yearofcare.population.summary import Summary
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

OPTOUT_SHARE = 0.002


@dataclass(frozen=True)
class DemoOptions:
    people: int
    years: int
    seed: int
    raw_dir: Path
    key_file: Path


@dataclass
class DemoResult:
    steps: list[tuple[str, str]] = field(default_factory=list)
    summary: Summary | None = None
    kent: dict[str, Any] = field(default_factory=dict)

    def add(self, step: str, summary: str) -> None:
        self.steps.append((step, summary))


def write_optouts(population, path: Path, rng: np.random.Generator) -> int:
    """A national data opt-out list: a small share of the synthetic people's NHS numbers."""
    numbers = np.asarray(population.person["nhs_number"].to_pylist())
    chosen = rng.choice(numbers, size=max(1, int(len(numbers) * OPTOUT_SHARE)), replace=False)
    path.write_text("nhs_number\n" + "\n".join(sorted(chosen)) + "\n", encoding="utf-8")
    return len(chosen)


def run_demo(store: Store, opts: DemoOptions, progress: Progress = SILENT) -> DemoResult:
    from yearofcare.synth.generate import generate
    from yearofcare.synth.params import SynthParams
    from yearofcare.synth.raw import write_raw

    result = DemoResult()
    params = SynthParams.checked(people=opts.people, years=opts.years, seed=opts.seed)
    population = generate(params, progress=progress)
    rng = np.random.default_rng(opts.seed)
    manifest = write_raw(population, opts.raw_dir, rng)
    optouts = opts.raw_dir / "optouts.txt"
    listed = write_optouts(population, optouts, rng)
    planted = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in manifest["totals"].items())
    result.add("raw extracts", f"{len(manifest['files'])} files in {opts.raw_dir}; {planted}")
    if not opts.key_file.exists():
        create_key(opts.key_file)
    loads = ingest_plan(store, opts.raw_dir, opts.key_file, optouts_file=optouts, progress=progress)
    files = [f for r in loads for f in r.files]
    read = sum(f.counts.get("rows_read", 0) for f in files)
    loaded = sum(f.counts.get("rows_loaded", 0) for f in files)
    quarantined = sum(f.counts.get("rows_quarantined", 0) for f in files)
    opted = sum(f.counts.get("rows_opted_out", 0) for f in files)
    result.add(
        "ingest",
        f"{len(files)} files: {read:,} rows read, {loaded:,} loaded, {quarantined:,} "
        f"quarantined, {opted:,} removed for {listed} opt-outs",
    )
    link = run_link(store, LinkOptions(apply=True), progress=progress)
    result.add(
        "link",
        f"{link['people_accepted']:,} of {link['unlinked_people']:,} unlinked people matched "
        f"({link['match_rate']:.0%}), {link['people_ambiguous']:,} ambiguous",
    )
    _later_stages(store, result, progress)
    from yearofcare.finance.demo import demo_money

    for step, summary in demo_money(
        store, population, opts.raw_dir, opts.key_file, opts.seed, progress
    ):
        result.add(step, summary)
    return result


def _later_stages(store: Store, result: DemoResult, progress: Progress) -> None:
    """Quality, person_year and analyses with their reports, then the headline summary."""
    from yearofcare.population.analysis import AnalysisOptions, run_analyses
    from yearofcare.population.analysis.kent import summarise_kent
    from yearofcare.population.person_year import build
    from yearofcare.population.summary import summarise
    from yearofcare.quality import QualityOptions, run_quality
    from yearofcare.quality.report import write_quality_report
    from yearofcare.reports.analysis_report import write_analysis_report

    reports = store.engine.data_dir / "reports"
    q = run_quality(store, QualityOptions(), progress=progress)
    found = ", ".join(f"{n:,} {k}" for k, n in sorted(q.findings.items())) or "none"
    files = write_quality_report(store, reports / "quality", run_id=q.run_id)
    result.add("quality", f"findings: {found}; report {files.html}")
    built = build(store, progress=progress)
    result.add("build", f"person_year for {', '.join(map(str, built.years))}")
    a = run_analyses(store, AnalysisOptions.build(), progress=progress)
    files = write_analysis_report(store, reports, run_id=a.run_id)
    result.add("analyse", f"{len(a.tables)} analyses of {a.fy}; report {files.html}")
    result.add("workbook", str(files.xlsx))
    result.summary = summarise(store, a.fy)
    kent = summarise_kent(
        store.to_pandas(store.table("analysis_cost_strength")),
        store.to_pandas(store.table("analysis_cost_by_ltc_setting")),
    )
    result.kent = kent
    result.add(
        "Kent findings",
        f"LTC count explains {kent['eta_squared_ltc']:.0%} of cost variance, age "
        f"{kent['eta_squared_age']:.0%}; largest part of the extra cost of "
        f"{'/'.join(kent['compared_bands'])} LTCs: {kent['largest_excess_setting']}",
    )
