"""Tables of `yoc quality`: Kent's three data-quality priorities as measures (004 §5.5).

1. linkage and standardisation — NHS number coverage and validity, linkage rate, duplicates;
2. profiling and gap analysis — completeness and validity of every column, code validity,
   months with little or no data, and triangulation of loaded costs against contract values;
3. monitoring over time — each load against the previous loads of its source (format and
   volume drift), timeliness, and findings a data provider can act on.

The tables hold exact record counts: they are bookkeeping for the analysts who run the
pipeline, like `ingest_load`. Counts of people and activity volumes are passed through
`yearofcare.disclosure` before anything leaves in a report. No table holds an identifier value.
"""

from __future__ import annotations

from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

PRODUCED_BY = "`yoc quality` (yearofcare.quality)"

#: Checks of `dq_drift`.
DRIFT_CHECKS: tuple[str, ...] = (
    "volume",
    "quarantine_rate",
    "nhs_valid_coverage",
    "linkage_rate",
    "column_added",
    "column_removed",
    "column_renamed",
    "column_emptied",
    "column_rejects",
    "mapping_changed",
    "delimiter_changed",
    "encoding_changed",
)

#: Kent's three priorities (004 §5.5), as the `priority` of a finding.
PRIORITIES: dict[int, str] = {
    1: "Data linkage and standardisation",
    2: "Quality profiling, gap analysis and triangulation",
    3: "Monitoring and consistency over time",
}

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


def _n(name: str, description: str, nullable: bool = False) -> C:
    return C(name, "int64", description, nullable=nullable, minimum=0)


def _rate(name: str, description: str) -> C:
    return C(name, "float64", description, minimum=0, maximum=1)


_LOAD = C("load_id", "string", "The load (see `ingest_load`).", nullable=False)
_SOURCE = C("source", "string", "Extract format, i.e. the supplier's feed.", nullable=False)
_FILE = C("file_name", "string", "File name as loaded.")
_FEED = C(
    "feed",
    "string",
    "The series of files compared over time: the source; for canonical files, the source and "
    "the file name without its period (canonical:activity_ooh).",
    nullable=False,
)

dq_load = table(
    "dq_load",
    "one row per file loaded (current and superseded)",
    "Every load's data quality: how its rows were accounted for, NHS number coverage and "
    "validity, linkage, duplicates, code validity and timeliness. Rates are fractions (0–1).",
    [
        _LOAD,
        _SOURCE,
        _FEED,
        C("extract_id", "string", "Identity of the extract (see `ingest_load`)."),
        _FILE,
        C("status", "string", "current or superseded.", allowed=("current", "superseded")),
        C("period_start", "date", "First day of the period the extract covers, if known."),
        C("period_end", "date", "Last day of the period the extract covers, if known."),
        C(
            "period_month",
            "date",
            "Month the load reports on: the first of the month of period_start, or of the day "
            "it was loaded when its period is unknown.",
            nullable=False,
        ),
        C("loaded_at", "timestamp", "When it was loaded (UTC).", nullable=False),
        C(
            "lag_days",
            "int64",
            "Timeliness: days from the end of its period to the day it was loaded (negative: "
            "loaded before the period ended).",
        ),
        _n("rows_read", "Data rows in the file."),
        _n("rows_loaded", "Rows accepted into the store."),
        _n("rows_quarantined", "Rows set aside with a reason."),
        _n("rows_corrected", "Loaded rows with a value blanked or normalised."),
        _n("rows_opted_out", "Rows removed under the national data opt-out."),
        _n("rows_duplicate", "Rows quarantined as duplicates of an earlier row of the file."),
        _n("rows_excluded", "Rows excluded by a format rule."),
        _n("rows_malformed", "Rows that could not be read (wrong number of fields)."),
        _n("rows_late", "Loaded rows dated before the extract's period."),
        _n("nhs_number_present", "Rows with a non-blank NHS number."),
        _n("nhs_number_valid", "Rows whose NHS number passed the format and mod-11 check."),
        _n("nhs_number_invalid", "Rows with an NHS number that failed the check."),
        _n("nhs_number_missing", "Rows with no NHS number."),
        _n("pseudonym_supplied", "Rows that arrived with a pseudonym made with our key."),
        _n("token_linked", "Rows identified only by a source token."),
        _n(
            "rows_linked",
            "Loaded rows linked to a person (valid NHS number, our pseudonym, or "
            "an accepted probabilistic link).",
        ),
        _n("rows_unlinked", "Loaded rows with no valid NHS number or pseudonym."),
        _n("rows_linked_probabilistic", "Unlinked rows given a person by accepted links."),
        _n("persons", "Distinct people among loaded rows (exact; suppressed in reports)."),
        _n("problems", "Problems recorded in `ingest_reject` (a row can have several)."),
        _n("records_stored", "Rows this load holds in activity, coded_event and registration."),
        _n(
            "duplicates_across_loads",
            "Activity rows of this load identical (person, setting, provider, dates, code, "
            "units) to a row of another current load of the same source.",
        ),
        _n("code_values_loaded", "Valid codes loaded as coded events."),
        _n(
            "rows_code_invalid",
            "Rows with a code (clinical code or coded field) rejected as invalid or unknown.",
        ),
        _rate("nhs_coverage", "nhs_number_present / (nhs_number_present + nhs_number_missing)."),
        _rate("nhs_validity", "nhs_number_valid / nhs_number_present."),
        _rate(
            "nhs_valid_coverage", "nhs_number_valid / (nhs_number_present + nhs_number_missing)."
        ),
        _rate("linkage_rate", "rows_linked / rows_loaded."),
        _rate("quarantine_rate", "rows_quarantined / rows_read."),
        _rate("correction_rate", "rows_corrected / rows_read."),
        _rate("duplicate_rate", "rows_duplicate / rows_read."),
        _rate("code_validity", "1 − rows_code_invalid / rows_read."),
        C("delimiter", "string", "Field delimiter of the file."),
        C("encoding", "string", "Text encoding of the file."),
        C("mapping_hash", "string", "SHA-256 of the mapping file applied, if any."),
    ],
    key=["load_id"],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_source_month = table(
    "dq_source_month",
    "one row per source × month of activity",
    "What each source's current loads hold for each month: records, people, linkage, costs "
    "and codes present, late records. A month with few or no records is a gap (see "
    "`dq_finding`).",
    [
        _SOURCE,
        C("month", "date", "First day of the month of the record's date.", nullable=False),
        _n("loads", "Loads contributing records to the month."),
        _n("records", "Records (activity rows; registrations for GP registration feeds)."),
        _n("persons", "Distinct people (exact; suppressed in reports)."),
        _n(
            "records_linked",
            "Records whose person was linked on a valid NHS number or pseudonym in that load.",
        ),
        _n("records_costed", "Records with a cost supplied."),
        _n("records_coded", "Records with a primary code."),
        _n("records_late", "Records dated before the period of the load that brought them."),
        _rate("linkage_rate", "records_linked / records."),
        _rate("costed_rate", "records_costed / records."),
        _rate("coded_rate", "records_coded / records."),
        C(
            "source_period_start",
            "date",
            "Earliest start of the periods of the source's loads (empty when none is known).",
        ),
        C(
            "source_period_end",
            "date",
            "Latest end of the periods of the source's loads (empty when none is known).",
        ),
    ],
    key=["source", "month"],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_reject = table(
    "dq_reject",
    "one row per load × column × reason × action",
    "The problems of each load, counted by column and reason, with example row numbers a "
    "supplier can find in their file. Values are never shown.",
    [
        _LOAD,
        _SOURCE,
        _FILE,
        C("column", "string", "Column at fault as named in the file (empty: the whole row)."),
        C("reason", "string", "Reason code (see `ingest_reject`).", nullable=False),
        C("action", "string", "quarantined or corrected.", allowed=("quarantined", "corrected")),
        _n("rows", "Distinct rows with this problem."),
        _n("problems", "Problems (normally equal to rows)."),
        C("first_row", "int64", "First row (file line) with this problem.", minimum=1),
        C("example_rows", "string", "Up to five row numbers, comma-separated, in file order."),
    ],
    key=["load_id", "column", "reason", "action"],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_column = table(
    "dq_column",
    "one row per load × column (of the file's contract, or of a canonical table it fed)",
    "Completeness and validity of every column. level `file`: the supplier's contract columns, "
    "from the problems ingest found (blank required values, invalid values). level `table`: the "
    "canonical columns of the rows loaded, against their declared constraints.",
    [
        _LOAD,
        _SOURCE,
        C("level", "string", "file or table.", nullable=False, allowed=("file", "table")),
        C("table_name", "string", "Canonical table (level table)."),
        C("column", "string", "Column name.", nullable=False),
        C("kind", "string", "Contract kind of the column (date, code, icd10, …) or its type."),
        C("required", "boolean", "A blank value quarantines the row (level file)."),
        _n("rows", "Rows checked (rows read, or rows of the table from this load)."),
        _n("filled", "Non-blank values (level table; empty when not measured).", nullable=True),
        _n("missing", "Blank values (level file: blank required values only).", nullable=True),
        _n("invalid", "Values that failed their check (not counting blanks)."),
        _n("corrected", "Rows loaded with the value blanked or normalised."),
        _n("quarantined", "Rows quarantined because of this column."),
        _rate("completeness", "filled / rows (file level: 1 − missing / rows, required only)."),
        _rate(
            "validity", "1 − invalid / rows at file level; (filled − invalid) / filled for tables."
        ),
    ],
    key=["load_id", "level", "table_name", "column"],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_drift = table(
    "dq_drift",
    "one row per load × check (× column)",
    "Each load against the earlier loads of the same feed (other extracts): volume and rates "
    "against their mean, and changes of format (columns added, removed or renamed, mapping, "
    "delimiter, encoding). `flagged` marks a change beyond its threshold.",
    [
        _LOAD,
        _SOURCE,
        _FEED,
        _FILE,
        C("loaded_at", "timestamp", "When the load was made."),
        _n("previous_loads", "Earlier loads of the source compared with."),
        C("check", "string", "What was compared.", nullable=False, allowed=DRIFT_CHECKS),
        C("column", "string", "Column concerned (format checks)."),
        C("value", "float64", "This load's value."),
        C("baseline", "float64", "Mean of the earlier loads (or the previous load's value)."),
        C("change", "float64", "Relative change (volume) or change in percentage points."),
        C("threshold", "float64", "Change that raises a flag."),
        C("flagged", "boolean", "The change is beyond the threshold.", nullable=False),
        C("message", "string", "What changed, in words.", nullable=False),
    ],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_triangulation = table(
    "dq_triangulation",
    "one row per line of the contract / budget file",
    "Reality check (Kent priority 2): cost loaded for a source, provider, setting and financial "
    "year against the contract or budget value for it.",
    [
        C("line", "int64", "Row of the contract file (header is row 1).", nullable=False),
        C("name", "string", "Contract or budget line name.", nullable=False),
        C("kind", "string", "contract or budget.", nullable=False, allowed=("contract", "budget")),
        C("source", "string", "Source it covers (empty: any)."),
        C("provider_code", "string", "Provider it covers (empty: any)."),
        C("setting", "string", "Setting it covers (empty: any)."),
        C("fy", "int16", "Financial year, by its start year.", nullable=False),
        C("contract_value", "float64", "Value in the file (£).", nullable=False, minimum=0),
        C("loaded_cost", "float64", "Cost of the matching rows loaded (£).", nullable=False),
        _n("records", "Matching activity rows."),
        _n("records_uncosted", "Matching activity rows with no cost."),
        C("difference", "float64", "loaded_cost − contract_value (£).", nullable=False),
        C("difference_pct", "float64", "difference / contract_value (empty when the value is 0)."),
        C("tolerance_pct", "float64", "Tolerance for the line (fraction).", minimum=0),
        C("within_tolerance", "boolean", "|difference_pct| ≤ tolerance_pct."),
        C("cost_table", "string", "Table the cost came from (activity_costed or activity)."),
    ],
    key=["line"],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_person = table(
    "dq_person",
    "one row per demographic completeness measure",
    "Gap analysis of the person spine (Kent priority 2): people with no birth year (the "
    "`unknown` age band of every analysis), with sex not known, and registered pseudonyms with "
    "no `person` row, for the whole spine and for the registered population.",
    [
        C("measure", "string", "What is counted.", nullable=False),
        C(
            "population",
            "string",
            "spine (everyone in `person`) or registered (everyone in `registration`).",
            nullable=False,
            allowed=("spine", "registered"),
        ),
        C("description", "string", "The measure in words.", nullable=False),
        _n("people", "People counted."),
        C("share", "float64", "people / the population's size.", minimum=0, maximum=1),
    ],
    key=["measure"],
    derived=True,
    produced_by=PRODUCED_BY,
)

dq_finding = table(
    "dq_finding",
    "one row per finding",
    "What needs attention, in words a data provider can act on, under Kent's three priorities "
    "(1 linkage and standardisation, 2 profiling, gaps and triangulation, 3 monitoring over "
    "time).",
    [
        C("priority", "int8", "Kent priority 1, 2 or 3.", nullable=False, minimum=1, maximum=3),
        C("severity", "string", "error, warning or info.", nullable=False, allowed=SEVERITIES),
        C("check", "string", "What was checked (measure or reason code).", nullable=False),
        _SOURCE,
        C("load_id", "string", "Load concerned, if one."),
        _FILE,
        C("month", "date", "Month concerned, if one."),
        C("column", "string", "Column concerned, if one."),
        _n("count", "Rows or records concerned, if a count.", nullable=True),
        C("value", "float64", "Measured value (rate as a fraction, or £)."),
        C("message", "string", "What was found.", nullable=False),
        C("action", "string", "What to do about it."),
    ],
    derived=True,
    produced_by=PRODUCED_BY,
)

TABLES = (
    dq_load,
    dq_source_month,
    dq_reject,
    dq_column,
    dq_drift,
    dq_triangulation,
    dq_person,
    dq_finding,
)
