"""Scenarios as data: a service change for some cohorts, written as a YAML file.

A scenario names its cohorts (bands of the population by risk — 0–0.5 %, 0.5–2 %, 2–5 %,
5–10 % as in seed 004 Table 3 — or rules of the cohort rule language), and per cohort and
setting the changes it expects: activity rates, length of stay, unit costs and additions per
person, each with an effect-size range and phased over the years; and new services with their
cost and staffing. `load_scenario` reads and checks a file; every fault is a ConfigError naming
the file, the line and the scenario key.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from yearofcare.config import ConfigModel, config_error_at, read_yaml, validate
from yearofcare.errors import ConfigError
from yearofcare.planning import settings as st

HINT = "see the example scenarios `yoc init` writes (scenario_*.yaml) and docs/planning.md"
ID = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_YEARS = 5
#: Settings whose length-of-stay changes are priced at the excess bed day by default.
ACUTE = ("non_elective", "elective")


def _slug(value: str, what: str) -> str:
    if not ID.match(value):
        raise ValueError(
            f"{what} {value!r} must be lower case letters, digits and _ (starting with a letter)"
        )
    return value


class Cohort(ConfigModel):
    """A cohort: a band of the population ranked by risk, or a rule."""

    id: str
    label: str | None = None
    #: [from, to]: percent of the population counted from the highest risk (0 = the top).
    band: tuple[float, float] | None = None
    rule: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _slug(v, "cohort id")

    @field_validator("band")
    @classmethod
    def _band(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is None:
            return v
        lo, hi = v
        if not (0 <= lo <= 100 and 0 <= hi <= 100):
            raise ValueError(
                f"band [{lo:g}, {hi:g}] is outside 0–100 %: a band is the percent of the "
                "population counted from the highest risk, e.g. [0, 0.5] for the top 0.5 %"
            )
        if lo >= hi:
            raise ValueError(f"band [{lo:g}, {hi:g}] must go from a smaller to a larger percent")
        return v

    def describe(self) -> str:
        if self.band is not None:
            return f"{self.band[0]:g}% to {self.band[1]:g}% of the population by risk"
        return f"rule: {self.rule}"

    @property
    def title(self) -> str:
        if self.label:
            return self.label
        return f"{self.id} ({self.band[0]:g}% to {self.band[1]:g}%)" if self.band else self.id


class Change(ConfigModel):
    """One expected change in one setting for some cohorts.

    `percent` changes the activity rate, the length of stay or the unit cost (−15 = 15 % less);
    `amount` adds pounds per person per year (`what: per_person`). `range` is the effect size's
    plausible range (low, high), drawn from a triangular distribution around the central value
    in each Monte Carlo run. `phasing` is the share of the full effect reached in each year.
    """

    setting: str
    what: Literal["activity", "length_of_stay", "unit_cost", "per_person"]
    percent: float | None = None
    amount: float | None = None
    range: tuple[float, float] | None = None
    cohorts: tuple[str, ...] = ()
    phasing: tuple[float, ...] | None = None
    #: £ per bed day a length-of-stay change saves or adds (default for acute beds: the
    #: NHSI 2016/17 excess bed day, uplifted to the base year)
    bed_day_price: float | None = Field(None, ge=0)
    evidence: str | None = None

    @field_validator("setting")
    @classmethod
    def _setting(cls, v: str) -> str:
        if v not in st.SETTINGS:
            close = difflib.get_close_matches(v, st.IDS, n=1)
            near = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"no setting {v!r}{near} (settings: {', '.join(st.IDS)})")
        return v

    @field_validator("phasing")
    @classmethod
    def _phasing(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and any(p < 0 for p in v):
            raise ValueError("phasing holds the share of the effect reached each year: 0 or more")
        return v

    @property
    def central(self) -> float:
        return float(self.amount if self.what == "per_person" else self.percent)

    def phase(self, year: int) -> float:
        """Share of the effect reached in `year` (1-based); full from the start by default."""
        if self.phasing is None:
            return 1.0
        return float(self.phasing[min(year, len(self.phasing)) - 1])

    def describe(self) -> str:
        if self.what == "per_person":
            return f"{self.setting}: £{self.amount:+,.2f} per person a year"
        what = self.what.replace("_", " ")
        return f"{self.setting} {what} {self.percent:+g}%"


class Staffing(ConfigModel):
    """Staff a new service needs: one WTE per `per_wte` people (caseload) or contacts."""

    staff_group: str
    label: str | None = None
    unit: Literal["people", "activity"] = "people"
    per_wte: float = Field(gt=0)


class NewService(ConfigModel):
    """A service the scenario adds: its cost per person and per contact, and its staff."""

    id: str
    label: str | None = None
    #: the activity setting its cost is booked to in the service-model adjustment
    books_to: str = "community"
    cohorts: tuple[str, ...] = ()
    cost_per_person: float = Field(0, ge=0)
    contacts_per_person: float = Field(0, ge=0)
    cost_per_contact: float = Field(0, ge=0)
    staff: tuple[Staffing, ...] = ()
    phasing: tuple[float, ...] | None = None
    evidence: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _slug(v, "new service id")

    @field_validator("books_to")
    @classmethod
    def _books(cls, v: str) -> str:
        from yearofcare import vocab

        if v not in vocab.SETTINGS:
            raise ValueError(f"books_to {v!r} is not a care setting ({', '.join(vocab.SETTINGS)})")
        return v

    def phase(self, year: int) -> float:
        if self.phasing is None:
            return 1.0
        return float(self.phasing[min(year, len(self.phasing)) - 1])


class Scenario(ConfigModel):
    config_name: ClassVar[str] = "scenario"
    config_hint: ClassVar[str | None] = HINT

    id: str
    name: str
    evidence: str | None = None
    years: int = Field(3, ge=1, le=MAX_YEARS)
    cohorts: tuple[Cohort, ...] = Field(min_length=1)
    changes: tuple[Change, ...] = ()
    new_services: tuple[NewService, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _slug(v, "scenario id")

    @property
    def cohort_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.cohorts)

    def applies(self, item: Change | NewService, cohort: str) -> bool:
        return not item.cohorts or cohort in item.cohorts


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    path: Path | None
    sha256: str | None


def load_scenario(path: Path | str) -> LoadedScenario:
    """Read, validate and cross-check a scenario file."""
    path = Path(path)
    what = "scenario file"
    data, lines = read_yaml(path, what=what)
    source = f"{what} {path}"
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must hold settings as 'key: value' lines", hint=HINT)
    scenario = validate(Scenario, data, source=source, lines=lines)
    check_scenario(scenario, source, lines)
    return LoadedScenario(scenario, path, hashlib.sha256(path.read_bytes()).hexdigest())


def scenario_from_dict(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """A scenario given as data (tests, the web app), checked exactly like a file."""
    scenario = validate(Scenario, data, source=source)
    check_scenario(scenario, source, {})
    return scenario


def check_scenario(s: Scenario, source: str, lines: dict) -> None:
    """What pydantic cannot see: cohorts referred to, cohort kinds, overlapping bands, rules,
    phasing against the years, and rates that phasing would drive below zero."""

    def fail(loc: tuple, message: str, hint: str = HINT) -> ConfigError:
        return config_error_at(source, loc, lines, f"scenario {s.id}: {message}", hint)

    ids = s.cohort_ids
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise fail(("cohorts",), f"cohort id {dup[0]!r} is used twice")
    _check_cohorts(s, fail)
    for key, items in (("changes", s.changes), ("new_services", s.new_services)):
        for i, item in enumerate(items):
            for c in item.cohorts:
                if c not in ids:
                    raise fail(
                        (key, i, "cohorts"),
                        f"{key}[{i}] names cohort {c!r}, which the scenario does not define "
                        f"(cohorts: {', '.join(ids)})",
                    )
            if item.phasing is not None and len(item.phasing) != s.years:
                raise fail(
                    (key, i, "phasing"),
                    f"{key}[{i}] phasing has {len(item.phasing)} values for {s.years} years",
                    "give one share of the full effect per simulated year, e.g. [0.5, 1, 1]",
                )
    services = [n.id for n in s.new_services]
    for i, n in enumerate(s.new_services):
        if n.id in st.SETTINGS or services.count(n.id) > 1:
            raise fail(("new_services", i, "id"), f"new service id {n.id!r} is already used")
    for i, ch in enumerate(s.changes):
        _check_change(s, i, ch, fail)


def _check_cohorts(s: Scenario, fail) -> None:
    from yearofcare.cohorts.rules import parse_rule
    from yearofcare.segmentation.frame import frame_columns

    bands = []
    for i, c in enumerate(s.cohorts):
        if (c.band is None) == (c.rule is None):
            raise fail(
                ("cohorts", i),
                f"cohort {c.id!r} needs either a band (e.g. band: [0, 0.5]) or a rule, not "
                + ("both" if c.band is not None else "neither"),
            )
        if c.rule is not None:
            parse_rule(c.rule, frame_columns(), source=f"scenario {s.id}, cohort {c.id}")
        else:
            bands.append((c.band, c.id, i))
    bands.sort()
    for (a, a_id, _), (b, b_id, j) in itertools.pairwise(bands):
        if b[0] < a[1]:
            raise fail(
                ("cohorts", j, "band"),
                f"cohort {b_id!r} band [{b[0]:g}, {b[1]:g}] overlaps cohort {a_id!r} band "
                f"[{a[0]:g}, {a[1]:g}]",
                "bands must not overlap: each person belongs to one cohort",
            )
    if bands and len(bands) != len(s.cohorts):
        raise fail(("cohorts",), "mix of bands and rules: use one kind of cohort per scenario")


def _check_change(s: Scenario, i: int, ch: Change, fail) -> None:
    loc = ("changes", i)
    name = f"changes[{i}] ({ch.describe() if ch.central is not None else ch.setting})"
    if ch.what == "per_person":
        if ch.amount is None or ch.percent is not None:
            raise fail(loc, f"changes[{i}]: a per_person change gives `amount` (£ a year)")
    elif ch.percent is None or ch.amount is not None:
        raise fail(loc, f"changes[{i}]: a {ch.what} change gives `percent` (e.g. -15)")
    if ch.range is not None:
        lo, hi = ch.range
        if not lo <= ch.central <= hi:
            raise fail(
                (*loc, "range"),
                f"{name}: range [{lo:g}, {hi:g}] does not contain the central value {ch.central:g}",
            )
    if ch.what == "per_person":
        return
    setting = st.SETTINGS[ch.setting]
    if ch.what == "length_of_stay" and not setting.bedded:
        raise fail(
            (*loc, "setting"),
            f"{name}: {ch.setting} has no bed days, so its length of stay cannot change",
            "bedded settings: " + ", ".join(s for s in st.IDS if st.SETTINGS[s].bedded),
        )
    if ch.what == "length_of_stay" and ch.bed_day_price is None and ch.setting not in ACUTE:
        raise fail(
            loc,
            f"{name}: give bed_day_price (£ a bed day) for a length-of-stay change in {ch.setting}",
            "acute beds default to the excess bed day price; other beds need a local price",
        )
    values = [ch.central, *(ch.range or ())]
    for year in range(1, s.years + 1):
        phase = ch.phase(year)
        for pct in values:
            if 1 + pct / 100 * phase < 0:
                raise fail(
                    (*loc, "phasing") if ch.phasing else (*loc, "percent"),
                    f"{name}: in year {year} a change of {pct:g}% phased at {phase:g} drives "
                    f"the {ch.what.replace('_', ' ')} below zero ({100 + pct * phase:g}% of "
                    "today's)",
                    "a rate cannot fall below zero: lower the change, its range or its phasing",
                )
