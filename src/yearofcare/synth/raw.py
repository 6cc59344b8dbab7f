"""`yoc synth --raw DIR`: the synthetic care economy written out as raw extracts, with defects.

Every source is written in the format `yoc ingest` reads for it (see `raw_formats`), one file
per financial year (`DIR/<format>/<format>_<2024-25>.csv`), GP registrations as one snapshot,
and what no national format covers (out of hours, third sector, hospice, assessments, LTC6
responses, the practice list) as canonical CSV under `DIR/canonical/`; a delayed-discharge audit
of emergency LTC stays (`raw_audit`). Defects are planted
(`raw_defects`) and counted per file per defect type in `DIR/defects.json`, which also says
where ingest will record each one, so quality checks can be tested against it.

`DIR/ingest_plan.json` lists the `yoc ingest` calls that load everything, in order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from yearofcare.fy import fy_label
from yearofcare.synth import raw_formats as fmt
from yearofcare.synth.raw_audit import delayed_discharge
from yearofcare.synth.raw_defects import DEFECTS, NO_DEFECTS, DefectRates, plant
from yearofcare.synth.raw_identity import raw_people

MANIFEST = "defects.json"
PLAN = "ingest_plan.json"
ORDER = (
    "gp_registrations",
    "canonical",
    "gp_events",
    "hes_apc",
    "hes_op",
    "ecds",
    "csds",
    "mhsds",
    "asc_cld",
    "prescribing",
    "ambulance",
    "delayed_discharge",
)
WHERE = {
    "missing_nhs_number": "ingest_load.nhs_number_missing",
    "invalid_nhs_number": "ingest_load.nhs_number_invalid",
    "duplicate": "ingest_load.rows_duplicate (ingest_reject reason duplicate)",
    "late": "ingest_load.rows_late",
    "blank_date": "ingest_reject reason missing_required on the date column",
    "unknown_code": "ingest_reject reason unknown_code or invalid_code on the code column",
}


def _tables(population, rng) -> list[fmt.RawTable]:
    people = raw_people(population.person)
    act, coded = population.activity, population.coded_event
    practice_of = fmt.main_practice(population)
    out = [
        fmt.gp_registrations(population, people),
        fmt.canonical_practice(population.practice),
        fmt.gp_events(population, people, practice_of),
        fmt.hes_apc(act, coded, people, rng),
        fmt.hes_op(act, people, rng),
        fmt.ecds(act, people, rng),
        fmt.contacts(act, coded, people, "csds"),
        fmt.contacts(act, coded, people, "mhsds"),
        fmt.asc_cld(act, people),
        fmt.prescribing(act, people),
        fmt.ambulance(act, people, rng),
    ]
    for source in ("ooh", "third_sector", "hospice"):
        out.append(fmt.canonical_activity(act, people, source))
    out.append(
        fmt.canonical_person_table(
            population.assessment,
            people,
            "assessment",
            "assessment_date",
            fmt.CodeDefect("assessed_level", "Extreme", "unknown_code", "corrected"),
        )
    )
    out.append(
        fmt.canonical_person_table(
            population.survey_response,
            people,
            "survey_response",
            "response_date",
            fmt.CodeDefect("survey", "LTC7", "unknown_code", "quarantined"),
        )
    )
    # last, with its own generator: the other extracts and their defects stay as they were
    out.append(delayed_discharge(act, people, np.random.default_rng([population.params.seed, 14])))
    return out


def _write_csv(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    pacsv.write_csv(table, path, write_options=options)


def write_raw(
    population,
    out_dir: Path,
    rng: np.random.Generator,
    defects: DefectRates | None = None,
) -> dict:
    """Write the raw extracts and the defect manifest; returns the manifest."""
    rates = defects if defects is not None else DefectRates()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = population.params
    last_fy = params.end_fy
    files: dict[str, dict] = {}
    plan: dict[str, list[str]] = {}
    for raw in _tables(population, rng):
        planted = plant(raw, rates, rng, last_fy, last_fy - params.years + 1)
        folder = raw.source
        if planted.file_fy is None:
            parts = [(f"{raw.stem}.csv", np.arange(planted.table.num_rows))]
        else:
            first_fy = last_fy - params.years + 1
            years = range(first_fy, last_fy + 1)
            parts = [
                (
                    f"{raw.stem}_{fy_label(fy).replace('/', '-')}.csv",
                    np.nonzero(planted.file_fy == fy)[0],
                )
                for fy in years
            ]
            # Records dated before the window (a GP record's diagnoses made years ago) go in a
            # history extract, as a GP system's first extract carries the patient's history.
            history = np.nonzero(planted.file_fy < first_fy)[0]
            if len(history):
                parts.insert(0, (f"{raw.stem}_history.csv", history))
        for name, rows in parts:
            rel = f"{folder}/{name}"
            table = planted.table.take(pa.array(rows, pa.int64()))
            _write_csv(table, out_dir / rel)
            kinds = planted.defect[rows]
            counts = {d: int((kinds == i).sum()) for i, d in enumerate(DEFECTS)}
            files[rel] = {
                "source": raw.source,
                "rows": len(rows),
                "defects": counts,
                "columns": {
                    "nhs_number": raw.nhs,
                    "date": raw.date,
                    "code": raw.code.column if raw.code else None,
                },
                "detail": planted.detail,
            }
            plan.setdefault(raw.source, []).append(rel)
    totals = {d: sum(f["defects"][d] for f in files.values()) for d in DEFECTS}
    manifest = {
        "generated_by": "yearofcare.synth.raw",
        "people": params.people,
        "years": params.years,
        "end_fy": params.end_fy,
        "seed": params.seed,
        "rates": rates.model_dump(),
        "where_ingest_records_each_defect": WHERE,
        "totals": totals,
        "files": files,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    steps = [{"source": s, "files": plan[s]} for s in ORDER if s in plan]
    (out_dir / PLAN).write_text(json.dumps(steps, indent=2) + "\n")
    return manifest


def synthesise_raw(params, out_dir: Path, progress=None, store_dir: Path | None = None) -> dict:
    """Generate the population of `params` and write it as raw extracts (for `yoc synth --raw`).

    Raw extracts carry NHS numbers, so they may not go inside the store's data directory.
    """
    from yearofcare.errors import ConfigError
    from yearofcare.progress import SILENT
    from yearofcare.synth.generate import generate

    out = Path(out_dir).resolve()
    if store_dir is not None and (
        out == Path(store_dir).resolve() or Path(store_dir).resolve() in out.parents
    ):
        raise ConfigError(
            f"--raw {out_dir} is inside the data directory {store_dir}",
            hint="raw extracts hold NHS numbers: write them outside the store",
        )

    population = generate(params, progress=progress or SILENT)
    return write_raw(population, out_dir, np.random.default_rng(params.seed))


__all__ = ["NO_DEFECTS", "DefectRates", "synthesise_raw", "write_raw"]
