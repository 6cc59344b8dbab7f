"""Realism of the synthetic care economy: one test per target, on 50,000 people over 3 years.

Targets and tolerances are those of the synthetic generator's brief (REQUIREMENTS.md §1-2 and the
seed documents): demography, QOF prevalence, multimorbidity (000 annex 1.1), activity rates,
seasonality, costs by number of LTCs (DH LTC compendium; Kent), the last year of life, coding,
assessments and LTC6. Measures are defined in tests/synth_metrics.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synth_metrics as sm
from yearofcare import vocab
from yearofcare.synth import SynthParams, generate

pytestmark = pytest.mark.slow

PARAMS = SynthParams(people=50_000, years=3, seed=20261123, end_fy=2025)


@pytest.fixture(scope="session")
def pop():
    return generate(PARAMS)


@pytest.fixture(scope="session")
def m(pop) -> sm.Measures:
    return sm.connect(pop)


def near(value: float, target: float, relative: float) -> bool:
    return abs(value - target) <= relative * target


# ---- demography --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("band", "share"), [("0-17", 0.21), ("18-64", 0.60), ("65-84", 0.16), ("85+", 0.025)]
)
def test_age_structure(m, band, share):
    assert abs(sm.age_structure(m)[band] - share) <= 0.02


def test_sex_split(m):
    assert abs(sm.age_structure(m)["female"] - 0.505) <= 0.02


def test_practices_localities_and_deprivation(pop):
    people = pop.params.people
    assert 5_000 <= people / pop.practice.num_rows <= 12_000
    assert pop.practice["locality"].cast("string").unique().__len__() >= 2
    deciles = np.bincount(np.asarray(pop.person["imd_decile"]), minlength=11)[1:]
    assert (deciles > 0).all()
    lsoa = pop.person["lsoa"].cast("string").to_pylist()
    assert all(code.startswith("E01") and len(code) == 9 for code in set(lsoa))


def test_joiners_leavers_transfers_and_deaths(pop, m):
    reg = pop.registration.to_pandas()
    reasons = reg.end_reason.astype(str).value_counts()
    assert {"left", "died", "transferred"} <= set(reasons.index)
    joined = reg.start_date > m.t0
    assert joined.mean() > 0.05


# ---- conditions --------------------------------------------------------------------------------
QOF = {
    "hypertension": 0.14,
    "depression": 0.13,
    "diabetes": 0.075,
    "asthma": 0.065,
    "ckd": 0.04,
    "cancer": 0.035,
    "chd": 0.03,
    "af": 0.02,
    "copd": 0.019,
    "stroke_tia": 0.018,
    "heart_failure": 0.01,
    "smi": 0.01,
    "dementia": 0.007,
}


@pytest.fixture(scope="session")
def prevalence(m):
    return sm.prevalence(m)


@pytest.mark.parametrize(("condition", "target"), QOF.items())
def test_qof_prevalence(prevalence, condition, target):
    assert near(prevalence[condition], target, 0.25)


def test_every_catalogue_condition_occurs(prevalence):
    from yearofcare.schemas.population import condition_ids

    assert set(condition_ids()) <= set(prevalence)
    assert all(0 < v < 0.2 for v in prevalence.values())


def test_onsets_before_and_during_the_window_and_some_resolve(pop, m):
    truth = pop.truth_condition.to_pandas()
    assert (truth.onset_date < m.t0).mean() > 0.5
    assert (truth.onset_date >= m.t0).sum() > 1000
    resolved = truth[truth.resolved_date.notna()].condition_id.astype(str)
    assert set(resolved) == {"asthma", "depression", "diabetes"}


@pytest.fixture(scope="session")
def mm(m):
    return sm.multimorbidity(m)


def test_most_people_over_65_have_two_or_more(mm):
    assert mm["65+_two_plus"] > 0.5


def test_most_people_over_75_have_three_or_more(mm):
    assert mm["75+_three_plus"] > 0.5


def test_more_people_have_two_or_more_than_one(mm):
    assert mm["two_plus"] > mm["exactly_one"]


#: Barnett K et al. Epidemiology of multimorbidity. Lancet 2012;380:37-43 (1,751,841 people, 40
#: conditions; the catalogue mirrors the list): 42.2% have one or more conditions, 23.2% two or more
#: (the abstract), and 81.5% of people aged 85 and over two or more (as cited by NHS Scotland's
#: Right Decisions diabetes polypharmacy guide). Registers (palliative care) are not counted.
BARNETT = {"any": 0.422, "two_plus": 0.232, "85+_two_plus": 0.815}


@pytest.mark.parametrize(("measure", "share"), BARNETT.items())
def test_multimorbidity_reads_like_barnett(mm, measure, share):
    assert abs(mm[measure] - share) <= 0.03


@pytest.mark.parametrize(
    ("condition", "alone"), [("copd", 0.18), ("diabetes", 0.14), ("dementia", 0.05)]
)
def test_few_have_the_condition_alone(mm, condition, alone):
    assert abs(mm[f"{condition}_alone"] - alone) <= 0.06


def test_clustering_of_related_conditions(m):
    reg = sm.registered_at(m, m.t1)
    act = sm.active_at(m, m.t1)
    act = act[act.person_idx.isin(reg.person_idx)]
    has = pd.crosstab(act.person_idx, act.condition_id).reindex(reg.person_idx, fill_value=0) > 0

    def lift(a: str, b: str) -> float:
        return (has[a] & has[b]).mean() / (has[a].mean() * has[b].mean())

    for a, b in [
        ("diabetes", "ckd"),
        ("diabetes", "hypertension"),
        ("chd", "hypertension"),
        ("copd", "depression"),
        ("depression", "anxiety"),
    ]:
        assert lift(a, b) > 1.5, (a, b)


def test_more_long_term_conditions_and_cost_in_deprived_areas(m):
    d = m.q(
        """SELECT p.imd_decile <= 2 AS deprived, avg(c.ltc) AS ltc, avg(c.cost) AS cost
           FROM py_cost c JOIN person p USING (person_idx)
           WHERE p.imd_decile <= 2 OR p.imd_decile >= 9 GROUP BY 1"""
    ).set_index("deprived")
    assert d.loc[True, "ltc"] > 1.1 * d.loc[False, "ltc"]
    assert d.loc[True, "cost"] > 1.1 * d.loc[False, "cost"]


# ---- activity ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rates(m):
    return sm.annual_rates(m)


@pytest.mark.parametrize(
    ("measure", "per_1000"),
    [
        ("non_elective", 110),
        ("ae", 420),
        ("outpatient", 1800),
        ("social_care_people", 15),
        ("deaths", 9),
    ],
)
def test_annual_rates_per_1000(rates, measure, per_1000):
    assert near(rates[measure], per_1000, 0.30)


def test_winter_peak_in_emergency_admissions(m):
    assert sm.winter_ratio(m) >= 1.10


def test_every_setting_is_used(pop):
    settings = set(pop.activity["setting"].cast("string").to_pylist())
    assert settings == set(vocab.SETTINGS)


def test_service_types_include_stays_packages_and_care_homes(pop):
    act = pop.activity.to_pandas()
    service = act.service_type.astype(str)
    for s in (
        "community_bed",
        "mental_health_inpatient",
        "home_care",
        "residential_care",
        "nursing_care",
        "hospice_inpatient",
        "reablement",
    ):
        assert (service == s).any(), s
    care_home = act[service.isin(["residential_care", "nursing_care"])]
    assert (care_home.unit_type.astype(str) == "weeks").all()
    assert np.allclose(care_home.bed_days, care_home.units * 7)
    hours = act[service == "home_care"]
    assert (hours.unit_type.astype(str) == "hours").all() and (hours.units > 0).all()


def _reference(setting: str, currency: str = "*", los: float = 0.0) -> float:
    """A unit cost of the build's default tables at their 2024/25 prices."""
    from yearofcare.population.config import PopulationConfig
    from yearofcare.population.prices import load_unit_costs

    f = load_unit_costs(PopulationConfig().unit_costs).frame
    row = f[
        (f.setting == setting) & (f.currency == currency) & (f.los_min <= los) & (f.los_max >= los)
    ]
    return float(row.unit_cost.iloc[0])


@pytest.mark.parametrize(
    ("setting", "where", "currency", "los"),
    [
        ("acute_non_elective", "service_s = 'emergency' AND bed_days <= 1", "*", 0),
        ("acute_non_elective", "service_s = 'emergency' AND bed_days BETWEEN 2 AND 20", "*", 2),
        ("acute_elective", "bed_days <= 15", "*", 0),
        ("acute_day_case", "TRUE", "*", 0),
        ("gp", "service_s = 'surgery_consultation'", "surgery_consultation", 0),
        ("gp", "service_s = 'telephone_consultation'", "telephone_consultation", 0),
        ("gp", "service_s = 'home_visit'", "home_visit", 0),
    ],
)
def test_synthetic_prices_are_the_builds_reference_prices(m, setting, where, currency, los):
    """Acute spells (NCC 2024/25) and GP consultations by type (PSSRU 2025) cost on average what
    the build's unit-cost tables say, so a spell without a supplied tariff is priced alike."""
    mean = m.q(f"SELECT avg(cost / units) AS c FROM act WHERE setting_s = '{setting}' AND {where}")
    assert near(mean.c.iloc[0], _reference(setting, currency, los), 0.15)


def test_home_care_hour_cost(m):
    mean = m.q("SELECT sum(cost) / sum(units) AS c FROM act WHERE service_s = 'home_care'").c[0]
    assert near(mean, 26, 0.15)


def test_cost_fields_are_set_sensibly(pop):
    act = pop.activity.to_pandas()
    by = act.groupby(act.setting.astype(str))
    assert set(by.funding_route.agg(lambda s: s.astype(str).mode()[0]).items()) >= {
        ("acute_non_elective", "pbr"),
        ("gp", "primary_care"),
        ("social_care", "local_authority"),
        ("community", "block"),
        ("third_sector", "charitable"),
    }
    assert (act.currency.notna()).all() and (act.cost > 0).all()


# ---- England's hospital mix (NHS Digital Hospital Admitted Patient Care Activity 2023-24; NHS
# England National Cost Collection 2024/25) --------------------------------------------------------
@pytest.fixture(scope="session")
def mix(m):
    return sm.hospital_mix(m)


def test_elective_and_day_case_admissions_per_1000(mix):
    """HES 2023-24: about 1.6 million ordinary elective and 6.6 million day-case admissions for
    57 million people: 25-30 and 110-120 per 1,000."""
    assert 25 <= mix["elective_per_1000"] <= 30
    assert 110 <= mix["day_case_per_1000"] <= 120


def test_non_elective_spend_exceeds_elective_and_day_case(mix):
    """NCC 2024/25: non-elective inpatient spend is larger than elective and day-case together."""
    assert mix["non_elective_spend"] > mix["elective_and_day_case_spend"]


def test_few_non_elective_spells_cost_under_300(mix):
    """The cheapest non-elective short-stay HRGs cost several hundred pounds (NCC 2024/25 short
    stay average £824)."""
    assert mix["non_elective_under_300"] < 0.02


@pytest.mark.parametrize("setting", ["acute_non_elective", "acute_elective"])
def test_spell_cost_rises_with_length_of_stay(m, setting):
    by_los = sm.spell_cost_by_los(m, setting)
    assert len(by_los) == len(sm.LOS_BANDS) and by_los.is_monotonic_increasing


def test_antidiabetic_prescribing_follows_diabetes(m):
    """Antidiabetic drugs are prescribed to people with diabetes (most of the register is on a
    glucose-lowering drug, National Diabetes Audit), not to a quarter of the population."""
    rx = sm.antidiabetic_prescribing(m)
    assert 0.75 * rx["diabetes"] <= rx["antidiabetic"] <= 1.05 * rx["diabetes"]


# ---- cost ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cost_by_ltc(m):
    return sm.cost_by_ltc(m)


@pytest.mark.parametrize(("ltc", "cost"), [(0, 1000), (1, 3000), (3, 8000)])
def test_mean_annual_cost_by_number_of_ltcs(cost_by_ltc, ltc, cost):
    assert near(cost_by_ltc[ltc], cost, 0.35)


def test_cost_rises_with_each_ltc(cost_by_ltc):
    assert cost_by_ltc.is_monotonic_increasing


def test_ltc_count_explains_cost_more_than_age(m):
    r2 = sm.r_squared(m)
    assert r2["ltc_count"] > r2["age_band"]


@pytest.fixture(scope="session")
def concentration(m):
    return sm.concentration(m)


def test_top_five_percent_account_for_40_to_60_percent_of_cost(concentration):
    assert 0.40 <= concentration["top5_share"] <= 0.60


def test_people_with_ltcs_account_for_65_to_85_percent_of_cost(concentration):
    """DH: people with long-term conditions account for about 70% of health and care spend, when
    about 30% of people were counted as having one (15 million in England, 2007; seed 002). With
    Barnett's 40 conditions 42% of people have one (test above), so their share is higher:
    the range is recalibrated from 60-75% (issue 9)."""
    assert 0.65 <= concentration["ltc_cost_share"] <= 0.85


def test_people_with_ltcs_account_for_most_bed_days(concentration):
    """Hospital bed days (acute, community, mental health and hospice); care-home days are
    almost all people with LTCs and are reported separately. Seed 002: 77% of in-patient bed days
    for the 30% of people counted as having an LTC in 2007; with Barnett's 40 conditions (42% of
    people, nearly everyone over 75) the share is higher: recalibrated from 60-80% (issue 9)."""
    assert 0.70 <= concentration["ltc_bed_day_share"] <= 0.90


@pytest.mark.parametrize("many", [3, 5])
def test_excess_cost_with_more_ltcs_is_mostly_non_elective(m, many):
    """Kent (004 §5.6): the extra cost of multimorbidity is mostly non-elective care - by a clear
    margin over the next setting, not as the largest of twelve slices."""
    excess = sm.excess_by_setting(m, many=many)
    assert excess.index[0] == "acute_non_elective"
    assert excess.iloc[0] >= 1.3 * excess.iloc[1]


def test_last_year_of_life_cost_rises_sharply(m):
    by_month = sm.last_year_of_life(m)
    assert by_month.loc[[0, 1, 2]].mean() > 1.5 * by_month.loc[[9, 10, 11]].mean()


def test_places_of_death(pop):
    place = pop.person["place_of_death"].cast("string").drop_null().to_pandas()
    share = place.value_counts(normalize=True)
    assert 0.35 <= share["hospital"] <= 0.55
    assert 0.15 <= share["home"] <= 0.40
    assert 0.10 <= share["care_home"] <= 0.30
    assert share["hospice"] > 0.01


# ---- coding ----------------------------------------------------------------------------------------
def test_conditions_can_be_found_from_gp_codes(pop):
    truth = pop.truth_condition.to_pandas()
    coded = pop.coded_event.to_pandas()
    gp = coded[coded.source.astype(str) == "gp_events"]
    pairs = set(zip(gp.person_idx, gp.event_date, strict=True))
    recorded = truth[truth.gp_recorded]
    hit = [(p, d) in pairs for p, d in zip(recorded.person_idx, recorded.onset_date, strict=True)]
    assert np.mean(hit) == 1.0
    assert 0.9 < truth.gp_recorded.mean() < 1.0


def test_hospital_spells_carry_primary_and_secondary_icd10(pop):
    act = pop.activity.to_pandas()
    spells = act[act.source.astype(str) == "hes_apc"]
    assert spells.primary_code.notna().all()
    assert (spells.primary_code_system.astype(str) == "ICD10").all()
    coded = pop.coded_event.to_pandas()
    per_spell = coded[coded.source.astype(str) == "hes_apc"].groupby("activity_id").size()
    assert per_spell.reindex(spells.activity_id, fill_value=0).min() >= 1
    assert per_spell.mean() > 1.5


def test_emergency_admissions_of_people_with_copd_are_often_for_copd(pop):
    from yearofcare.synth.params import read_csv

    copd = {r["code"] for r in read_csv("condition_codes.csv") if r["condition_id"] == "copd"}
    truth = pop.truth_condition.to_pandas()
    who = set(truth.person_idx[truth.condition_id.astype(str) == "copd"])
    act = pop.activity.to_pandas()
    ne = act[(act.service_type.astype(str) == "emergency") & act.person_idx.isin(who)]
    assert ne.primary_code.astype(str).isin(copd).mean() > 0.2


# ---- assessments and LTC6 ---------------------------------------------------------------------------
def test_assessments_sample_people_with_ltcs(pop):
    a = pop.assessment.to_pandas()
    truth = pop.truth_condition.to_pandas()
    assert len(a) > 1000
    assert a.person_idx.isin(truth.person_idx).all()
    levels = a.assessed_level.astype(str).value_counts(normalize=True)
    assert set(levels.index) == set(vocab.NEED_LEVELS)
    for d in vocab.DST_DOMAINS:
        assert a[f"dst_{d}"].between(0, 5).all() and a[f"dst_{d}"].max() >= 2, d


def test_upcoding_assessors_can_be_found(pop):
    from yearofcare.synth.params import load

    matrix = load().assessment.matrix
    a = pop.assessment.to_pandas()
    a = a[a.assessed_level.astype(str) != "End of life"]
    implied = [
        matrix[f - 1][c - 1] for f, c in zip(a.functional_need, a.health_complexity, strict=True)
    ]
    order = {v: i for i, v in enumerate(vocab.NEED_LEVELS)}
    above = a.assessed_level.astype(str).map(order) > pd.Series(implied, index=a.index).map(order)
    rate = above.groupby(a.assessor_id.astype(str)).mean()
    truth = pop.truth_assessor.to_pandas().set_index("assessor_id").upcoder
    flagged = set(rate[rate > 0.3].index)
    assert flagged == set(truth[truth].index)
    assert truth.any()


def test_ltc6_answers_are_better_for_lower_need(pop, m):
    s = pop.survey_response.to_pandas()
    assert len(s) > 1000
    score = s[[f"q{i}" for i in range(1, 7)]].mean(axis=1)
    ltc = (
        m.q(
            """SELECT r.response_id, count(*) AS n FROM survey_response r JOIN conds c
             ON c.person_idx = r.person_idx AND c.onset_date <= r.response_date
            AND (c.resolved_date IS NULL OR c.resolved_date > r.response_date)
           GROUP BY 1"""
        )
        .set_index("response_id")
        .n
    )
    n = s.response_id.map(ltc).fillna(0)
    assert (n >= 1).all()
    assert score[n == 1].mean() > score[n >= 4].mean() + 0.3
    assert s[[f"q{i}" for i in range(1, 7)]].isna().mean().mean() < 0.1
