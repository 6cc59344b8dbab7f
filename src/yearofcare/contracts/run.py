"""`run_settle` and `run_simulate`: the risk-share stage run against a store.

Each reads its terms and inputs, settles (Decimal) or simulates (int64 arrays), and writes the
declared tables inside one `store.stage(...)`, so a failure leaves the store as it was. A
settlement replaces the rows of the contracts it settles and keeps every other contract's; a
simulation replaces the exposure comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

import ibis
import numpy as np
import pyarrow as pa
from pydantic import Field

from yearofcare import schemas
from yearofcare.config import ConfigModel
from yearofcare.contracts import simulate as sim
from yearofcare.contracts import sources
from yearofcare.contracts.frames import exposure_rows, settlement_rows
from yearofcare.contracts.inputs import Typed, add_options, load_inputs, period_inputs
from yearofcare.contracts.money import parse_money, parse_percent
from yearofcare.contracts.settle import Settlement, settle
from yearofcare.contracts.terms import LoadedTerms, load_terms
from yearofcare.errors import ConfigError
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store

STAGE = "settle"
SIMULATE_STAGE = "settle-simulate"
SETTLEMENT_TABLES = (
    "settlement_contract",
    "settlement_step",
    "settlement",
    "settlement_party",
    "settlement_figure",
)
#: Packaged examples: name → (terms file, inputs file or None).
EXAMPLES: dict[str, tuple[str, str | None]] = {
    "lewisham": ("lewisham_pathway_2012.yaml", "lewisham_pathway_2012.inputs.yaml"),
    "whittington": ("whittington_cap_collar_2012.yaml", "whittington_cap_collar_2012.inputs.yaml"),
    "aqc": ("aqc_blue_cross.yaml", "aqc_blue_cross.inputs.yaml"),
    "tiered": ("tiered_pooled.yaml", "tiered_pooled.inputs.yaml"),
}


def example_path(name: str) -> Path:
    """A packaged example file (terms or inputs) by file name."""
    return Path(str(resources.files("yearofcare.contracts") / "examples" / name))


def example(name: str) -> tuple[Path, Path | None]:
    if name not in EXAMPLES:
        raise ConfigError(f"no example called {name!r}", hint="examples: " + ", ".join(EXAMPLES))
    terms, inputs = EXAMPLES[name]
    return example_path(terms), example_path(inputs) if inputs else None


class SettleOptions(ConfigModel):
    """What to settle and with which facts (see `yoc settle --help`)."""

    config_name: ClassVar[str] = "settle options"
    config_hint: ClassVar[str | None] = "see `yoc settle --help` and docs/contracts.md"
    terms: tuple[str, ...] = Field((), description="Terms files.")
    examples: tuple[str, ...] = Field((), description="Packaged examples to settle.")
    inputs: str | None = Field(None, description="Settlement inputs file.")
    outturn: tuple[str, ...] = ()
    quality_level: tuple[str, ...] = ()
    achievement: tuple[str, ...] = ()
    cohort: str | None = Field(None, description="Cohort id in the money stage's tables.")
    min_ltc: int | None = Field(
        None, ge=0, description="Use the person_year cohort of people with this many LTCs."
    )
    fy: int | None = Field(None, description="Financial year of the person_year cohort.")


class SimulateOptions(SettleOptions):
    """Exposure before signing (see `yoc settle --simulate --help`)."""

    config_name: ClassVar[str] = "simulate options"
    draws: int = Field(100_000, ge=100, le=5_000_000)
    seed: int = 20261123
    mean: str | None = Field(None, description="Mean outturn (pounds): a stated distribution.")
    spread: str | None = Field(
        None,
        description="Standard deviation (pounds or % of the mean); with a cohort "
        "bootstrap, an extra systematic spread.",
    )
    distribution: Literal["lognormal", "normal"] = "lognormal"
    period: str | None = None


@dataclass
class SettleResult:
    run_id: str
    settlements: list[Settlement]
    rows: dict[str, int] = field(default_factory=dict)


def _terms(opts: SettleOptions) -> list[tuple[LoadedTerms, Path | None, str]]:
    found = []
    for name in opts.examples:
        terms, inputs = example(name)
        found.append((load_terms(terms), inputs, f"example {name}"))
    for path in opts.terms:
        found.append((load_terms(path), None, str(path)))
    if not found:
        raise ConfigError(
            "no contract terms given",
            hint="name a terms file (yoc settle TERMS.yaml) or an example (--example lewisham)",
        )
    ids = [lt.terms.contract for lt, _, _ in found]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"contract id {dupes[0]} is given twice", hint="settle each once")
    return found


def _typed(
    store: Store,
    lt: LoadedTerms,
    example_inputs: Path | None,
    opts: SettleOptions,
    *,
    from_store: bool = True,
) -> Typed:
    """Typed values first, then (with `from_store`) what the store holds, for each period of
    one contract: the reconciliation's outturn, and the outcomes stage's quality level and
    achievement of the measures the terms name."""
    periods = [p.id for p in lt.terms.periods]
    typed = Typed()
    if example_inputs is not None:
        load_inputs(example_inputs, typed)
    if opts.inputs:
        load_inputs(opts.inputs, typed)
    add_options(
        typed,
        periods,
        outturn=opts.outturn,
        quality_level=opts.quality_level,
        achievement=opts.achievement,
    )
    fys = {p.fy: p.id for p in lt.terms.periods if p.fy is not None}
    if from_store:
        # a cohort rule (--min-ltc) is its own outturn: never another cohort's reconciliation
        _store_facts(store, lt, typed, fys, opts.cohort, outturns=opts.min_ltc is None)
    cohort = None
    if from_store or opts.min_ltc is not None:
        cohort = _cohort_costs(store, opts, opts.fy or next(iter(fys), None))
    if cohort is not None:
        pid = fys.get(cohort.fy) or periods[0]
        what = cohort.who
        if typed.get(pid, "outturn") is None:
            typed.put(pid, "outturn", Decimal(repr(cohort.outturn)).quantize(Decimal("0.01")), what)
        if typed.get(pid, "person_costs") is None:
            costs = [Decimal(repr(float(c))).quantize(Decimal("0.01")) for c in cohort.costs]
            typed.put(pid, "person_costs", costs, what)
    return typed


def _cohort_costs(store: Store, opts: SettleOptions, fy: int | None) -> sources.CohortCosts | None:
    """The person costs a contract is settled on: a person_year rule (--min-ltc, in --fy or
    the latest year), or the members of a money-stage cohort (--cohort) in `fy` once the money
    stage has tagged activity; None when neither applies."""
    if opts.min_ltc is not None:
        return sources.cohort_costs(store, opts.min_ltc, opts.fy)
    if opts.cohort is not None and fy is not None and store.exists("activity_tag"):
        return sources.register_costs(store, opts.cohort, fy)
    return None


def _store_facts(
    store: Store,
    lt: LoadedTerms,
    typed: Typed,
    fys: dict[int, str],
    cohort: str | None,
    *,
    outturns: bool = True,
) -> None:
    found = sources.outturns_from_store(store, cohort) if outturns else {}
    for fy, (value, source) in found.items():
        if fy in fys and typed.get(fys[fy], "outturn") is None:
            typed.put(fys[fy], "outturn", value, source)
    mechanisms = [lt.terms.mechanisms[k] for k in lt.terms.apply]
    measures = {
        m.id for mech in mechanisms if mech.type == "outcome_withhold" for m in mech.measures
    }
    wants_level = any(mech.type == "quality_share" for mech in mechanisms)
    if not measures and not wants_level:
        return
    achieved, levels = sources.achievement_from_store(store)
    for fy, pid in fys.items():
        for measure, pct in achieved.get(fy, {}).items():
            if measure in measures and typed.get(pid, f"achievement:{measure}") is None:
                typed.put(pid, f"achievement:{measure}", pct, "outcome_achievement")
        if wants_level and fy in levels and typed.get(pid, "quality_level") is None:
            typed.put(pid, "quality_level", levels[fy], "outcome_achievement")


def _source_text(typed: Typed, period: str) -> str:
    by_source: dict[str, list[str]] = {}
    for key, source in typed.sources.get(period, {}).items():
        by_source.setdefault(source, []).append(key.replace("achievement:", ""))
    return "; ".join(f"{', '.join(keys)} from {src}" for src, keys in by_source.items())


def _write(run, name: str, rows: list[dict], replace_contracts: list[str] | None) -> int:
    declared = schemas.get(name)
    new = ibis.memtable(pa.Table.from_pylist(rows, schema=declared.ibis_schema().to_pyarrow()))
    if replace_contracts is not None and run.store.exists(name):
        old = run.store.table(name)
        new = old.filter(~old.contract_id.isin(replace_contracts)).union(new)
    return run.write(name, new)


def run_settle(store: Store, opts: SettleOptions, progress: Progress = SILENT) -> SettleResult:
    """Settle each contract given and write its statements into the store."""
    found = _terms(opts)
    params = {
        "terms": [label for _, _, label in found],
        "terms_sha256": {lt.terms.contract: lt.sha256 for lt, _, _ in found},
        **opts.model_dump(exclude={"terms", "examples"}, exclude_none=True),
    }
    with store.stage(STAGE, params) as run:
        settled = []
        rows: dict[str, list[dict]] = {n: [] for n in SETTLEMENT_TABLES}
        with progress.task("settle", total=len(found)) as task:
            for lt, example_inputs, label in found:
                typed = _typed(store, lt, example_inputs, opts)
                inputs = {p.id: period_inputs(typed, p.id) for p in lt.terms.periods}
                s = settle(lt, inputs)
                settled.append(s)
                texts = {p.id: _source_text(typed, p.id) for p in lt.terms.periods}
                for name, new in settlement_rows(s, run.run_id, label, texts).items():
                    rows[name].extend(new)
                task.advance()
        ids = [s.loaded.terms.contract for s in settled]
        counts = {name: _write(run, name, rows[name], ids) for name in SETTLEMENT_TABLES}
    return SettleResult(run.run_id, settled, counts)


@dataclass
class SimulateResult:
    run_id: str
    draws: sim.Draws
    scenarios: list[sim.Scenario]
    rows: int


def outturn_draws(
    store: Store, opts: SimulateOptions, found: list[LoadedTerms], rng: np.random.Generator
) -> sim.Draws:
    """The outturn distribution: stated, the money stage's bootstrap, or a cohort bootstrap."""
    spread = opts.spread
    if opts.mean is not None:
        mean = float(parse_money(opts.mean))
        sd = _spread(spread, mean) if spread else 0.0
        return sim.stated(mean, sd, opts.draws, rng, opts.distribution)
    first = found[0].terms.periods[0]
    fy = opts.fy or first.fy
    thresholds = [
        m.threshold for lt in found for m in lt.terms.mechanisms.values() if m.type == "stop_loss"
    ]
    # stop-loss terms need each draw's cost above the threshold: a register cohort is then
    # bootstrapped from its members' costs rather than drawn from the budget's quantiles
    cohort = _cohort_costs(store, opts, fy) if opts.min_ltc is not None or thresholds else None
    if cohort is None and opts.min_ltc is None and fy is not None:
        probs, levels = sources.cover_quantiles(store, opts.cohort, fy)
        if probs.size >= 2:
            u = rng.uniform(probs.min(), probs.max(), opts.draws)
            how = f"money stage budget bootstrap (budget_cover {fy}), inverse-CDF draws"
            return sim.Draws(sim._pence(np.interp(u, probs, levels)), how)
    if cohort is not None:
        baseline = float(found[0].terms.baseline(first))
        extra = _spread(spread, 1.0) if spread else 0.0
        return sim.bootstrap(
            cohort.costs, opts.draws, rng, thresholds=thresholds, centre=baseline, spread=extra
        )
    raise ConfigError(
        "no outturn distribution to simulate from",
        hint="give --mean and --spread, run `yoc budget` (money stage) so budget_cover exists, "
        "or bootstrap a person_year cohort with --min-ltc N",
    )


def _spread(text: str, mean: float) -> float:
    text = text.strip()
    try:
        if text.endswith("%"):
            return float(parse_percent(text)) / 100 * mean
        return float(parse_money(text))
    except ValueError as exc:
        raise ConfigError(f"--spread {text}: {exc}", hint="e.g. --spread 5% or 600k") from None


def run_simulate(
    store: Store, opts: SimulateOptions, progress: Progress = SILENT
) -> SimulateResult:
    """Each party's exposure under each set of terms, on the same simulated outturns."""
    found = _terms(opts)
    params = {
        "terms": [label for _, _, label in found],
        **opts.model_dump(exclude={"terms", "examples"}, exclude_none=True),
    }
    with store.stage(SIMULATE_STAGE, params) as run:
        rng = np.random.default_rng(opts.seed)
        loaded = [lt for lt, _, _ in found]
        draws = outturn_draws(store, opts, loaded, rng)
        scenarios: list[sim.Scenario] = []
        with progress.task("simulate", total=len(found)) as task:
            for lt, example_inputs, _ in found:
                # what could happen: typed facts only, not this year's outcomes
                facts = opts.model_copy(update={"min_ltc": None})
                typed = _typed(store, lt, example_inputs, facts, from_store=False)
                pid = opts.period or lt.terms.periods[0].id
                given = period_inputs(typed, pid)
                use = draws
                if draws.excess is None and given.excess is not None:
                    use = _fixed_excess(draws, given.excess)
                level = typed.get(pid, "quality_level")
                scenarios.extend(
                    sim.scenarios_for(
                        lt,
                        use,
                        period=opts.period,
                        quality_level=level,
                        achievement=dict(given.achievement) or None,
                    )
                )
                task.advance()
        rows = run.write(
            "settlement_exposure", _exposure_table(exposure_rows(scenarios, draws, run.run_id))
        )
    return SimulateResult(run.run_id, draws, scenarios, rows)


def _fixed_excess(draws: sim.Draws, excess) -> sim.Draws:
    """The same high-cost excess (from typed person costs) on every draw."""

    def fixed(threshold: Decimal) -> np.ndarray:
        return np.full(draws.outturn.shape, int(excess(threshold) * 100), dtype=np.int64)

    return sim.Draws(
        draws.outturn, draws.how + "; high-cost excess fixed at the typed costs", fixed
    )


def _exposure_table(rows: list[dict]) -> ibis.Table:
    declared = schemas.get("settlement_exposure")
    return ibis.memtable(pa.Table.from_pylist(rows, schema=declared.ibis_schema().to_pyarrow()))
