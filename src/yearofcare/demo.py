"""The demonstration pipeline: a synthetic care economy, from raw extracts to analyses.

synthesise → raw extracts with defects (outside the store) → ingest by plan, with a national
data opt-out list → probabilistic linkage (applied) → data quality → person_year → analyses →
outcomes → the money once currencies and a cohort register exist (finance/demo.py: tariffs,
budget, tags, billed lines with planted double payment, reconciliation, workbook) → RRR
unbundling and the delayed-discharge audit → risk-share settlement of the 3+ LTC cohort's budget under two sample contracts.
Every step is an ordinary stage recorded in the run log; the raw extracts, the opt-out list and
the linkage key stay outside the data directory, so the store never holds an NHS number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from yearofcare.errors import InputError, StageError
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
    #: the economy beside England's published figures (population/england.py)
    england: pd.DataFrame | None = None
    #: ground truth of the synthetic economy for validation (never written to the store):
    #: the DST assessors it made upcode
    upcoders: tuple[str, ...] = ()

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
    truth = population.truth_assessor.to_pandas()
    result.upcoders = tuple(sorted(truth.assessor_id[truth.upcoder.astype(bool)]))
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
        ("up to date (no change since the last link run): " if link.get("up_to_date") else "")
        + f"{link['people_accepted']:,} of {link['unlinked_people']:,} unlinked people matched "
        f"({link['match_rate']:.0%}), {link['people_ambiguous']:,} ambiguous",
    )
    _later_stages(
        store,
        result,
        progress,
        opts.seed,
        before_report=lambda: _before_report(store, population, opts, result, progress),
    )
    return result


def _before_report(
    store: Store, population, opts: DemoOptions, result: DemoResult, progress: Progress
) -> None:
    """The stages whose sections the report of everything shows: outcomes, planning (whose
    service-model adjustment the budget reads), then the money."""
    from yearofcare.finance.demo import demo_money
    from yearofcare.planning.demo import demo_planning

    _outcomes(store, population, opts.key_file, result, progress)
    for step, summary in demo_planning(store, opts.seed, progress):
        result.add(step, summary)
    for step, summary in demo_money(
        store, population, opts.raw_dir, opts.key_file, opts.seed, progress
    ):
        result.add(step, summary)
    # The money loaded the providers' billed lines: measure quality again so the store's
    # quality tables cover every load (and a second demo on the same store changes nothing).
    from yearofcare.quality import QualityOptions, run_quality

    run_quality(store, QualityOptions(), progress=progress)
    _rrr(store, result, progress)


def _rrr(store: Store, result: DemoResult, progress: Progress) -> None:
    """RRR unbundling of the emergency LTC spells with the shipped settings, and the synthetic
    delayed-discharge audit ingested with the other extracts (Figure 10's view)."""
    from yearofcare.fy import fy_label
    from yearofcare.planning.rrr_run import run_rrr
    from yearofcare.planning.rrr_settings import load_rrr_settings

    settings = load_rrr_settings(None)
    rrr = run_rrr(store, settings, progress=progress)
    if rrr.totals.empty:
        result.add("rrr", "no emergency spells of the RRR groups")
        return
    t = rrr.totals.iloc[-1]
    result.add(
        "rrr",
        f"{fy_label(int(t.fy))}: {t.spells:,} emergency spells of {len(settings.groups)} LTC "
        f"groups, {t.spells_unbundled:,} beyond the trim point; £{t.released_pence / 100:,.0f} "
        f"released from £{t.tariff_pence / 100:,.0f} of acute tariff, RRR tariff "
        f"£{t.rrr_pence / 100:,.0f}: £{t.net_pence / 100:,.0f} could move to step-up/step-down",
    )
    if rrr.delays is not None and not rrr.delays.empty:
        d = rrr.delays[rrr.delays.fy == rrr.delays.fy.max()].set_index("reason")
        top = d.drop(index=["all", "not_delayed"], errors="ignore").delayed_days.idxmax()
        result.add(
            "delayed discharges",
            f"{fy_label(int(d.fy.iloc[0]))}: {d.delayed['all']:,} of {d.patients['all']:,} "
            f"audited stays delayed, {d.delayed_days['all']:,} bed days "
            f"(£{d.cost_pence['all'] / 100:,.0f}); most days: {d.reason_label[top].lower()}",
        )


def _outcomes(
    store: Store, population, key_file: Path, result: DemoResult, progress: Progress
) -> None:
    """The services' enrolment lists (pseudonymised like any extract; people removed at ingest
    by an opt-out are dropped), the balanced scorecard and the evaluation of each service."""
    from yearofcare.linkage.pseudonym import load_key, pseudonymise
    from yearofcare.outcomes.evaluate_run import run_evaluations
    from yearofcare.outcomes.run import ScorecardOptions, run_scorecard
    from yearofcare.synth.writer import with_person_id

    if population.service_enrolment is not None and population.service_enrolment.num_rows:
        ids = pseudonymise(population.person.column("nhs_number"), load_key(key_file))
        enrolment = with_person_id(population.service_enrolment, ids)
        people = store.table("person").select(_p="person_id")
        with store.stage("service_enrolment", {"source": "synthetic services"}) as run:
            e = ibis.memtable(
                enrolment.cast(enrolment.schema.set(1, pa.field("person_id", pa.string())))
            )
            run.write("service_enrolment", e.semi_join(people, e.person_id == people._p))
    card = run_scorecard(store, ScorecardOptions(), progress=progress)
    latest = card.scorecard[card.scorecard.fy == card.scorecard.fy.max()]
    counts = latest.rag.value_counts()
    result.add(
        "scorecard",
        f"{len(card.measures):,} measure rows; {card.scorecard.fy.max():.0f}: "
        + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("green", "amber", "red")),
    )
    from yearofcare.outcomes.evaluation import known_services

    services = known_services(store)
    if not services:
        return
    try:
        ev = run_evaluations(store, services, progress=progress)
    except (InputError, StageError) as exc:
        # A small demo population can leave too few people with a year either side of
        # enrolment; the demo says so and carries on (`yoc evaluate` stops with the same words).
        result.add("evaluate", f"not run: {exc.message}")
        return
    s = ev.summary[ev.summary.outcome == "non_elective"]
    for svc in services:
        row = s[(s.service_id == svc) & (s.method == "did")]
        naive = s[(s.service_id == svc) & (s.method == "naive")]
        if row.empty:
            continue
        r, n = row.iloc[0], naive.iloc[0]
        result.add(
            f"evaluate {svc}",
            f"non-elective admissions {r.relative:+.0%} (95 % CI {r.relative_lower:+.0%} to "
            f"{r.relative_upper:+.0%}) against matched controls; naive before-and-after "
            f"{n.relative:+.0%}",
        )


def _later_stages(
    store: Store, result: DemoResult, progress: Progress, seed: int, before_report=lambda: None
) -> None:
    """Quality, person_year and analyses with their reports, then the headline summary."""
    from yearofcare.cohorts.demo import run_need_and_cohorts
    from yearofcare.config.paths import reports_dir
    from yearofcare.population.analysis import AnalysisOptions, run_analyses
    from yearofcare.population.analysis.kent import summarise_kent
    from yearofcare.population.analysis.report import write_analysis_report
    from yearofcare.population.england import england_facts
    from yearofcare.population.person_year import build
    from yearofcare.population.summary import summarise
    from yearofcare.quality import QualityOptions, run_quality
    from yearofcare.quality.report import write_quality_report
    from yearofcare.reports.render import write_report

    reports = reports_dir(store.engine.data_dir)
    q = run_quality(store, QualityOptions(), progress=progress)
    found = ", ".join(f"{n:,} {k}" for k, n in sorted(q.findings.items())) or "none"
    files = write_quality_report(store, reports / "quality", run_id=q.run_id)
    result.add("quality", f"findings: {found}; report {files.html}")
    built = build(store, progress=progress)
    noted = ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in sorted(built.findings.items()))
    result.add(
        "build",
        f"person_year for {', '.join(map(str, built.years))}"
        + (f"; person-years noted: {noted} (build_dq_finding)" if noted else ""),
    )
    run_need_and_cohorts(store, result.add, seed, progress)
    options = AnalysisOptions.build()
    a = run_analyses(store, options, progress=progress)
    files = write_analysis_report(store, reports, run_id=a.run_id)
    result.add(
        "analyse",
        f"{len(a.tables)} analyses of {a.fy} over the analysis population "
        f"({options.population.description}); report {files.html}",
    )
    result.add("workbook", str(files.xlsx))
    before_report()  # the outcomes steps, so the report of everything includes them
    _risk_share(store, reports, result, progress)
    everything = write_report(store, reports)
    result.add("report", f"every stage in one page: {everything.html}")
    result.summary = summarise(store, a.fy, options.population)
    kent = summarise_kent(
        store.to_pandas(store.table("analysis_cost_strength")),
        store.to_pandas(store.table("analysis_cost_by_ltc_setting")),
    )
    result.kent = kent
    parts = list(kent["excess_by_setting"].items())
    margin = (
        f" (£{parts[0][1]:,.0f} a person, {kent['largest_excess_margin']:.1f}× the next, "
        f"{parts[1][0].replace('_', ' ')} £{parts[1][1]:,.0f})"
        if kent.get("largest_excess_margin")
        else ""
    )
    result.add(
        "Kent findings",
        f"LTC count explains {kent['eta_squared_ltc']:.0%} of cost variance, age "
        f"{kent['eta_squared_age']:.0%}; largest part of the extra cost of "
        f"{'/'.join(kent['compared_bands'])} LTCs: "
        f"{str(kent['largest_excess_setting']).replace('_', ' ')}{margin}",
    )
    result.england = england_facts(store, a.fy, options.population)


def _risk_share(store: Store, reports: Path, result: DemoResult, progress: Progress) -> None:
    """The demo cohort's budget settled under two sample contracts, and their exposure."""
    from yearofcare.contracts.demo import settle_demo
    from yearofcare.errors import StageError

    try:
        settled = settle_demo(store, reports, progress=progress)
    except StageError as exc:  # a population too small for a cohort budget
        result.add("risk share", f"not settled: {exc.message}")
    else:
        result.add("risk share", settled.summary)
