"""Bookkeeping tables of ingest and linkage: every load, every quarantined row, every link.

These are what `yoc quality` reads. None of them ever holds a raw NHS number, date of birth or
postcode: identifiers appear only as keyed pseudonyms (HMAC-SHA-256 with the linkage key).
"""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas import canonical
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import TableSchema, table

#: Reason codes of `ingest_reject` (the message says more).
REJECT_REASONS: tuple[str, ...] = (
    "missing_required",
    "invalid_date",
    "impossible_date",
    "implausible_date",
    "end_before_start",
    "invalid_number",
    "out_of_range",
    "unknown_code",
    "invalid_code",
    "invalid_pseudonym",
    "duplicate",
    "malformed_row",
    "excluded",
)

_LOAD_ID = C("load_id", "string", "Identifier of the load (see `ingest_load`).", nullable=False)


def _count(name: str, description: str) -> C:
    return C(name, "int64", description, nullable=False, minimum=0)


ingest_load = table(
    "ingest_load",
    "one row per file loaded",
    "Every file `yoc ingest` loaded: what it was, where it came from, and how its rows were "
    "accounted for. Invariant: rows_read = rows_loaded + rows_quarantined + rows_opted_out.",
    [
        _LOAD_ID,
        C("run_id", "string", "The `run_log` run that loaded it.", nullable=False),
        C("source", "string", "Extract format (hes_apc, csds, asc_cld, …).", nullable=False),
        C(
            "extract_id",
            "string",
            "Identity of the extract: a later load with the same extract_id replaces this one. "
            "Default `<source>:<file name without extension>`; set with --extract-id.",
            nullable=False,
        ),
        C("file_name", "string", "File name as given.", nullable=False),
        C("file_path", "string", "Absolute path when loaded."),
        C("content_hash", "string", "SHA-256 of the file bytes.", nullable=False),
        C("file_bytes", "int64", "File size in bytes.", minimum=0),
        C("delimiter", "string", "Field delimiter used."),
        C("encoding", "string", "Text encoding used."),
        C("mapping_file", "string", "Mapping file applied, if any."),
        C("mapping_hash", "string", "SHA-256 of the mapping file, if any."),
        C("period_start", "date", "First day of the period the extract covers, if known."),
        C("period_end", "date", "Last day of the period the extract covers, if known."),
        C("loaded_at", "timestamp", "When it was loaded (UTC).", nullable=False),
        C(
            "status",
            "string",
            "current: its rows are in the store; superseded: replaced by a later load of the "
            "same extract (its rows were removed).",
            nullable=False,
            allowed=("current", "superseded"),
        ),
        C("replaces", "string", "load_id of the load this one replaced, if any."),
        C("superseded_by", "string", "load_id of the load that replaced this one, if any."),
        _count("rows_read", "Data rows in the file (header excluded)."),
        _count("rows_loaded", "Rows accepted into the store."),
        _count("rows_quarantined", "Rows set aside with a reason (see `ingest_reject`)."),
        _count("rows_opted_out", "Rows removed under the national data opt-out; never stored."),
        _count("rows_duplicate", "Quarantined rows that duplicated an earlier row (a subset)."),
        _count("rows_excluded", "Quarantined rows excluded by a format rule (a subset)."),
        _count("rows_corrected", "Loaded rows with at least one value corrected or blanked."),
        _count("rows_late", "Loaded rows dated before the extract's period (arrived late)."),
        _count("nhs_number_present", "Rows with a non-blank NHS number."),
        _count("nhs_number_valid", "Rows whose NHS number passed the format and mod-11 check."),
        _count("nhs_number_invalid", "Rows with an NHS number that failed the check."),
        _count("nhs_number_missing", "Rows with no NHS number."),
        _count("pseudonym_supplied", "Rows that arrived with a pseudonym made with our key."),
        _count("token_linked", "Rows identified only by a source token (e.g. PSEUDO_HESID)."),
        _count(
            "rows_person_shared",
            "Loaded rows that took the person of their record (a hospital spell's "
            "best-identified episode) because their own identifier was weaker or invalid.",
        ),
        _count(
            "rows_unlinked",
            "Loaded rows with no valid NHS number or pseudonym (their own or their record's).",
        ),
        _count("rows_linked_probabilistic", "Unlinked rows given a person by accepted links."),
        _count("persons", "Distinct people (pseudonyms) among loaded rows."),
        C("output_rows", "string", "Rows written per table, as JSON {table: rows}."),
        C(
            "column_spellings",
            "string",
            "Columns read under another published spelling (sources.field_names) or found in "
            "more than one, as JSON {format column: {used: file column, not_used: [...]}}.",
        ),
    ],
    key=["load_id"],
    derived=True,
    produced_by="`yoc ingest` (yearofcare.ingest)",
)

ingest_reject = table(
    "ingest_reject",
    "one row per problem found in a row of a loaded file",
    "Quarantined rows (not loaded) and corrected values (row loaded, value blanked or fixed), "
    "each with the file, row and column at fault. Identifier values are never shown.",
    [
        _LOAD_ID,
        C("source", "string", "Extract format.", nullable=False),
        C("file_name", "string", "File name.", nullable=False),
        C(
            "row_number",
            "int64",
            "Line of the file, as an editor or spreadsheet numbers it (the header is line 1).",
            nullable=False,
            minimum=1,
        ),
        C("column", "string", "Column at fault, as named in the file (empty for whole-row)."),
        C("reason", "string", "Reason code.", nullable=False, allowed=REJECT_REASONS),
        C("message", "string", "What was found and what was expected.", nullable=False),
        C("value", "string", "The value found (masked for identifiers; at most 60 characters)."),
        C(
            "action",
            "string",
            "quarantined: the row was not loaded; corrected: the row was loaded with this value "
            "blanked or normalised.",
            nullable=False,
            allowed=("quarantined", "corrected"),
        ),
    ],
    derived=True,
    produced_by="`yoc ingest` (yearofcare.ingest)",
)

ingest_person = table(
    "ingest_person",
    "one row per load × person",
    "What each load says about each person; `person` is rebuilt from the current loads' rows "
    "(the spine: GP registrations first, then everyone seen in any source).",
    [
        _LOAD_ID,
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("source", "string", "Extract format.", nullable=False),
        C("rank", "int8", "Precedence of the source for demographics (1 highest).", nullable=False),
        C("sex", "string", "F, M or U.", allowed=vocab.SEXES),
        C("birth_year", "int16", "Year of birth.", minimum=1890, maximum=2100),
        C("birth_month", "int8", "Month of birth.", minimum=1, maximum=12),
        C("lsoa", "string", "LSOA of residence."),
        C("imd_decile", "int8", "IMD decile.", minimum=1, maximum=10),
        C("date_of_death", "date", "Date of death, if the source records one."),
        C("place_of_death", "string", "Place of death.", allowed=vocab.PLACES_OF_DEATH),
        C("linked", "boolean", "Identified by a valid NHS number (or our pseudonym of one)."),
        C("last_seen", "date", "Latest activity or record date for the person in this load."),
    ],
    key=["load_id", "person_id"],
    derived=True,
    produced_by="`yoc ingest` (yearofcare.ingest)",
)


def _shadow(canonical: TableSchema) -> TableSchema:
    """`ingest_<name>`: the canonical table's columns plus the load each row came from."""
    return table(
        f"ingest_{canonical.name}",
        f"one row per load × {canonical.grain.removeprefix('one row per ')}",
        f"`{canonical.name}` rows as each load delivered them; `{canonical.name}` is rebuilt "
        "from the rows of current loads, so replacing a load replaces exactly its rows.",
        [_LOAD_ID, *canonical.columns],
        derived=True,
        produced_by="`yoc ingest` (yearofcare.ingest)",
    )


ingest_registration = _shadow(canonical.registration)
ingest_practice = _shadow(canonical.practice)

ingest_record = table(
    "ingest_record",
    "one row per loaded record",
    "The record key of every row each current load holds (an MD5 of the format's record key "
    "values, e.g. EPIKEY, ATTENDKEY, ITEM_ID; every column where the file has no key), so a "
    "later extract that repeats a record is caught at ingest: a corrected file under a new "
    "name or an overlapping year-to-date extract never counts a record twice (policy: "
    "--duplicates quarantine, replace or refuse).",
    [
        _LOAD_ID,
        C("source", "string", "Extract format.", nullable=False),
        C("record_key", "string", "MD5 of the record key values (32 hex).", nullable=False),
        C("person_id", "string", "Keyed pseudonym of the record's person (for opt-outs)."),
    ],
    derived=True,
    produced_by="`yoc ingest` (yearofcare.ingest)",
)

linkage_key = table(
    "linkage_key",
    "one row: the key the store's pseudonyms are made with",
    "The fingerprint of the linkage key (HMAC-SHA-256 of a fixed text with the key, first 16 "
    "hex characters; never the key), recorded by the first ingest. Every later ingest and "
    "`yoc optout` compare their key's fingerprint and refuse another key.",
    [
        C(
            "fingerprint",
            "string",
            "Keyed hash of a fixed text (identifies the key).",
            nullable=False,
        ),
        C("run_id", "string", "The `run_log` run that recorded it.", nullable=False),
        C("recorded_at", "timestamp", "When it was recorded (UTC).", nullable=False),
    ],
    derived=True,
    produced_by="`yoc ingest` (yearofcare.linkage.pseudonym)",
)

link_key = table(
    "link_key",
    "one row per load × person × identifier combination",
    "Keyed hashes of the quasi-identifiers probabilistic linkage compares (date of birth, "
    "postcode), made in the trusted ingest step with the linkage key and a field prefix; the "
    "values themselves are never stored.",
    [
        _LOAD_ID,
        C(
            "person_id",
            "string",
            "Keyed pseudonym (unlinked people have their own).",
            nullable=False,
        ),
        C("linked", "boolean", "The person was identified by a valid NHS number.", nullable=False),
        C("sex", "string", "F, M or U.", allowed=vocab.SEXES),
        C("birth_year", "int16", "Year of birth."),
        C("birth_month", "int8", "Month of birth."),
        C("dob_hash", "string", "Keyed hash of the full date of birth."),
        C("dob_md_hash", "string", "Keyed hash of the day and month of birth."),
        C("postcode_hash", "string", "Keyed hash of the normalised full postcode."),
        C("sector_hash", "string", "Keyed hash of the postcode sector (e.g. `LS1 4`)."),
        C("district_hash", "string", "Keyed hash of the postcode district (e.g. `LS1`)."),
    ],
    derived=True,
    produced_by="`yoc ingest` (yearofcare.linkage)",
)

link_candidate = table(
    "link_candidate",
    "one row per unlinked person × candidate spine person",
    "Candidate matches found by probabilistic linkage (Splink) for people with no usable NHS "
    "number, with the model's match probability and whether the link was accepted.",
    [
        C("link_run_id", "string", "The `run_log` run of `yoc link`.", nullable=False),
        C("unlinked_person_id", "string", "Pseudonym of the unlinked person.", nullable=False),
        C("person_id", "string", "Pseudonym of the candidate spine person.", nullable=False),
        C("match_probability", "float64", "Model match probability.", minimum=0, maximum=1),
        C("match_weight", "float64", "Model match weight (log2 Bayes factor)."),
        C("rank", "int16", "1 for the best candidate of the unlinked person.", minimum=1),
        C("accepted", "boolean", "The link was accepted (and applied if --apply).", nullable=False),
        C("reason", "string", "Why accepted or not (threshold, ambiguous, lower rank)."),
    ],
    derived=True,
    produced_by="`yoc link` (yearofcare.linkage.probabilistic)",
)

link_summary = table(
    "link_summary",
    "one row per run of probabilistic linkage",
    "Match rates of each `yoc link` run: how many unlinked people, how many matched.",
    [
        C("link_run_id", "string", "The `run_log` run of `yoc link`.", nullable=False),
        C("run_at", "timestamp", "When it ran (UTC).", nullable=False),
        C("threshold", "float64", "Match probability needed to accept a link."),
        C("applied", "boolean", "Accepted links were applied to the store.", nullable=False),
        _count("unlinked_people", "Unlinked people with something to compare."),
        _count("unlinked_without_keys", "Unlinked people with no date of birth or postcode."),
        _count("spine_people", "Linked people they were compared with."),
        _count("candidate_pairs", "Pairs scored by the model."),
        _count("people_with_candidate", "Unlinked people with any candidate above 0.5."),
        _count("people_accepted", "Unlinked people with an accepted link."),
        _count("people_ambiguous", "Unlinked people whose best candidates were too close."),
        _count("rows_relinked", "activity, coded_event and other rows given the linked person."),
        C("match_rate", "float64", "people_accepted / unlinked_people.", minimum=0, maximum=1),
        C("model", "string", "Model parameters (m and u probabilities) as JSON."),
    ],
    key=["link_run_id"],
    derived=True,
    produced_by="`yoc link` (yearofcare.linkage.probabilistic)",
)

TABLES = (
    ingest_load,
    ingest_reject,
    ingest_person,
    ingest_registration,
    ingest_practice,
    ingest_record,
    linkage_key,
    link_key,
    link_candidate,
    link_summary,
)
