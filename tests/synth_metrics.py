"""Realism measures of a synthetic population, computed with DuckDB on its Arrow tables.

Used by tests/test_synth_realism.py (each measure against its target) and by the calibration
notes in docs/performance.md. Definitions:

- registered at a date: a registration spell covers it;
- a person-year: a person registered on at least one day of a financial year; their cost is the
  cost of activity starting in that year, their LTC count the conditions active on their last
  registered day of the year (ground truth, `truth_condition`; registers such as palliative care
  are not conditions and are not counted);
- rates per 1,000: events starting in the window over registered person-years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from yearofcare.fy import fy_end, fy_start
from yearofcare.schemas.population import counted_condition_ids

QOF_DENOMINATOR_AGE = {"depression": 18, "diabetes": 17, "ckd": 18}
HOSPITAL_BED_SETTINGS = (
    "acute_non_elective",
    "acute_elective",
    "acute_day_case",
    "community",
    "mental_health",
    "hospice",
)
LONG_TERM_CARE = ("home_care", "residential_care", "nursing_care", "supported_living", "day_care")


@dataclass
class Measures:
    con: duckdb.DuckDBPyConnection
    first_fy: int
    end_fy: int

    @property
    def t0(self) -> date:
        return fy_start(self.first_fy)

    @property
    def t1(self) -> date:
        return fy_end(self.end_fy)

    def q(self, sql: str) -> pd.DataFrame:
        return self.con.sql(sql).df()


def connect(population) -> Measures:
    con = duckdb.connect()
    for name in (
        "person",
        "practice",
        "registration",
        "activity",
        "coded_event",
        "assessment",
        "survey_response",
        "truth_condition",
        "truth_assessor",
    ):
        con.register(name, getattr(population, name))
    p = population.params
    m = Measures(con, p.first_fy, p.end_fy)
    fys = ", ".join(
        f"({fy}, DATE '{fy_start(fy)}', DATE '{fy_end(fy)}')"
        for fy in range(p.first_fy, p.end_fy + 1)
    )
    con.execute(f"CREATE TEMP TABLE fys AS SELECT * FROM (VALUES {fys}) t(fy, fy_start, fy_end)")
    con.execute(
        """CREATE TEMP TABLE conds AS
           SELECT person_idx, CAST(condition_id AS VARCHAR) AS condition_id, onset_date,
                  resolved_date FROM truth_condition"""
    )
    counted = ", ".join(f"'{c}'" for c in counted_condition_ids())
    con.execute(f"CREATE TEMP TABLE ltcs AS SELECT * FROM conds WHERE condition_id IN ({counted})")
    # person-years: last registered day in each year
    con.execute(
        """CREATE TEMP TABLE py AS
           SELECT r.person_idx, f.fy,
                  max(least(coalesce(r.end_date, f.fy_end), f.fy_end)) AS last_day,
                  sum(date_diff('day', greatest(r.start_date, f.fy_start),
                                least(coalesce(r.end_date, f.fy_end), f.fy_end)) + 1) AS days
           FROM registration r JOIN fys f
             ON r.start_date <= f.fy_end AND coalesce(r.end_date, f.fy_end) >= f.fy_start
           GROUP BY 1, 2"""
    )
    con.execute(
        """CREATE TEMP TABLE py_ltc AS
           SELECT py.*, coalesce(n.ltc, 0) AS ltc,
                  date_diff('year', make_date(p.birth_year, p.birth_month, 1), py.last_day) AS age
           FROM py JOIN person p USING (person_idx)
           LEFT JOIN (SELECT py.person_idx, py.fy, count(*) AS ltc FROM py JOIN ltcs c
                        ON c.person_idx = py.person_idx AND c.onset_date <= py.last_day
                       AND (c.resolved_date IS NULL OR c.resolved_date > py.last_day)
                      GROUP BY 1, 2) n USING (person_idx, fy)"""
    )
    con.execute(
        """CREATE TEMP TABLE act AS
           SELECT a.*, CAST(a.setting AS VARCHAR) AS setting_s,
                  CAST(a.service_type AS VARCHAR) AS service_s, f.fy
           FROM activity a JOIN fys f ON a.start_date BETWEEN f.fy_start AND f.fy_end"""
    )
    con.execute(
        f"""CREATE TEMP TABLE py_cost AS
           SELECT y.*, coalesce(c.cost, 0) AS cost, coalesce(c.ne_cost, 0) AS ne_cost,
                  coalesce(c.bed_days, 0) AS bed_days
           FROM py_ltc y LEFT JOIN (
             SELECT person_idx, fy, sum(cost) AS cost,
                    sum(cost) FILTER (WHERE setting_s = 'acute_non_elective') AS ne_cost,
                    sum(bed_days) FILTER (WHERE setting_s IN {HOSPITAL_BED_SETTINGS!s}) AS bed_days
             FROM act GROUP BY 1, 2) c USING (person_idx, fy)"""
    )
    return m


def registered_at(m: Measures, when: date) -> pd.DataFrame:
    """People registered on `when`, with age that day and active condition count."""
    return m.q(
        f"""SELECT p.person_idx, CAST(p.sex AS VARCHAR) AS sex,
                   date_diff('year', make_date(p.birth_year, p.birth_month, 1), DATE '{when}') AS age
            FROM person p
            WHERE p.person_idx IN (SELECT person_idx FROM registration
                                   WHERE start_date <= DATE '{when}'
                                     AND coalesce(end_date, DATE '9999-01-01') >= DATE '{when}')"""
    )


def active_at(m: Measures, when: date) -> pd.DataFrame:
    return m.q(
        f"""SELECT person_idx, condition_id FROM conds
            WHERE onset_date <= DATE '{when}'
              AND (resolved_date IS NULL OR resolved_date > DATE '{when}')"""
    )


def age_structure(m: Measures) -> dict[str, float]:
    reg = registered_at(m, m.t1)
    bands = pd.cut(reg.age, [-1, 17, 64, 84, 200], labels=["0-17", "18-64", "65-84", "85+"])
    out = bands.value_counts(normalize=True).to_dict()
    out["female"] = float((reg.sex == "F").mean())
    return {str(k): float(v) for k, v in out.items()}


def prevalence(m: Measures) -> dict[str, float]:
    reg = registered_at(m, m.t1)
    act = active_at(m, m.t1)
    act = act[act.person_idx.isin(reg.person_idx)]
    age = reg.set_index("person_idx").age
    out = {}
    for cid in sorted(act.condition_id.unique()):
        min_age = QOF_DENOMINATOR_AGE.get(cid, 0)
        denom = age[age >= min_age]
        num = act[(act.condition_id == cid) & act.person_idx.isin(denom.index)]
        out[cid] = len(num) / len(denom)
    return out


def multimorbidity(m: Measures) -> dict[str, float]:
    """Shares of the registered population at the end of the window by LTC count (registers such
    as palliative care not counted), Barnett et al. 2012's measures among them."""
    reg = registered_at(m, m.t1)
    act = active_at(m, m.t1)
    act = act[act.person_idx.isin(reg.person_idx) & act.condition_id.isin(counted_condition_ids())]
    count = act.groupby("person_idx").size().reindex(reg.person_idx, fill_value=0)
    age = reg.set_index("person_idx").age
    out = {
        "any": float((count >= 1).mean()),
        "exactly_one": float((count == 1).mean()),
        "two_plus": float((count >= 2).mean()),
        "65+_two_plus": float((count[age >= 65] >= 2).mean()),
        "85+_two_plus": float((count[age >= 85] >= 2).mean()),
        "75+_three_plus": float((count[age >= 75] >= 3).mean()),
    }
    for cid in ("copd", "diabetes", "dementia"):
        who = act.person_idx[act.condition_id == cid]
        out[f"{cid}_alone"] = float((count.loc[who] == 1).mean())
    return out


def person_years(m: Measures) -> float:
    return float(m.q("SELECT sum(days) / 365.25 AS py FROM py").py.iloc[0])


def annual_rates(m: Measures) -> dict[str, float]:
    py = person_years(m)
    counts = m.q("SELECT setting_s, count(*) AS n FROM act GROUP BY 1").set_index("setting_s").n
    deaths = m.q(
        f"""SELECT count(*) AS n FROM person
            WHERE date_of_death BETWEEN DATE '{m.t0}' AND DATE '{m.t1}'"""
    ).n.iloc[0]
    care = m.q(
        f"""SELECT avg(n * 1000.0 / pop) AS rate FROM (
              SELECT fy, count(DISTINCT person_idx) AS n FROM act
              WHERE setting_s = 'social_care' AND service_s IN {LONG_TERM_CARE} GROUP BY 1) c
            JOIN (SELECT fy, sum(days) / 365.25 AS pop FROM py GROUP BY 1) p USING (fy)"""
    ).rate.iloc[0]
    return {
        "non_elective": 1000 * counts.get("acute_non_elective", 0) / py,
        "ae": 1000 * counts.get("ae", 0) / py,
        "outpatient": 1000 * counts.get("outpatient", 0) / py,
        "social_care_people": float(care),
        "deaths": 1000 * deaths / py,
    }


def winter_ratio(m: Measures) -> float:
    monthly = (
        m.q(
            """SELECT month(start_date) AS month, count(*) / count(DISTINCT year(start_date)) AS n
           FROM act WHERE setting_s = 'acute_non_elective' GROUP BY 1"""
        )
        .set_index("month")
        .n
    )
    return float(monthly.loc[[12, 1, 2]].mean() / monthly.loc[[6, 7, 8]].mean())


def cost_by_ltc(m: Measures) -> pd.Series:
    return (
        m.q("SELECT least(ltc, 5) AS ltc, avg(cost) AS cost FROM py_cost GROUP BY 1")
        .set_index("ltc")
        .cost.sort_index()
    )


def r_squared(m: Measures) -> dict[str, float]:
    d = m.q("SELECT cost, ltc, age FROM py_cost")
    total = ((d.cost - d.cost.mean()) ** 2).sum()
    slope, intercept = np.polyfit(d.ltc, d.cost, 1)
    r2_ltc = 1 - ((d.cost - (slope * d.ltc + intercept)) ** 2).sum() / total
    band = pd.cut(d.age, [-1, 17, 44, 64, 74, 84, 200])
    fitted = d.groupby(band, observed=True).cost.transform("mean")
    r2_age = 1 - ((d.cost - fitted) ** 2).sum() / total
    return {"ltc_count": float(r2_ltc), "age_band": float(r2_age)}


def concentration(m: Measures) -> dict[str, float]:
    d = m.q("SELECT cost, ltc, bed_days FROM py_cost")
    top = d.cost.sort_values(ascending=False)
    k = max(1, round(0.05 * len(top)))
    with_ltc = d.ltc >= 1
    return {
        "top5_share": float(top.iloc[:k].sum() / top.sum()),
        "ltc_cost_share": float(d.cost[with_ltc].sum() / d.cost.sum()),
        "ltc_bed_day_share": float(d.bed_days[with_ltc].sum() / d.bed_days.sum()),
    }


def excess_by_setting(m: Measures, many: int = 3) -> pd.Series:
    """Mean cost per person-year by setting, people with `many`+ LTCs minus people with none."""
    d = m.q(
        f"""SELECT s.setting_s, (sum(s.cost) FILTER (WHERE y.ltc >= {many}))
                    / (SELECT count(*) FROM py_ltc WHERE ltc >= {many})
                  - coalesce(sum(s.cost) FILTER (WHERE y.ltc = 0), 0)
                    / (SELECT count(*) FROM py_ltc WHERE ltc = 0) AS excess
            FROM act s JOIN py_ltc y USING (person_idx, fy) GROUP BY 1"""
    )
    return d.set_index("setting_s").excess.sort_values(ascending=False)


def unit_costs(m: Measures) -> pd.DataFrame:
    return m.q(
        """SELECT setting_s, count(*) AS n, avg(cost) AS mean_cost, avg(cost / units) AS per_unit
           FROM act GROUP BY 1 ORDER BY 1"""
    ).set_index("setting_s")


def last_year_of_life(m: Measures) -> pd.Series:
    """Mean cost per decedent by month before death (0 = final month), deaths in the last year
    of the window whose whole final year lies inside it."""
    return (
        m.q(
            f"""SELECT date_diff('month', a.start_date, p.date_of_death) AS months_before,
                   sum(a.cost) / (SELECT count(*) FROM person WHERE date_of_death
                        BETWEEN DATE '{m.t0}' + INTERVAL 1 YEAR AND DATE '{m.t1}') AS cost
            FROM act a JOIN person p USING (person_idx)
            WHERE p.date_of_death BETWEEN DATE '{m.t0}' + INTERVAL 1 YEAR AND DATE '{m.t1}'
              AND a.start_date > p.date_of_death - INTERVAL 1 YEAR
            GROUP BY 1 ORDER BY 1"""
        )
        .set_index("months_before")
        .cost
    )


#: length-of-stay bands (bed days) for spell cost by length of stay
LOS_BANDS = ((0, 1), (2, 4), (5, 9), (10, 10_000))


def hospital_mix(m: Measures) -> dict[str, float]:
    """Admissions per 1,000 person-years, spend by kind of admission, cheap emergency spells."""
    py = person_years(m)
    d = m.q(
        """SELECT setting_s, count(*) AS n, sum(cost) AS cost,
                  avg(CASE WHEN cost < 300 THEN 1 ELSE 0 END) AS under_300
           FROM act WHERE setting_s LIKE 'acute%' GROUP BY 1"""
    ).set_index("setting_s")
    return {
        "elective_per_1000": 1000 * d.n["acute_elective"] / py,
        "day_case_per_1000": 1000 * d.n["acute_day_case"] / py,
        "non_elective_per_1000": 1000 * d.n["acute_non_elective"] / py,
        "non_elective_spend": float(d.cost["acute_non_elective"]),
        "elective_and_day_case_spend": float(d.cost["acute_elective"] + d.cost["acute_day_case"]),
        "non_elective_under_300": float(d.under_300["acute_non_elective"]),
    }


def spell_cost_by_los(m: Measures, setting: str) -> pd.Series:
    """Mean cost of the setting's spells by length-of-stay band (bed days)."""
    band = " ".join(
        f"WHEN coalesce(bed_days, 0) BETWEEN {lo} AND {hi} THEN {i}"
        for i, (lo, hi) in enumerate(LOS_BANDS)
    )
    return (
        m.q(
            f"""SELECT CASE {band} END AS band, avg(cost) AS cost FROM act
                WHERE setting_s = '{setting}' AND service_s <> 'delivery' GROUP BY 1"""
        )
        .set_index("band")
        .cost.sort_index()
    )


def antidiabetic_prescribing(m: Measures) -> dict[str, float]:
    """People registered at the end of the window with an antidiabetic item (BNF 6.1.1 insulins,
    6.1.2 oral antidiabetics) in its last financial year, and people with diabetes (truth)."""
    reg = registered_at(m, m.t1)
    rx = m.q(
        f"""SELECT DISTINCT person_idx FROM act
            WHERE setting_s = 'prescribing' AND fy = {m.end_fy}
              AND (CAST(primary_code AS VARCHAR) LIKE '060101%'
                   OR CAST(primary_code AS VARCHAR) LIKE '060102%')"""
    )
    dia = active_at(m, m.t1)
    dia = dia[dia.condition_id == "diabetes"]
    return {
        "antidiabetic": float(reg.person_idx.isin(rx.person_idx).mean()),
        "diabetes": float(reg.person_idx.isin(dia.person_idx).mean()),
    }
