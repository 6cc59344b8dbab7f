"""The engine's limit for `yoc build`: person_year from hand-written DuckDB SQL (benchmark only).

`run(con)` makes the same person_year as `population.person_year.build` with the default
configuration (no block contracts, activity_costed not kept) from the canonical tables of a
DuckDB store, as a few hand-written statements, and writes it as the persistent table
`person_year_limit`:

1. the activity aggregate: one pass over activity, each row priced by a CASE over the unit
   costs where it has no cost, grouped by person × year with every count, cost and bed-day
   column as a filtered aggregate;
2. registrations clipped to each year: months registered as a bit mask OR-ed per person-year
   (`bit_or`, `bit_count`) and the 30 September practice by `arg_min` (no window);
3. conditions: coded events and BNF prescriptions, codes normalised, matched to the code list
   by one equi-join on (system, prefix length, prefix); summarised per person × condition ×
   year of event, paired with the built years, the rules applied; flags as one bit mask;
   LTC counts and the Cambridge score;
4. the Charlson categories the same way, the hierarchy, three weight sets;
5. one statement joining everything onto person × year and writing the table.

Reference data (unit costs, code list, Charlson mapping and weights, CMS weights) are loaded
with the toolkit's own loaders and enter the SQL as literals or small registered tables: the
data are the same, the query is written by hand. `compare(con)` checks the result against the
store's `person_year` (every column; money and bed days to 1e-6). Not a test; the SQL is text
on purpose: it is the reference the build is compared with, not code the toolkit runs.
"""

from __future__ import annotations

import time

import pandas as pd

from yearofcare import codes, schemas
from yearofcare.population.codelists import load_codelist
from yearofcare.population.config import PopulationConfig
from yearofcare.population.multimorbidity import CHARLSON_COLUMNS, load_charlson, load_cms
from yearofcare.population.prices import OPEN_LOS, load_unit_costs
from yearofcare.population.unit_rates import _rows
from yearofcare.schemas.population import AGE_BANDS, COST_GROUPS, UNKNOWN_AGE_BAND
from yearofcare.vocab import NON_EMERGENCY_ADMISSIONS

OUT = "person_year_limit"


def _lit(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "NULL"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return repr(float(v)) if isinstance(v, float) else str(v)


def _fy(col: str) -> str:
    return f"(CASE WHEN month({col}) >= 4 THEN year({col}) ELSE year({col}) - 1 END)"


def _price_sql(config: PopulationConfig) -> str:
    """The unit cost of a row: (base × units + excess bed days × excess price) × level(fy)."""
    uc = load_unit_costs(config.unit_costs, config.price_uplift)
    f = _rows(uc).sort_values("exact", ascending=False)
    whens = {"base": [], "trim": [], "xs": [], "type": []}
    for r in f.itertuples():
        c = f"setting = {_lit(r.setting)}"
        if r.exact:
            c += f" AND currency = {_lit(r.currency)}"
        if not (r.los_min <= 0 and r.los_max >= OPEN_LOS):
            c += f" AND coalesce(bed_days, 0.0) >= {float(r.los_min)!r}"
            c += f" AND coalesce(bed_days, 0.0) <= {float(r.los_max)!r}"
        whens["base"].append(f"WHEN {c} THEN {float(r.base)!r}")
        whens["trim"].append(
            f"WHEN {c} THEN {_lit(None if pd.isna(r.trim_days) else float(r.trim_days))}"
        )
        whens["xs"].append(
            f"WHEN {c} THEN {_lit(None if pd.isna(r.xs_base) else float(r.xs_base))}"
        )
        whens["type"].append(f"WHEN {c} THEN {_lit(r.unit_type)}")
    case = {k: "CASE " + " ".join(v) + " END" for k, v in whens.items()}
    levels = uc.uplift.levels
    if levels:
        (y0, l0), (_, ln) = levels[0], levels[-1]
        mid = " ".join(f"WHEN fy = {y} THEN {lv!r}" for y, lv in levels[1:-1])
        level = f"(CASE WHEN fy <= {y0} THEN {l0!r} {mid} ELSE {ln!r} END)"
    else:
        level = "1.0"
    return f"""
      SELECT person_id, fy, setting, service_type, start_date, bed_days, cost, units, unit_type,
             {case["base"]} AS uc_base, {case["trim"]} AS uc_trim, {case["xs"]} AS uc_xs,
             {case["type"]} AS uc_type, {level} AS uc_level
      FROM a"""


def _activity_sql(config: PopulationConfig, years: list[int]) -> str:
    groups = list(COST_GROUPS)
    grp = (
        "CASE "
        + " ".join(
            f"WHEN setting IN ({', '.join(_lit(s) for s in settings)}) THEN {i}"
            for i, settings in enumerate(COST_GROUPS.values())
        )
        + " ELSE -1 END"
    )
    acute = ", ".join(str(groups.index(g)) for g in ("non_elective", "elective", "day_case"))
    aggs = []
    for i, g in enumerate(groups):
        aggs.append(f"count(*) FILTER (WHERE grp = {i}) AS n_{g}")
        aggs.append(f"sum(cost) FILTER (WHERE grp = {i}) AS cost_{g}")
    non_em = ", ".join(_lit(s) for s in NON_EMERGENCY_ADMISSIONS)
    aggs += [
        "count(*) FILTER (WHERE setting = 'acute_non_elective' AND coalesce(service_type, '') "
        f"NOT IN ({non_em})) AS n_emergency",
        "sum(cost) AS cost_total",
        f"sum(bed_days) FILTER (WHERE grp IN ({acute})) AS bed_days_acute",
        f"sum(bed_days) FILTER (WHERE grp = {groups.index('community')}) AS bed_days_community",
        f"sum(bed_days) FILTER (WHERE grp = {groups.index('mental_health')}) "
        "AS bed_days_mental_health",
        f"sum(bed_days) FILTER (WHERE grp = {groups.index('social_care')}) AS care_home_days",
    ]
    return f"""
    CREATE OR REPLACE TEMP TABLE l_acts AS
    WITH a AS (
      SELECT person_id, CAST({_fy("start_date")} AS INTEGER) AS fy, setting, service_type,
             start_date, bed_days, cost, units, unit_type, currency
      FROM activity WHERE {_fy("start_date")} IN ({", ".join(map(str, years))})
    ), p AS ({_price_sql(config)}
    ), c AS (
      SELECT person_id, fy, setting, service_type, bed_days, {grp} AS grp,
        coalesce(cost, CASE WHEN uc_base IS NOT NULL
            AND (unit_type IS NULL OR unit_type = uc_type)
          THEN (uc_base * coalesce(units, 1.0)
                + CASE WHEN (CASE WHEN uc_trim IS NOT NULL
                                  THEN greatest(coalesce(bed_days, 0.0) - uc_trim, 0.0)
                                  ELSE 0.0 END) > 0
                       THEN greatest(coalesce(bed_days, 0.0) - uc_trim, 0.0) * uc_xs
                       ELSE 0.0 END) * uc_level END) AS cost
      FROM p
    )
    SELECT person_id, fy, {", ".join(aggs)} FROM c GROUP BY person_id, fy"""


def _registration_sql(years: list[int]) -> str:
    y = ", ".join(f"({fy})" for fy in years)
    return f"""
    CREATE OR REPLACE TEMP TABLE l_reg AS
    WITH y(fy) AS (VALUES {y}),
    r AS (
      SELECT r.person_id, r.practice_code, y.fy, r.start_date,
             greatest(r.start_date, make_date(y.fy, 4, 1)) AS s,
             least(coalesce(r.end_date, make_date(y.fy + 1, 3, 31)), make_date(y.fy + 1, 3, 31)) AS e,
             r.start_date <= make_date(y.fy, 9, 30)
               AND (r.end_date IS NULL OR r.end_date >= make_date(y.fy, 9, 30)) AS covers_mid
      FROM registration r JOIN y
        ON r.start_date <= make_date(y.fy + 1, 3, 31)
       AND (r.end_date IS NULL OR r.end_date >= make_date(y.fy, 4, 1))
    ), m AS (
      SELECT *, year(s) * 12 + month(s) - (fy * 12 + 4) AS m0,
             year(e) * 12 + month(e) - (fy * 12 + 4) AS m1, date_diff('day', s, e) AS days
      FROM r
    )
    SELECT person_id, fy,
      bit_count(bit_or(CASE WHEN m1 >= m0 AND m1 >= 0 AND m0 <= 11
          THEN ((1 << (least(m1, 11) + 1)) - (1 << greatest(m0, 0))) ELSE 0 END)) AS months_registered,
      arg_min(practice_code, struct_pack(a := NOT covers_mid, b := -days,
          c := -(start_date - DATE '1970-01-01'), d := practice_code)) AS practice_code
    FROM m GROUP BY person_id, fy"""


def _match(events: str, table: str, payload: str) -> str:
    """Events (person_id, event_date, code_system, norm, n) matched to `table` (code_system,
    key, key_len, payload; key_len -1 for exact systems): each event of a prefix system
    once per entry length of its system, then one equi-join."""
    prefix = ", ".join(_lit(s) for s in sorted(codes.PREFIX_SYSTEMS))
    return f"""
      SELECT e.person_id, e.event_date, e.n, {payload}
      FROM (SELECT e.*, left(e.norm, l.len) AS key, l.len AS key_len
            FROM {events} e
            JOIN (SELECT DISTINCT code_system, key_len AS len FROM {table} WHERE key_len > 0) l
              ON l.code_system = e.code_system
            UNION ALL
            SELECT e.*, e.norm AS key, -1 AS key_len FROM {events} e
            WHERE e.code_system NOT IN ({prefix})) e
      JOIN {table} c
        ON c.code_system = e.code_system AND c.key = e.key AND c.key_len = e.key_len"""


NORM = """CASE code_system
  WHEN 'ICD10' THEN (WITH_X)
  WHEN 'READ2' THEN left(trim(code), 5)
  WHEN 'BNF' THEN upper(trim(code))
  ELSE trim(code) END"""
ICD = "replace(replace(replace(upper(trim(code)), '.', ''), ' ', ''), '-', '')"


def _icd_norm() -> str:
    c = ICD
    for _ in range(2):
        c = f"(CASE WHEN length({c}) > 3 AND ends_with({c}, 'X') THEN left({c}, length({c}) - 1) ELSE {c} END)"
    return c


def _register(con, config: PopulationConfig) -> None:
    cl = load_codelist(config.codelist)
    f = cl.codes[["code_system", "code", "condition_id", "role", "rx"]].rename(
        columns={"code": "key"}
    )
    f = f.assign(key_len=f.key.str.len().astype("int32"))
    f.loc[~f.code_system.isin(codes.PREFIX_SYSTEMS), "key_len"] = -1
    con.register("l_codes_df", f)
    con.execute("CREATE OR REPLACE TEMP TABLE l_codes AS SELECT * FROM l_codes_df")
    con.unregister("l_codes_df")
    rules = cl.rules_frame()
    ids = [r.condition_id for r in cl.rules]
    rules = rules.assign(bit=[ids.index(c) for c in rules.condition_id])
    con.register("l_rules_df", rules)
    con.execute("CREATE OR REPLACE TEMP TABLE l_rules AS SELECT * FROM l_rules_df")
    con.unregister("l_rules_df")
    ch = load_charlson(config.charlson_mapping, config.charlson_weights).mapping
    ch = ch.rename(columns={"code": "key"}).assign(
        key_len=lambda d: d.key.str.len().astype("int32")
    )
    con.register("l_ch_df", ch)
    con.execute("CREATE OR REPLACE TEMP TABLE l_charlson AS SELECT * FROM l_ch_df")
    con.unregister("l_ch_df")


def _conditions_sql(config: PopulationConfig, years: list[int]) -> str:
    cl = load_codelist(config.codelist)
    ids = [r.condition_id for r in cl.rules]
    cms = load_cms(config.cms_weights)
    windows = dict(cms.windows)
    counted = [r for r in cl.rules if r.counted]
    phys = ", ".join(_lit(r.condition_id) for r in counted if r.group == "physical")
    ment = ", ".join(_lit(r.condition_id) for r in counted if r.group == "mental")
    y = ", ".join(f"({fy})" for fy in years)
    norm = NORM.replace("WITH_X", _icd_norm())

    def has(c: str) -> str:
        return f"((mask >> {ids.index(c)}) & 1 = 1)"

    terms = []
    win_aggs = []
    for i, (name, cms_ids, weight) in enumerate(cms.items):
        if name in windows:
            inl = ", ".join(_lit(c) for c in cms_ids)
            win_aggs.append(
                f"max(CASE WHEN condition_id IN ({inl}) AND {_fy('first_dx')} > fy - {windows[name]} "
                f"THEN 1 ELSE 0 END) AS cms_w{i}"
            )
            present = f"cms_w{i} = 1"
        else:
            present = " OR ".join(has(c) for c in cms_ids)
        terms.append(f"CASE WHEN {present} THEN {float(weight)!r} ELSE 0.0 END")
    flags = ", ".join(f"{has(c)} AS ltc_{c}" for c in ids)
    return f"""
    CREATE OR REPLACE TEMP TABLE l_flags AS
    WITH y(fy) AS (VALUES {y}),
    ev AS (
      SELECT person_id, event_date, code_system, {norm} AS norm, 1.0 AS n FROM coded_event
      UNION ALL
      SELECT person_id, start_date, 'BNF', upper(trim(primary_code)),
             CAST(greatest(coalesce(units, 1.0), 1.0) AS DOUBLE)
      FROM activity WHERE primary_code_system = 'BNF' AND primary_code IS NOT NULL
    ), matched AS ({_match("ev", "l_codes", "c.condition_id, c.role, c.rx")}
    ), yearly AS (
      SELECT person_id, condition_id, role, rx, CAST({_fy("event_date")} AS INTEGER) AS efy,
             min(event_date) AS first_date, max(event_date) AS last_date, sum(n) AS n
      FROM matched GROUP BY ALL
    ), as_of AS (
      SELECT t.*, y.fy, coalesce(CAST(r.lookback_years AS INTEGER), 10000) AS lookback
      FROM yearly t JOIN y ON t.efy <= y.fy JOIN l_rules r USING (condition_id)
    ), g AS (
      SELECT person_id, fy, condition_id,
        min(first_date) FILTER (WHERE role = 'diagnosis') AS first_dx,
        max(last_date) FILTER (WHERE role = 'diagnosis') AS last_dx,
        max(last_date) FILTER (WHERE role <> 'diagnosis') AS last_resolved,
        min(efy) FILTER (WHERE role = 'diagnosis') AS first_dx_fy,
        sum(n) FILTER (WHERE role = 'diagnosis' AND NOT rx AND efy > fy - lookback) AS codes_w,
        sum(n) FILTER (WHERE role = 'diagnosis' AND rx AND efy > fy - lookback) AS rx_w
      FROM as_of GROUP BY person_id, fy, condition_id
    ), st AS (
      SELECT g.person_id, g.fy, g.condition_id, g.first_dx, r.bit,
        CASE
          WHEN g.last_resolved IS NOT NULL AND g.last_resolved >= g.last_dx THEN 'resolved'
          WHEN CASE WHEN r.anchor_first
                    THEN g.first_dx_fy <= g.fy - coalesce(CAST(r.lookback_years AS INTEGER), 10000)
                    ELSE CAST(coalesce(g.codes_w, 0) + coalesce(g.rx_w, 0) AS INTEGER) = 0 END
            THEN 'outside_lookback'
          WHEN coalesce(g.codes_w, 0) = 0
               AND coalesce(g.rx_w, 0) < CAST(r.min_prescriptions AS INTEGER) THEN 'too_few_events'
          WHEN r.min_age IS NOT NULL AND (p.birth_year IS NULL OR
              (g.fy + 1 - p.birth_year - CASE WHEN coalesce(p.birth_month, 7) > 3 THEN 1 ELSE 0 END)
              < CAST(r.min_age AS INTEGER)) THEN 'below_min_age'
          ELSE 'active' END AS status
      FROM g JOIN l_rules r USING (condition_id) LEFT JOIN person p USING (person_id)
      WHERE g.first_dx IS NOT NULL
    ), held AS (SELECT * FROM st WHERE status = 'active'
    ), m AS (
      SELECT person_id, fy, sum(CAST(1 AS BIGINT) << bit) AS mask,
        {", ".join(win_aggs) + "," if win_aggs else ""}
        count(*) FILTER (WHERE condition_id IN ({phys}, {ment})) AS ltc_count,
        count(*) FILTER (WHERE condition_id IN ({phys})) AS physical_ltc_count,
        count(*) FILTER (WHERE condition_id IN ({ment})) AS mental_ltc_count
      FROM held GROUP BY person_id, fy
    )
    SELECT person_id, fy, {flags}, ltc_count, physical_ltc_count, mental_ltc_count,
           round(0 + {" + ".join(terms)}, 2) AS cms_score
    FROM m"""


def _charlson_sql(config: PopulationConfig, years: list[int]) -> str:
    spec = load_charlson(config.charlson_mapping, config.charlson_weights)
    y = ", ".join(f"({fy})" for fy in years)
    cats = list(spec.categories)
    present = {c: f"coalesce({c}, FALSE)" for c in cats}
    eff = dict(present)
    for sup, inf in spec.hierarchy:
        eff[inf] = f"({eff[inf]} AND NOT {present[sup]})"
    scores = []
    for col, ws in CHARLSON_COLUMNS.items():
        total = " + ".join(
            f"CASE WHEN {eff[c]} THEN {spec.weight(ws, c)!r} ELSE 0.0 END" for c in cats
        )
        scores.append(f"CAST(greatest(0 + {total}, 0.0) AS SMALLINT) AS {col}")
    look = (
        ""
        if config.charlson_lookback_years is None
        else (f" AND t.efy > y.fy - {int(config.charlson_lookback_years)}")
    )
    return f"""
    CREATE OR REPLACE TEMP TABLE l_charlson_scores AS
    WITH y(fy) AS (VALUES {y}),
    ev AS (
      SELECT person_id, event_date, code_system, {_icd_norm()} AS norm, 1.0 AS n
      FROM coded_event WHERE code_system = 'ICD10'
    ), matched AS ({_match("ev", "l_charlson", "c.category")}
    ), yearly AS (
      SELECT DISTINCT person_id, category, CAST({_fy("event_date")} AS INTEGER) AS efy
      FROM matched
    ), f AS (
      SELECT t.person_id, y.fy, {", ".join(f"bool_or(t.category = {_lit(c)}) AS {c}" for c in cats)}
      FROM yearly t JOIN y ON t.efy <= y.fy{look} GROUP BY t.person_id, y.fy
    )
    SELECT person_id, fy, {", ".join(scores)} FROM f"""


def _assemble_sql(config: PopulationConfig) -> str:
    cl = load_codelist(config.codelist)
    ids = [r.condition_id for r in cl.rules]
    declared = schemas.get("person_year")
    bands = " ".join(f"WHEN age >= {lo} AND age <= {hi} THEN {_lit(n)}" for n, lo, hi in AGE_BANDS)
    zero = (
        {f"n_{g}" for g in COST_GROUPS}
        | {f"cost_{g}" for g in COST_GROUPS}
        | {
            "n_emergency",
            "cost_total",
            "bed_days_acute",
            "bed_days_community",
            "bed_days_mental_health",
            "care_home_days",
            *CHARLSON_COLUMNS,
            "ltc_count",
            "physical_ltc_count",
            "mental_ltc_count",
            "cms_score",
        }
    )
    expr = {
        "age_band": f"CASE {bands} ELSE {_lit(UNKNOWN_AGE_BAND)} END",
        "sex": "coalesce(sex, 'U')",
        "months_registered": "coalesce(months_registered, 0)",
        "died_in_year": "coalesce(date_of_death IS NOT NULL AND date_of_death >= make_date(fy, 4, 1) "
        "AND date_of_death <= make_date(fy + 1, 3, 31), FALSE)",
        "last_year_of_life": "coalesce(date_of_death IS NOT NULL AND date_of_death >= "
        "make_date(fy, 4, 1) AND date_of_death <= make_date(fy + 1, 9, 30), FALSE)",
        **{f"ltc_{c}": f"coalesce(ltc_{c}, FALSE)" for c in ids},
        **{c: f"coalesce({c}, 0)" for c in zero},
    }
    types = declared.ibis_schema()
    cols = []
    for c in declared.names:
        sql_type = {
            "string": "VARCHAR",
            "int16": "SMALLINT",
            "int8": "TINYINT",
            "int32": "INTEGER",
            "float64": "DOUBLE",
            "boolean": "BOOLEAN",
            "date": "DATE",
        }[str(types[c]).removesuffix("!")]
        cols.append(f"CAST({expr.get(c, c)} AS {sql_type}) AS {c}")
    return f"""
    CREATE OR REPLACE TABLE {OUT} AS
    WITH base AS (
      SELECT person_id, fy FROM l_acts UNION SELECT person_id, fy FROM l_reg
    ), j AS (
      SELECT b.person_id, b.fy, p.sex, p.birth_year, p.birth_month, p.lsoa, p.imd_decile,
        p.date_of_death, r.months_registered, r.practice_code, pr.locality,
        CASE WHEN p.birth_year IS NULL THEN NULL ELSE greatest(b.fy - p.birth_year -
          CASE WHEN coalesce(p.birth_month, 7) > 9 THEN 1 ELSE 0 END, 0) END AS age,
        a.* EXCLUDE (person_id, fy), f.* EXCLUDE (person_id, fy), c.* EXCLUDE (person_id, fy)
      FROM base b
      LEFT JOIN person p ON p.person_id = b.person_id
      LEFT JOIN l_reg r ON r.person_id = b.person_id AND r.fy = b.fy
      LEFT JOIN practice pr ON pr.practice_code = r.practice_code
      LEFT JOIN l_acts a ON a.person_id = b.person_id AND a.fy = b.fy
      LEFT JOIN l_flags f ON f.person_id = b.person_id AND f.fy = b.fy
      LEFT JOIN l_charlson_scores c ON c.person_id = b.person_id AND c.fy = b.fy
    )
    SELECT {", ".join(cols)} FROM j"""


def years_of(con) -> list[int]:
    """Years with activity, plus registration start/end years inside that span (as build)."""
    act = [
        r[0] for r in con.execute(f"SELECT DISTINCT {_fy('start_date')} FROM activity").fetchall()
    ]
    act = sorted(int(y) for y in act if y is not None)
    reg = con.execute(
        f"SELECT {_fy('start_date')} FROM registration UNION "
        f"SELECT {_fy('end_date')} FROM registration WHERE end_date IS NOT NULL"
    ).fetchall()
    lo, hi = act[0], act[-1]
    return sorted(set(act) | {int(y) for (y,) in reg if y is not None and lo <= y <= hi})


def run(con, config: PopulationConfig | None = None) -> dict[str, float]:
    """Write person_year_limit with hand-written SQL; returns seconds per statement."""
    config = config or PopulationConfig()
    times: dict[str, float] = {}

    def step(label: str, sql: str) -> None:
        t = time.perf_counter()
        con.execute(sql)
        times[label] = time.perf_counter() - t

    t0 = time.perf_counter()
    years = years_of(con)
    _register(con, config)
    times["years and reference tables"] = time.perf_counter() - t0
    step("activity aggregate", _activity_sql(config, years))
    step("registrations", _registration_sql(years))
    step("conditions (flags, counts, CMS)", _conditions_sql(config, years))
    step("Charlson", _charlson_sql(config, years))
    step("assemble and write person_year", _assemble_sql(config))
    con.execute("CHECKPOINT")
    times["total"] = time.perf_counter() - t0
    for t in ("l_acts", "l_reg", "l_flags", "l_charlson_scores"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return times


def compare(con, other: str = "person_year") -> dict[str, int]:
    """Rows of each table missing from the other (floats compared to 1e-6)."""
    declared = schemas.get("person_year")
    types = declared.ibis_schema()
    cols = ", ".join(
        f"round({c}, 6) AS {c}" if str(types[c]).startswith("float") else c for c in declared.names
    )
    q = "SELECT count(*) FROM (SELECT {c} FROM {a} EXCEPT ALL SELECT {c} FROM {b})"
    return {
        "rows": con.execute(f"SELECT count(*) FROM {OUT}").fetchone()[0],
        f"{other} rows": con.execute(f"SELECT count(*) FROM {other}").fetchone()[0],
        f"in {other}, not in the limit": con.execute(q.format(c=cols, a=other, b=OUT)).fetchone()[
            0
        ],
        f"in the limit, not in {other}": con.execute(q.format(c=cols, a=OUT, b=other)).fetchone()[
            0
        ],
    }
