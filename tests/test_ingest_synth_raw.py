"""The synthetic economy as raw extracts: clean files round-trip; planted defects are counted
exactly; and no raw NHS number reaches the store, the run log or the command's output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.ingest_support import (
    make_key,
    raw_identifiers,
    scan_files,
    scan_store,
    scan_text,
    table,
)
from yearofcare.cli import main
from yearofcare.engine import connect
from yearofcare.ingest.plan import ingest_plan
from yearofcare.store import Store
from yearofcare.synth.generate import generate
from yearofcare.synth.params import SynthParams
from yearofcare.synth.raw import MANIFEST, NO_DEFECTS, write_raw

PEOPLE = 300


@pytest.fixture(scope="module")
def population():
    return generate(SynthParams(people=PEOPLE, years=2, seed=4))


@pytest.fixture(scope="module")
def clean(population, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    write_raw(population, root / "raw", np.random.default_rng(1), NO_DEFECTS)
    store = Store(connect("duckdb", root / "data"))
    ingest_plan(store, root / "raw", make_key(root))
    return store


@pytest.fixture(scope="module")
def defective(population, tmp_path_factory):
    """Raw extracts with defects, loaded through the command line (output captured)."""
    root = tmp_path_factory.mktemp("defective")
    manifest = write_raw(population, root / "raw", np.random.default_rng(2))
    key = make_key(root)
    return root, manifest, key


def test_clean_extracts_load_without_a_single_problem(clean):
    loads = table(clean, "ingest_load")
    assert (loads.rows_quarantined == 0).all()
    assert (loads.rows_corrected == 0).all()
    assert (loads.rows_read == loads.rows_loaded).all()
    assert not clean.exists("ingest_reject")


def test_clean_extracts_round_trip_the_activity(clean, population):
    got = table(clean, "activity").groupby("setting").size().to_dict()
    synth = population.activity.to_pandas()
    want = synth.groupby("setting", observed=True).size().to_dict()
    assert got == {k: v for k, v in want.items() if v}
    costed = ("ecds", "csds", "mhsds", "asc_cld", "gp_prescribing", "ambulance", "ooh")
    synth_cost = synth[synth.source.isin(costed)].groupby("setting", observed=True).cost.sum()
    ingested = table(clean, "activity").groupby("setting").cost.sum()
    for setting, cost in synth_cost.items():
        assert ingested[setting] == pytest.approx(cost, rel=1e-4), setting


def test_clean_extracts_round_trip_people_and_codes(clean, population):
    people = table(clean, "person")
    assert people.linked.all()
    registered = len(population.registration["person_idx"].unique())
    assert registered <= len(people) <= population.person.num_rows
    ce = population.coded_event.to_pandas()
    apc = ce[ce.source == "hes_apc"].drop_duplicates(["activity_id", "code"])
    events = table(clean, "coded_event")
    assert (events.source == "hes_apc").sum() == len(apc)
    assert not events.code.str.endswith("X").any()


def _defect_counts(store, manifest):
    loads = table(store, "ingest_load").set_index("file_name")
    rej = table(store, "ingest_reject")
    out = {}
    for rel, f in manifest["files"].items():
        name = Path(rel).name
        load, cols = loads.loc[name], f["columns"]
        r = rej[rej.file_name == name]
        out[rel] = {
            "missing_nhs_number": int(load.nhs_number_missing) if cols["nhs_number"] else 0,
            "invalid_nhs_number": int(load.nhs_number_invalid),
            "duplicate": int(load.rows_duplicate),
            "late": int(load.rows_late),
            "blank_date": r[
                (r.reason == "missing_required") & (r.column == cols["date"])
            ].row_number.nunique(),
            "unknown_code": r[
                r.reason.isin(["unknown_code", "invalid_code"]) & (r.column == cols["code"])
            ].row_number.nunique(),
        }
    return out


def test_defects_are_found_exactly_and_nothing_raw_is_stored(defective, capsys):
    root, manifest, key = defective
    data = root / "data"
    code = main(
        ["--data-dir", str(data), "ingest", "--plan", str(root / "raw"), "--key-file", str(key)]
    )
    assert code == 0
    printed = capsys.readouterr()
    store = Store(connect("duckdb", data))
    assert json.loads((root / "raw" / MANIFEST).read_text())["totals"] == manifest["totals"]
    assert all(v > 0 for v in manifest["totals"].values())
    want = {rel: f["defects"] for rel, f in manifest["files"].items()}
    assert _defect_counts(store, manifest) == want

    secrets = raw_identifiers(root / "raw")
    assert len(secrets["nhs"]) > PEOPLE
    found = scan_store(store, secrets)
    found |= scan_text(printed.out + printed.err, secrets)
    store.close()
    found |= scan_files(data, secrets)
    assert not found
