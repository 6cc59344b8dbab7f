"""Probabilistic linkage of records without a usable NHS number, with Splink (DuckDB backend).

Inside the trusted ingest step every date of birth and postcode became keyed hashes (full date,
day-and-month, full postcode, sector, district; see `link_key`). Here people who were not
identified by a valid NHS number (`person.linked` false) are compared with spine people on those
hashes, year and month of birth and sex, using a Fellegi–Sunter model (Splink 5):

- date of birth: exact → same year and month (day differs) → same day and month (year differs)
  → same year → different;
- postcode: exact → same sector → same district → different;
- sex: same → different (unknown is a null level).

m and u probabilities start from documented priors; with at least `min_train` people on each
side, u is estimated by random sampling and m by expectation maximisation (blocked on date of
birth, then on postcode), and the model's parameters are stored with the run. Candidate pairs
above probability 0.5 go to `link_candidate`; the best candidate of an unlinked person is
accepted when its probability reaches the threshold and no other spine person does too
(otherwise it is reported as ambiguous, never guessed). Match rates go to `link_summary`.
With `apply`, accepted people's rows (activity, coded events, assessments, survey responses,
person observations) take the spine person's pseudonym, and `person` is rebuilt.

The comparison runs on bounded data pulled out of the store as Arrow (one row per person and
identifier combination), in a private DuckDB — not relational work on the store's engine.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import ClassVar

import ibis
import pandas as pd
import pyarrow as pa
from pydantic import Field

from yearofcare import schemas
from yearofcare.config import ConfigModel
from yearofcare.errors import StageError
from yearofcare.ingest.tables import PREFIX, SHADOWED
from yearofcare.linkage import spine
from yearofcare.progress import SILENT, Progress

#: Tables whose person_id is rewritten when accepted links are applied.
RELINK_TABLES = ("activity", "coded_event", "assessment", "survey_response", "ingest_person")
KEY_COLUMNS = (
    "sex",
    "birth_year",
    "birth_month",
    "dob_hash",
    "dob_md_hash",
    "postcode_hash",
    "sector_hash",
    "district_hash",
)
CANDIDATE_FLOOR = 0.5


class LinkOptions(ConfigModel):
    """What `yoc link` does: accept pairs scoring at least `threshold`, optionally apply them."""

    config_name: ClassVar[str] = "linkage settings"
    config_hint: ClassVar[str | None] = "see `yoc link --help`"

    threshold: float = Field(
        0.95, gt=0, le=1, description="Match probability needed to accept a link (0-1]."
    )
    apply: bool = Field(False, description="Give accepted links' records the spine person.")
    min_train: int = Field(
        1000, ge=1, description="Fewest candidate pairs for which the model is trained."
    )
    seed: int = Field(20261123, ge=0, description="Seed of the training sample.")


def _level(sql: str, label: str, m: float, u: float) -> dict:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


def _null(sql: str) -> dict:
    return {"sql_condition": sql, "label_for_charts": "null", "is_null_level": True}


def settings(prior: float) -> dict:
    """The Splink settings (comparisons with prior m/u probabilities)."""
    from splink import block_on

    dob = {
        "output_column_name": "dob",
        "comparison_levels": [
            _null('"birth_year_l" IS NULL OR "birth_year_r" IS NULL'),
            _level('"dob_hash_l" = "dob_hash_r"', "exact date of birth", 0.90, 3e-5),
            _level(
                '"birth_year_l" = "birth_year_r" AND "birth_month_l" = "birth_month_r"',
                "same year and month",
                0.04,
                1e-3,
            ),
            _level('"dob_md_hash_l" = "dob_md_hash_r"', "same day and month", 0.02, 3e-3),
            _level('"birth_year_l" = "birth_year_r"', "same year", 0.02, 1e-2),
            _level("ELSE", "different", 0.02, 0.986),
        ],
    }
    postcode = {
        "output_column_name": "postcode",
        "comparison_levels": [
            _null('"district_hash_l" IS NULL OR "district_hash_r" IS NULL'),
            _level('"postcode_hash_l" = "postcode_hash_r"', "exact postcode", 0.85, 1e-4),
            _level('"sector_hash_l" = "sector_hash_r"', "same sector", 0.07, 1e-3),
            _level('"district_hash_l" = "district_hash_r"', "same district", 0.03, 1e-2),
            _level("ELSE", "different", 0.05, 0.989),
        ],
    }
    sex = {
        "output_column_name": "sex",
        "comparison_levels": [
            _null('"sex_l" IS NULL OR "sex_r" IS NULL OR "sex_l" = \'U\' OR "sex_r" = \'U\''),
            _level('"sex_l" = "sex_r"', "same sex", 0.98, 0.5),
            _level("ELSE", "different", 0.02, 0.5),
        ],
    }
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": [dob, postcode, sex],
        "blocking_rules_to_generate_predictions": [
            block_on("dob_hash"),
            block_on("postcode_hash"),
            block_on("sector_hash", "birth_year"),
            block_on("district_hash", "dob_md_hash"),
        ],
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": ["person_id"],
    }


def _frames(store, table=None) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    if not store.exists("link_key") or not store.exists("person"):
        raise StageError(
            "there are no linkage keys to compare",
            hint="ingest sources that carry date of birth or postcode (e.g. gp_registrations) "
            "first",
        )
    table = table or store.table
    keys = table("link_key")
    person = table("person")
    unlinked_people = person.filter(~person.linked.fill_null(False)).select("person_id")
    left = keys.semi_join(unlinked_people, "person_id").select("person_id", *KEY_COLUMNS)
    right = keys.filter(keys.linked).select("person_id", *KEY_COLUMNS)
    # a fixed order (every column: the rows are distinct), so the unique ids Splink samples and
    # trains on do not depend on the order the engine returns rows in
    left_df = store.to_pandas(left.distinct().order_by(["person_id", *KEY_COLUMNS]))
    right_df = store.to_pandas(right.distinct().order_by(["person_id", *KEY_COLUMNS]))
    n_unlinked = int(unlinked_people.count().execute())
    for df in (left_df, right_df):
        df.insert(0, "unique_id", range(len(df)))
    return left_df, right_df, n_unlinked


def _score(left: pd.DataFrame, right: pd.DataFrame, opts: LinkOptions) -> tuple[pd.DataFrame, dict]:
    from splink import DuckDBAPI, Linker, block_on

    prior = min(0.5, 1.0 / max(len(right), 1))
    db = DuckDBAPI()
    frames = [db.register(left, table_name="unlinked"), db.register(right, table_name="spine")]
    linker = Linker(frames, settings(prior), log_level=None)
    trained = len(left) >= opts.min_train and len(right) >= opts.min_train
    if trained:
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=opts.seed)
        for rule in (block_on("dob_hash"), block_on("postcode_hash")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
    pairs = linker.inference.predict(
        threshold_match_probability=CANDIDATE_FLOOR
    ).as_pandas_dataframe()
    saved = linker.misc.save_model_to_json()
    saved.pop("linker_uid", None)  # a random id of this Linker object: not part of the model
    model = {"trained": trained, "prior": prior, "settings": saved}
    return pairs, model


def _decide(pairs: pd.DataFrame, left: pd.DataFrame, right: pd.DataFrame, threshold: float):
    if pairs.empty:
        return pd.DataFrame(
            columns=[
                "unlinked_person_id",
                "person_id",
                "match_probability",
                "match_weight",
                "rank",
                "accepted",
                "reason",
            ]
        )
    lmap = left.set_index("unique_id")["person_id"]
    rmap = right.set_index("unique_id")["person_id"]
    left_first = (pairs["source_dataset_l"] == "unlinked") if "source_dataset_l" in pairs else True
    uid_l = pairs["unique_id_l"].where(left_first, pairs["unique_id_r"])
    uid_r = pairs["unique_id_r"].where(left_first, pairs["unique_id_l"])
    c = pd.DataFrame(
        {
            "unlinked_person_id": uid_l.map(lmap).to_numpy(),
            "person_id": uid_r.map(rmap).to_numpy(),
            "match_probability": pairs["match_probability"].to_numpy(),
            "match_weight": pairs["match_weight"].to_numpy(),
        }
    )
    c = c.sort_values(
        ["match_probability", "unlinked_person_id", "person_id"],
        ascending=[False, True, True],
        kind="stable",
    ).drop_duplicates(["unlinked_person_id", "person_id"])
    c["rank"] = c.groupby("unlinked_person_id").cumcount() + 1
    above = c[c.match_probability >= threshold].groupby("unlinked_person_id").size()
    ambiguous = set(above[above > 1].index)
    best = c["rank"] == 1
    c["accepted"] = (
        best & (c.match_probability >= threshold) & ~c.unlinked_person_id.isin(ambiguous)
    )
    c["reason"] = "lower rank"
    c.loc[best, "reason"] = "below threshold"
    c.loc[best & c.unlinked_person_id.isin(ambiguous), "reason"] = "ambiguous"
    c.loc[c.accepted, "reason"] = "accepted"
    return c


def fingerprint(left: pd.DataFrame, right: pd.DataFrame, opts: LinkOptions) -> str:
    """What a link run compares (both sides' keys, whatever their order) and its settings."""
    from yearofcare.checksum import table_checksum

    sides = [table_checksum(df.drop(columns="unique_id", errors="ignore")) for df in (left, right)]
    return json.dumps([sides, opts.model_dump(mode="json")], sort_keys=True)


def _up_to_date(store, fp: str) -> dict | None:
    """The summary of the latest link run if it left the store exactly as it is now, with the
    same settings: linking again would only retrain on what it left unmatched."""
    last = store.latest_run("link")
    if last is None or not store.exists("link_summary"):
        return None
    left_as = json.loads(last.parameters or "{}").get("leaves")
    if left_as != fp:
        return None
    s = store.table("link_summary")
    rows = store.to_pandas(s.order_by(s.run_at.desc()).limit(1))
    return None if rows.empty else {**rows.iloc[0].to_dict(), "up_to_date": True}


def run_link(store, opts: LinkOptions, progress: Progress = SILENT) -> dict:
    """Score, decide and (with `apply`) relink; returns the `link_summary` row.

    The same inputs and settings give the same store: when nothing has changed since the
    latest link run (the keys it would compare are those that run left, the settings are
    the same), the run links nothing again and returns that run's summary
    (`up_to_date` in the run log). Otherwise a second pass over the people the first left
    unmatched would retrain the model on them and match some of them.
    """
    logging.getLogger("splink").setLevel(logging.ERROR)  # untrained levels keep their priors
    params = {"threshold": opts.threshold, "apply": opts.apply}
    with store.stage("link", params) as run:
        with progress.task("comparing unlinked people with the spine", None):
            left, right, n_unlinked = _frames(store)
            fp = fingerprint(left, right, opts)
            previous = _up_to_date(store, fp)
            if previous is not None:
                run.parameters.update(up_to_date=True, leaves=fp)
                return previous
            if len(left) and len(right):
                pairs, model = _score(left, right, opts)
            else:
                pairs, model = pd.DataFrame(), {"trained": False, "note": "nothing to compare"}
            cands = _decide(pairs, left, right, opts.threshold)
        link_run_id = run.run_id
        cand_table = (
            pa.Table.from_pandas(
                cands.assign(link_run_id=link_run_id, rank=cands["rank"].astype("int16")),
                preserve_index=False,
            )
            if len(cands)
            else None
        )
        accepted = cands[cands.accepted] if len(cands) else cands
        relinked = 0
        if cand_table is not None:
            run.write("link_candidate", ibis.memtable(cand_table))
        if opts.apply and len(accepted):
            relinked = _apply(store, run, accepted)
        people_unlinked = int(left.person_id.nunique()) if len(left) else 0
        summary = {
            "link_run_id": link_run_id,
            "run_at": datetime.now(UTC).replace(tzinfo=None),
            "threshold": opts.threshold,
            "applied": bool(opts.apply),
            "unlinked_people": people_unlinked,
            "unlinked_without_keys": max(n_unlinked - people_unlinked, 0),
            "spine_people": int(right.person_id.nunique()) if len(right) else 0,
            "candidate_pairs": len(pairs),
            "people_with_candidate": int(cands.unlinked_person_id.nunique()) if len(cands) else 0,
            "people_accepted": len(accepted),
            "people_ambiguous": int((cands.reason == "ambiguous").sum()) if len(cands) else 0,
            "rows_relinked": int(relinked),
            "match_rate": (len(accepted) / people_unlinked) if people_unlinked else 0.0,
            "model": json.dumps(model, default=str),
        }
        declared = schemas.get("link_summary")
        new = ibis.memtable(pa.Table.from_pylist([summary], declared.ibis_schema().to_pyarrow()))
        old = [store.table("link_summary")] if store.exists("link_summary") else []
        run.write("link_summary", ibis.union(*old, new) if old else new)
        run.parameters["summary"] = {k: v for k, v in summary.items() if k != "model"}
        if relinked or (opts.apply and len(accepted)):
            left, right, _ = _frames(store, _staged(store, run))
        run.parameters["leaves"] = fingerprint(left, right, opts)
    return summary


def _staged(store, run):
    """Read a table as this run will leave it."""

    def table(name: str) -> ibis.Table:
        try:
            return run.staged(name)
        except StageError:
            return store.table(name)

    return table


def _apply(store, run, accepted: pd.DataFrame) -> int:
    """Give accepted people's rows the spine pseudonym; rebuild `person`. Returns rows moved."""
    mapping = ibis.memtable(
        pa.table(
            {
                "_from": pa.array(accepted.unlinked_person_id.tolist(), pa.string()),
                "_to": pa.array(accepted.person_id.tolist(), pa.string()),
            }
        )
    )
    moved = 0
    _count_per_load(store, run, mapping)
    for name in RELINK_TABLES:
        if not store.exists(name):
            continue
        t = store.table(name)
        j = t.left_join(mapping, t.person_id == mapping._from)
        moved += int(j.filter(j._to.notnull()).count().execute()) if name != "ingest_person" else 0
        cols = {c: (j._to.fill_null(j.person_id) if c == "person_id" else j[c]) for c in t.columns}
        run.write(name, j.select(**cols), conform=name != "ingest_person")
    _relink_registrations(store, run, mapping)
    if store.exists("link_key"):
        k = store.table("link_key")
        j = k.left_join(mapping, k.person_id == mapping._from)
        cols = {c: (j._to.fill_null(j.person_id) if c == "person_id" else j[c]) for c in k.columns}
        run.write("link_key", j.select(**cols))
    run.write("person", spine.build_person(run.staged("ingest_person")))
    return moved


def _relinked(t: ibis.Table, mapping: ibis.Table) -> ibis.Table:
    j = t.left_join(mapping, t.person_id == mapping._from)
    return j.select(
        **{c: (j._to.fill_null(j.person_id) if c == "person_id" else j[c]) for c in t.columns}
    )


def _relink_registrations(store, run, mapping: ibis.Table) -> None:
    """Registrations follow their person too, or a relinked person's registered years would
    be left under a pseudonym with no `person` row (sex and age unknown in person_year).

    The shadow (`ingest_registration`) is relinked and `registration` rebuilt from it as ingest
    does, so a spell now held twice under the spine person is kept once.
    """
    if store.exists("ingest_registration") and store.exists("ingest_load"):
        run.write("ingest_registration", _relinked(store.table("ingest_registration"), mapping))
        loads = store.table("ingest_load")
        loads = loads.select("load_id", loaded_at=loads.loaded_at.cast("timestamp"))
        key = SHADOWED["registration"]
        current = spine.latest_per_key(run.staged("ingest_registration"), key, loads)
        run.write("registration", current.select(*schemas.get("registration").names))
    elif store.exists("registration"):
        run.write("registration", _relinked(store.table("registration"), mapping))


def _count_per_load(store, run, mapping: ibis.Table) -> None:
    """Add each load's relinked activity rows to `ingest_load.rows_linked_probabilistic`."""
    if not (store.exists("activity") and store.exists("ingest_load")):
        return
    a = store.table("activity")
    moved = a.semi_join(mapping, a.person_id == mapping._from)
    per_load = moved.group_by(_lid=moved.activity_id.substr(0, PREFIX)).aggregate(_n=moved.count())
    loads = store.table("ingest_load")
    j = loads.left_join(per_load, loads.load_id == per_load._lid)
    cols = {c: j[c] for c in loads.columns}
    cols["rows_linked_probabilistic"] = (j.rows_linked_probabilistic + j._n.fill_null(0)).cast(
        "int64"
    )
    run.write("ingest_load", j.select(**cols))
