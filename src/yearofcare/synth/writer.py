"""Writing a synthetic population into the store, with pseudonyms in place of NHS numbers.

The synthetic NHS numbers are pseudonymised with the linkage key exactly as real extracts are at
ingest, so the store looks like one built from real data: it never holds an NHS number. All
tables are written in one stage, so a failure leaves the store as it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from yearofcare.config import paths
from yearofcare.linkage.pseudonym import create_key, load_key, pseudonymise
from yearofcare.progress import SILENT, Progress
from yearofcare.store import Store
from yearofcare.synth.generate import SynthPopulation, generate
from yearofcare.synth.params import SynthParams

STAGE = "synth"

#: Tables written, in order: canonical tables, then the ground truth.
TABLES: tuple[tuple[str, str], ...] = (
    ("person", "person"),
    ("practice", "practice"),
    ("registration", "registration"),
    ("activity", "activity"),
    ("coded_event", "coded_event"),
    ("assessment", "assessment"),
    ("survey_response", "survey_response"),
    ("synth_condition", "truth_condition"),
    ("synth_assessor", "truth_assessor"),
    ("service_enrolment", "service_enrolment"),
    ("synth_service", "truth_service"),
)


def default_key_path(data_dir: Path) -> Path:
    """The linkage key lives beside the data directory, never inside it (config.paths)."""
    return paths.key_file(data_dir)


def linkage_key(key_file: Path | None, data_dir: Path) -> tuple[bytes, Path, bool]:
    """Load the linkage key, creating it first when it does not exist.

    Returns (key, path, created). Raises ConfigError when the key is inside the store or
    unreadable.
    """
    path = Path(key_file) if key_file is not None else default_key_path(data_dir)
    created = False
    if not path.exists():
        _refuse_key_in_store(path, data_dir)
        create_key(path)
        created = True
    return load_key(path, store_dir=data_dir), path, created


def _refuse_key_in_store(path: Path, data_dir: Path) -> None:
    """Refuse to create a key inside the store (load_key would refuse to read it)."""
    if Path(data_dir).resolve() in path.resolve().parents:
        # load_key raises the clear ConfigError for this case; call it to reuse the message
        load_key(path, store_dir=data_dir)


def with_person_id(table: pa.Table, person_id: pa.Array) -> pa.Table:
    """Replace `person_idx` by `person_id` (dictionary-encoded on the pseudonyms)."""
    idx = table.column("person_idx").combine_chunks()
    ids = pa.DictionaryArray.from_arrays(idx.cast(pa.int32()), person_id)
    pos = table.schema.get_field_index("person_idx")
    return table.set_column(pos, "person_id", ids)


def write(
    store: Store, population: SynthPopulation, key: bytes, progress: Progress = SILENT
) -> dict[str, int]:
    """Write every table of `population` into `store` in one stage; returns row counts."""
    person = population.person
    order = np.asarray(person.column("person_idx"))
    if not np.array_equal(order, np.arange(len(order))):
        raise ValueError("person.person_idx must be the row number of each person")
    params = population.params.model_dump()
    with (
        progress.task("Writing tables", total=len(TABLES) + 1) as task,
        store.engine.bulk_writes(),
        store.stage(STAGE, params) as run,
    ):
        person_id = pseudonymise(person.column("nhs_number"), key)
        task.advance(1)
        for name, attr in TABLES:
            table = getattr(population, attr)
            if table is None:
                continue
            if name == "person":
                table = table.drop_columns(["nhs_number"])
            if "person_idx" in table.column_names:
                table = with_person_id(table, person_id)
            run.write(name, table)
            task.advance(1)
        counts = dict(run.output_rows)
    return counts


def run_synth(
    store: Store, params: SynthParams, key: bytes, progress: Progress = SILENT
) -> dict[str, int]:
    """Generate a population and write it (what `yoc synth` does)."""
    return write(store, generate(params, progress=progress), key, progress)
