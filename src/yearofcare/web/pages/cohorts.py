"""Cohort explorer (service planners, analysts; Leeds' selection tool, seed 004 §5.7 and §7.2):
type or pick a rule in the cohort rule language and see at once how many people it selects,
their levels of need, their use and cost against everyone's, how the cohort turns over from one
year to the next, and how volatile the mean cost of a cohort of that size is.

The rule is parsed, checked and compiled by `yearofcare.cohorts` (never SQL text): a bad rule
is shown inline pointing at the bad token. With "Turnover and volatility: skip" only the first
query runs (the quick count and profile). The figures come from three queries over the
filtered year(s) of person_year with the need columns (`segmentation.frame.need_frame`): one
grouped scan (selected × level), the turnover of the pair of years (`cohorts.stability.turnover`)
and the pool of next-year costs for the bootstrap (`cohorts.stability.pool_costs`), which
runs on that bounded vector in NumPy (`cohorts.stability.bootstrap`).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import ibis
import numpy as np
import pandas as pd
from sqlglot.errors import SqlglotError

from yearofcare.cohorts.config import Volatility, adhoc_rule, load_cohorts
from yearofcare.cohorts.rules import Rule
from yearofcare.cohorts.stability import (
    TURNOVER_CONSISTENT,
    TURNOVER_DERIVED,
    bootstrap,
    pool_costs,
    turnover,
)
from yearofcare.disclosure import DEFAULT_POLICY
from yearofcare.errors import YocError
from yearofcare.fy import fy_label
from yearofcare.population.analysis.common import COST_GROUP_LABELS, amount
from yearofcare.reports.formats import integer, money, percent
from yearofcare.schemas.population import COST_GROUPS
from yearofcare.segmentation.frame import NEED_COLUMNS, need_frame
from yearofcare.web import charts
from yearofcare.web.auth import ANALYST, SERVICE_PLANNER
from yearofcare.web.filters import NEED_LEVELS, filter_person_year
from yearofcare.web.registry import (
    ChartDef,
    Column,
    InputDef,
    Page,
    PageContext,
    PageData,
    TableView,
    register,
)

#: Bootstrap cohorts drawn per size: the explorer answers in well under a second; the
#: `yoc cohort stability` stage draws the configured number (2,000) for the record.
SAMPLES = 400
#: Largest cohort drawn whole (CHUNK × N costs at once); above it the spread of the mean is
#: shown for the standard sizes and, for the cohort's own size, σ/√N.
MAX_DRAWN = 20_000
SEED = 20260401
LEVELS = (*NEED_LEVELS, "Not classified")
#: The rule shown first when levels of need have not been set (`yoc risk score`).
NO_NEED_RULE = "ltc_count >= 3"
#: The `stability` input: turnover and volatility are shown (the default) or skipped, for a
#: quick count and profile while a rule is being worked out (one query instead of three).
SHOW, SKIP = "show", "skip"


def example_rules() -> list[tuple[str, str]]:
    """(label, rule) of each cohort in the packaged cohorts file."""
    loaded, _ = load_cohorts(None)
    return [(c.label or c.id, c.rule) for c in loaded.model.cohorts]


def default_rule() -> str:
    return example_rules()[0][1]


def _frame(ctx: PageContext, years: list[int] | None = None, *, need: bool = True) -> ibis.Table:
    """The rule frame of the filtered year (or of `years`), with the need columns joined only
    when wanted (the turnover and volatility queries join them only if the rule reads them)."""
    py = filter_person_year(ctx.snap, ctx.filters, all_years=years is not None)
    py = py.filter(py.months_registered.fill_null(0) > 0)
    if years is not None:
        py = py.filter(py.fy.isin(years))
    table = ctx.snap.table("need_level") if need and ctx.snap.exists("need_level") else None
    return need_frame(py, table)


def _sum_if(t: ibis.Table, column: str) -> ibis.Value:
    """Σ column, or empty when person_year was built before the column existed."""
    if column not in t.columns:
        return ibis.null("float64")
    return t[column].fill_null(0).sum()


def _profile(t: ibis.Table, hit: ibis.BooleanValue) -> ibis.Table:
    sums = {f"cost_{g}": amount(t[f"cost_{g}"]).sum() for g in COST_GROUPS}
    return t.group_by(
        selected=hit, level=t.level.cast("string").fill_null("Not classified")
    ).aggregate(
        people=t.count(),
        cost_total=amount(t.cost_total).sum(),
        emergency=_sum_if(t, "n_emergency"),
        bed_days=_sum_if(t, "bed_days_acute"),
        ltc_total=t.ltc_count.fill_null(0).sum(),
        **sums,
    )


def build(ctx: PageContext) -> PageData:
    text = ctx.inputs.get("rule") or (
        default_rule() if ctx.snap.exists("need_level") else NO_NEED_RULE
    )
    try:
        rule = adhoc_rule(text)
    except YocError as exc:
        message = exc.message.replace("--rule: ", "", 1)
        return PageData(error=f"{message}\n\n{exc.hint or ''}".strip(), sources=["person_year"])
    except (SqlglotError, RecursionError, ValueError) as exc:  # beyond the parser's own checks
        return PageData(error=f"cannot read the rule: {str(exc)[:200]}", sources=["person_year"])
    stability = ctx.inputs.get("stability") or SHOW
    if stability not in (SHOW, SKIP):
        return PageData(
            error=f"turnover and volatility: {stability[:20]!r} is not a choice; "
            f"choose {SHOW!r} or {SKIP!r}",
            sources=["person_year"],
        )
    try:
        return _explore(ctx, rule, stability == SHOW)
    except AttributeError as exc:  # Ibis: a column the rule reads is not in this store
        return PageData(
            error=f"{exc}: person_year in this store was built by an earlier version of yoc; "
            "run `yoc build` (and `yoc risk score`) again",
            sources=["person_year"],
        )
    except (duckdb.Error, OverflowError, TypeError) as exc:
        # a rule that parses but cannot be computed: a number beyond 64 bits (Ibis refuses the
        # literal with a TypeError) or an overflow in the engine
        what = str(exc).splitlines()[0][:200]
        return PageData(
            error=f"the rule could not be computed: {what}\n    {rule.text}",
            sources=["person_year"],
        )


def _explore(ctx: PageContext, rule: Rule, stability: bool) -> PageData:
    fy = ctx.filters.fy
    year = _frame(ctx)
    prof = ctx.snap.execute(_profile(year, rule.compile(year)))
    sel = prof[prof.selected]
    people = int(sel.people.sum())
    everyone = int(prof.people.sum())
    tables = [
        _summary(sel, prof, people, everyone),
        _needs(sel, people),
        _use_cost(sel, prof, people, everyone),
    ]
    notes = [f"Rule: {rule.text} — reads {', '.join(rule.columns)}; year {fy_label(fy)}."]
    if not ctx.snap.exists("need_level"):
        notes.append("Levels of need: run `yoc risk score` first; need columns read as empty.")
    years = sorted(int(y) for y in ctx.options.fy)
    if not stability:
        notes.append(
            "Turnover and volatility skipped (quick count): choose “show” under Turnover and "
            "volatility to compute them."
        )
    elif fy is not None and fy - 1 in years:
        reads_need = bool(set(rule.columns) & set(NEED_COLUMNS))
        frame = _frame(ctx, [fy - 1, fy], need=reads_need)
        turn = ctx.snap.execute(turnover(frame, rule, "explorer", [fy - 1, fy]))
        tables.append(_turnover(turn, fy - 1))
        costs = ctx.snap.execute(pool_costs(frame, rule, fy - 1)).cost.to_numpy(float)
        vol, note = _volatility(costs, people)
        tables.append(vol)
        notes.append(note)
    else:
        notes.append(
            "Turnover and volatility need the year before the one shown: choose a later year."
        )
    return PageData(tables=tables, notes=notes, sources=["person_year", "need_level"])


def _summary(sel, prof, people: int, everyone: int) -> TableView:
    cost = float(sel.cost_total.sum())
    frame = pd.DataFrame(
        [
            {
                "selected": people,
                "population": everyone,
                "share": people / everyone if everyone else float("nan"),
                "cost_total": cost,
                "cost_per_person": cost / people if people else float("nan"),
                "population_cost_per_person": (
                    float(prof.cost_total.sum()) / everyone if everyone else float("nan")
                ),
                "share_of_cost": (
                    cost / float(prof.cost_total.sum()) if prof.cost_total.sum() else float("nan")
                ),
                "mean_ltcs": float(sel.ltc_total.sum()) / people if people else float("nan"),
                "emergency_per_1000": (
                    1000 * float(sel.emergency.sum(min_count=1)) / people
                    if people
                    else float("nan")
                ),
                "bed_days_per_person": (
                    float(sel.bed_days.sum(min_count=1)) / people if people else float("nan")
                ),
            }
        ]
    )
    return TableView(
        "summary",
        "The cohort at a glance",
        [
            Column("selected", "People selected", "count"),
            Column("population", "Registered population", "count"),
            Column("share", "Share of the population", "pct"),
            Column("cost_total", "Their cost in the year", "money"),
            Column("cost_per_person", "Cost per person selected", "money"),
            Column("population_cost_per_person", "Cost per person, everyone", "money"),
            Column("share_of_cost", "Share of all cost", "pct"),
            Column("mean_ltcs", "Mean number of LTCs", "number"),
            Column("emergency_per_1000", "Emergency admissions per 1,000", "number"),
            Column("bed_days_per_person", "Acute bed days per person", "number"),
        ],
        frame,
        counts=("selected", "population"),
        derived_from={
            "share": ("selected", "population"),
            "cost_total": ("selected",),
            "cost_per_person": ("selected",),
            "share_of_cost": ("selected",),
            "mean_ltcs": ("selected",),
            "emergency_per_1000": ("selected",),
            "bed_days_per_person": ("selected",),
        },
        consistent={
            "totals": ["cost_total", "share_of_cost"],
            "per": dict.fromkeys(
                ("cost_per_person", "mean_ltcs", "emergency_per_1000", "bed_days_per_person"),
                "selected",
            ),
            "ratios": {"share": ("selected", "population")},
        },
    )


def _needs(sel: pd.DataFrame, people: int) -> TableView:
    g = sel.groupby("level", as_index=False).agg(people=("people", "sum"))
    g = g.set_index("level").reindex(LEVELS).fillna(0).reset_index()
    g["people"] = g.people.astype("int64")
    g["cohort"] = people
    g["share"] = g.people / people if people else float("nan")
    g = g[(g.people > 0) | g.level.isin(NEED_LEVELS)].reset_index(drop=True)
    return TableView(
        "needs",
        "Their levels of need",
        [
            Column("level", "Level of need"),
            Column("people", "People", "count"),
            Column("share", "Share of the cohort", "pct"),
        ],
        g,
        counts=("people", "cohort"),
        derived_from={"share": ("people", "cohort")},
        consistent={"ratios": {"share": ("people", "cohort")}, "lines": [("cohort",)]},
    )


def _use_cost(sel, prof, people: int, everyone: int) -> TableView:
    rows = []
    for grp in COST_GROUPS:
        mine = float(sel[f"cost_{grp}"].sum())
        allc = float(prof[f"cost_{grp}"].sum())
        rows.append(
            {
                "setting": COST_GROUP_LABELS[grp],
                "people": people,
                "cost": mine,
                "cost_per_person": mine / people if people else float("nan"),
                "everyone_per_person": allc / everyone if everyone else float("nan"),
                "share_of_setting": mine / allc if allc else float("nan"),
            }
        )
    return TableView(
        "use_cost",
        "Use and cost by setting",
        [
            Column("setting", "Setting"),
            Column("cost", "Cohort cost", "money"),
            Column("cost_per_person", "Per person selected", "money"),
            Column("everyone_per_person", "Per person, everyone", "money"),
            Column("share_of_setting", "Cohort's share of the setting's cost", "pct"),
        ],
        pd.DataFrame(rows),
        counts=("people",),
        derived_from={
            "cost": ("people",),
            "cost_per_person": ("people",),
            "share_of_setting": ("people",),
        },
        consistent={"totals": ["cost", "share_of_setting"], "per": {"cost_per_person": "people"}},
    )


def _turnover(turn: pd.DataFrame, fy_from: int) -> TableView:
    cols = ("members", "retained", "died", "moved_away", "stepped_down", "joiners")
    frame = turn.drop(columns=["cohort_id", "rule"], errors="ignore").copy()
    if frame.empty:
        frame = pd.DataFrame([{**dict.fromkeys(cols, 0), "fy_from": fy_from}])
    frame["year"] = [f"{fy_label(int(y))} → {fy_label(int(y) + 1)}" for y in frame.fy_from]
    frame["retention"] = frame.retained / frame.members.where(frame.members > 0)
    return TableView(
        "turnover",
        "Turnover: who the rule selects again the next year",
        [
            Column("year", "Years"),
            Column("members", "Selected in the first year", "count"),
            Column("retained", "Selected again", "count"),
            Column("retention", "Retained", "pct"),
            Column("died", "Died", "count"),
            Column("moved_away", "Moved away", "count"),
            Column("stepped_down", "No longer meet the rule", "count"),
            Column("joiners", "New in the second year", "count"),
        ],
        frame,
        counts=cols,
        derived_from=TURNOVER_DERIVED,
        consistent=TURNOVER_CONSISTENT,
    )


VOLATILITY_COLUMNS = (
    "cohort_size",
    "tolerance_percent",
    "budget",
    "mean_cost_sd",
    "mean_cost_p05",
    "mean_cost_p95",
    "probability_miss",
    "probability_over",
)


def _volatility(costs: np.ndarray, people: int) -> tuple[TableView, str]:
    """The bootstrap at the standard sizes and at the cohort's own size — rounded and shown
    only from the disclosure threshold up, so neither the table nor the note gives away a
    count the summary suppresses or rounds."""
    policy = DEFAULT_POLICY
    size = round(people / policy.rounding) * policy.rounding if people >= policy.threshold else 0
    sizes = [n for n in Volatility().sizes if n < size and n <= MAX_DRAWN]
    own = 0 < size <= MAX_DRAWN
    if own:
        sizes.append(size)
    settings = Volatility(sizes=tuple(sizes) or (1,), samples=SAMPLES, seed=SEED)
    boot = bootstrap(costs, settings, np.random.default_rng(SEED)) if len(costs) else None
    if boot is None or boot.empty or not sizes:
        frame = pd.DataFrame(columns=[*VOLATILITY_COLUMNS, "pool_size", "this_cohort"])
        note = "Volatility: too few people the rule selects were present the next year."
    else:
        frame = boot[boot.cohort_size.isin(sizes)].reset_index(drop=True)
        frame["this_cohort"] = frame.cohort_size == size
        sd = float(np.std(costs, ddof=1)) if len(costs) > 1 else float("nan")
        note = (
            "Volatility: the mean cost of a cohort of N drawn from the people the rule selected "
            f"the year before who were present this year, {SAMPLES} bootstrap cohorts per size "
            "(`yoc cohort stability` draws the configured number)."
        )
        if size > MAX_DRAWN:
            note += (
                f" A cohort of about {size:,} is too large to draw here: the spread (sd) of its "
                f"mean cost is σ/√N = £{sd / np.sqrt(size):,.0f} on a mean of "
                f"£{float(np.mean(costs)):,.0f}."
            )
    view = TableView(
        "volatility",
        "Volatility: how far the mean cost of a cohort of this size strays from the budget",
        [
            Column("cohort_size", "Cohort size", "int"),
            Column("pool_size", "Drawn from (people)", "count"),
            Column("tolerance_percent", "Tolerance, %", "number"),
            Column("budget", "Budget per person (pool mean)", "money"),
            Column("mean_cost_sd", "Spread (sd) of the mean", "money"),
            Column("mean_cost_p05", "5th percentile", "money"),
            Column("mean_cost_p95", "95th percentile", "money"),
            Column("probability_miss", "Chance of missing by more than the tolerance", "pct"),
            Column("probability_over", "Chance of overspending by more", "pct"),
        ],
        frame,
        counts=("pool_size",),
        derived_from=dict.fromkeys(
            ("budget", "mean_cost_sd", "mean_cost_p05", "mean_cost_p95"), ("pool_size",)
        ),
    )
    return view, note


def _headline(frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    if "summary" not in frames:
        return []
    s = frames["summary"].iloc[0]

    def fmt(v: object, f) -> str:
        return "*" if pd.isna(v) else f(v)

    out = [
        ("People selected", fmt(s.selected, integer)),
        ("Share of the population", fmt(s.share, percent)),
        ("Cost per person selected", fmt(s.cost_per_person, money)),
    ]
    v = frames.get("volatility")
    if v is not None and "this_cohort" in v.columns:
        mine = v[v.this_cohort.fillna(False).astype(bool) & (v.tolerance_percent == 5)]
        if len(mine):
            out.append(
                (
                    "Chance a cohort this size misses by > 5 %",
                    fmt(mine.probability_miss.iloc[0], percent),
                )
            )
    return out


PAGE = register(
    Page(
        slug="cohorts",
        title="Cohort explorer",
        audience="Service planners",
        description=(
            "Type or pick a cohort rule and see at once how many people it selects, their needs, "
            "use and cost, how the cohort turns over and how volatile a cohort of that size is."
        ),
        roles=frozenset({SERVICE_PLANNER, ANALYST}),
        requires=("person_year",),
        command="yoc build, then yoc risk score for levels of need",
        build=build,
        order=20,
        headline=_headline,
        template="cohorts.html.j2",
        inputs=(
            InputDef(
                "rule",
                "Cohort rule",
                "e.g. ltc_count >= 3 and age >= 65 (the cohort rule language)",
                kind="rule",
                max_length=2000,
            ),
            InputDef(
                "stability",
                "Turnover and volatility",
                "show (the default) or skip them for a quick count and profile",
                kind="choice",
                max_length=10,
                choices=lambda snap: (SHOW, SKIP),
            ),
        ),
        charts=(
            ChartDef(
                "needs",
                "Levels of need",
                "needs",
                lambda d: charts.bar(
                    d,
                    "level",
                    "people",
                    title="People selected by level of need",
                    x_title="Level of need",
                    y_title="People",
                    sort=list(LEVELS),
                ),
            ),
            ChartDef(
                "use_cost",
                "Cost per person by setting",
                "use_cost",
                lambda d: charts.bar(
                    d,
                    "setting",
                    "cost_per_person",
                    title="Cost per person selected, by setting",
                    x_title="",
                    y_title="£ per person",
                    sort="-x",
                    horizontal=True,
                ),
            ),
            ChartDef(
                "volatility",
                "Volatility by cohort size",
                "volatility",
                lambda d: charts.line(
                    d.assign(tolerance=d.tolerance_percent.map(lambda t: f"±{t:g}%")),
                    "cohort_size",
                    "probability_miss",
                    "tolerance",
                    title="Chance the cohort's mean cost misses the budget, by cohort size",
                    x_title="Cohort size",
                    y_title="Chance of a miss",
                    x_type="quantitative",
                    y_format=".0%",
                ),
            ),
        ),
    )
)
