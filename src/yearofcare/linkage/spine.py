"""The person spine: everyone registered with a practice plus everyone seen in any source.

`person` is rebuilt after every ingest from `ingest_person` — what each current load says about
each person — so replacing or removing a load changes exactly what that load contributed. For
each attribute the most authoritative source wins (GP registrations rank 1, then the others by
their `rank`), ties going to the most recent record, then to the smallest value (so the same
loads always give the same person, whatever order the engine reads them in); `linked` is true
when any load identified the person by a valid NHS number (or our pseudonym of one).
"""

from __future__ import annotations

import ibis

_EPOCH_OFFSET = 1_000_000  # rank weight: larger than any day count since 1900


def _key(obs: ibis.Table) -> ibis.Value:
    """Smaller is better: rank first, then the most recent `last_seen`."""
    days = obs.last_seen.fill_null(ibis.date(1900, 1, 1)).delta(ibis.date(1900, 1, 1), unit="day")
    return obs["rank"].cast("int64") * _EPOCH_OFFSET - days.cast("int64")


def _best(value: ibis.Value, key: ibis.Value, where: ibis.BooleanValue) -> ibis.Value:
    """`value` of the row with the smallest `key` (`_key`), the smallest value among ties."""
    return value.argmin(ibis.struct({"k": key, "v": value}), where=where)


def build_person(obs: ibis.Table) -> ibis.Table:
    """The `person` table from current `ingest_person` rows."""
    obs = obs.mutate(_k=_key(obs))
    known_sex = obs.sex.notnull() & (obs.sex != "U")
    agg = obs.group_by("person_id").aggregate(
        sex=_best(obs.sex, obs._k, where=known_sex),
        birth_year=_best(obs.birth_year, obs._k, where=obs.birth_year.notnull()),
        birth_month=_best(
            obs.birth_month, obs._k, where=obs.birth_month.notnull() & obs.birth_year.notnull()
        ),
        lsoa=_best(obs.lsoa, obs._k, where=obs.lsoa.notnull()),
        imd_decile=_best(obs.imd_decile, obs._k, where=obs.imd_decile.notnull()),
        date_of_death=_best(obs.date_of_death, obs._k, where=obs.date_of_death.notnull()),
        place_of_death=_best(obs.place_of_death, obs._k, where=obs.date_of_death.notnull()),
        linked=obs.linked.any(),
    )
    return agg.select(
        "person_id",
        sex=agg.sex.fill_null("U"),
        birth_year=agg.birth_year,
        birth_month=agg.birth_month,
        lsoa=agg.lsoa,
        imd_decile=agg.imd_decile,
        date_of_death=agg.date_of_death,
        place_of_death=agg.place_of_death,
        linked=agg.linked.fill_null(False),
    )


def observations(rows: ibis.Table, load_id: str, source: str, rank: int) -> ibis.Table:
    """Collapse an adapter's per-row person facts to one row per person for one load."""
    r = rows.mutate(rank=ibis.literal(rank, "int8"))
    r = r.mutate(_k=_key(r))
    known_sex = r.sex.notnull() & (r.sex != "U")
    agg = r.group_by("person_id").aggregate(
        sex=_best(r.sex, r._k, where=known_sex),
        birth_year=_best(r.birth_year, r._k, where=r.birth_year.notnull()),
        birth_month=_best(r.birth_month, r._k, where=r.birth_month.notnull()),
        lsoa=_best(r.lsoa, r._k, where=r.lsoa.notnull()),
        imd_decile=_best(r.imd_decile, r._k, where=r.imd_decile.notnull()),
        date_of_death=r.date_of_death.min(),
        place_of_death=_best(r.place_of_death, r._k, where=r.date_of_death.notnull()),
        linked=r.linked.any(),
        last_seen=r.last_seen.max(),
    )
    return agg.select(
        load_id=ibis.literal(load_id),
        person_id=agg.person_id,
        source=ibis.literal(source),
        rank=ibis.literal(rank, "int8"),
        sex=agg.sex,
        birth_year=agg.birth_year,
        birth_month=agg.birth_month,
        lsoa=agg.lsoa,
        imd_decile=agg.imd_decile,
        date_of_death=agg.date_of_death,
        place_of_death=agg.place_of_death,
        linked=agg.linked,
        last_seen=agg.last_seen,
    )


def latest_per_key(rows: ibis.Table, key: list[str], loads: ibis.Table) -> ibis.Table:
    """One row per `key` among shadow rows, the most recently loaded winning."""
    j = rows.join(loads.select("load_id", "loaded_at"), "load_id")
    w = ibis.window(group_by=[j[k] for k in key], order_by=[ibis.desc(j.loaded_at), j.load_id])
    ranked = j.mutate(_n=ibis.row_number().over(w))
    return ranked.filter(ranked._n == 0).drop("_n", "loaded_at")
