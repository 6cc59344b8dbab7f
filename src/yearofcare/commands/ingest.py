"""`yoc ingest`, `yoc link`, `yoc optout`: load extracts, link people, honour opt-outs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from yearofcare.cli import RichProgress, app, console, open_store, options, out
from yearofcare.config import paths as config_paths


@app.command()
def ingest(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(None, help="Extract files of one format."),
    source: str | None = typer.Option(
        None,
        "--source",
        help="Extract format: hes_apc, hes_op, hes_ae, ecds, csds, mhsds, gp_registrations, "
        "gp_events, asc_cld, prescribing, ambulance, dst, billed_lines, delayed_discharge or "
        "canonical.",
    ),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="Load a directory by its ingest_plan.json (yoc synth --raw writes one).",
    ),
    mapping: Path | None = typer.Option(
        None, "--mapping", help="YAML mapping file: column renames, code maps, date formats."
    ),
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        help="Linkage key (default: <data-dir>-secure/yoc-linkage.key, beside the data dir).",
    ),
    optouts: Path | None = typer.Option(
        None, "--optouts", help="National data opt-out list: one NHS number per line."
    ),
    extract_id: str | None = typer.Option(
        None, "--extract-id", help="Identity of the extract (default <source>:<file stem>)."
    ),
    period: str | None = typer.Option(
        None, "--period", help="Period the extract covers: 2024, 2024/25 or 2024-04-01:2024-06-30."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Fail on the first bad value instead of quarantining or blanking."
    ),
    duplicates: str = typer.Option(
        "quarantine",
        "--duplicates",
        help="A record an earlier extract already holds (same record key): quarantine it "
        "(default: never count a record twice), replace the earlier extract, or refuse the file.",
    ),
    latest_date: str | None = typer.Option(
        None,
        "--latest-date",
        help="Dates after this (YYYY-MM-DD) are implausible and quarantined (default: the end "
        "of the financial year after today's).",
    ),
    max_value: float | None = typer.Option(
        None,
        "--max-value",
        help="Costs, quantities and units above this are implausible (default 100000000).",
    ),
) -> None:
    """Validate extract files against their format, load good rows, quarantine bad ones."""
    from yearofcare.errors import ConfigError
    from yearofcare.ingest import IngestOptions, parse_period
    from yearofcare.ingest import ingest as run_ingest
    from yearofcare.ingest.plan import ingest_plan

    opts = options(ctx)
    key = config_paths.key_file(opts.data_dir, key_file)
    if plan is not None:
        if source or paths:
            raise ConfigError("give either --plan or --source with files, not both")
        store = open_store(ctx)
        results = ingest_plan(store, plan, key, optouts_file=optouts, progress=RichProgress())
    else:
        if not source or not paths:
            raise ConfigError(
                "nothing to ingest", hint="yoc ingest --source FORMAT FILE... (or --plan DIR)"
            )
        store = open_store(ctx)
        request = IngestOptions(
            source=source,
            paths=tuple(paths),
            key_file=key,
            mapping_file=mapping,
            optouts_file=optouts,
            extract_id=extract_id,
            period=parse_period(period),
            strict=strict,
            duplicates=duplicates,
            latest_date=_date(latest_date),
            max_value=max_value,
        )
        results = [run_ingest(store, request, progress=RichProgress())]
    _report(results)


def _date(text: str | None):
    from datetime import date

    from yearofcare.errors import ConfigError

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"--latest-date {text!r} is not a date", hint="give it as YYYY-MM-DD"
        ) from None


def _report(results) -> None:
    t = Table("file", "status", "read", "loaded", "quarantined", "opted out", "NHS no. valid")
    problems = []
    notes: tuple[str, ...] = ()
    for result in results:
        for f in result.files:
            c = f.counts
            if f.status == "unchanged":
                t.add_row(f.file, "unchanged", "", "", "", "", "")
                continue
            t.add_row(
                f.file,
                f.status,
                f"{c['rows_read']:,}",
                f"{c['rows_loaded']:,}",
                f"{c['rows_quarantined']:,}",
                f"{c['rows_opted_out']:,}",
                f"{c['nhs_number_valid']:,}",
            )
            if f.first_problem:
                problems.append((sum(f.reasons.values()), f.first_problem))
            notes += f.notes
    out.print(t)
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    for n, first in problems:
        console.print(f"[yellow]{n:,} problem(s); first:[/] {escape(first)}", highlight=False)
    if problems:
        console.print("see them all with `yoc problems` (table ingest_reject)", highlight=False)


@app.command()
def problems(
    ctx: typer.Context,
    load_id: str | None = typer.Option(None, "--load", help="Only this load."),
    last: int = typer.Option(20, help="How many to show."),
) -> None:
    """Show quarantined rows and corrected values of recent loads (file, row, column, reason)."""
    store = open_store(ctx)
    if not store.exists("ingest_reject"):
        out.print("no problems recorded")
        return
    r = store.table("ingest_reject")
    if load_id:
        r = r.filter(r.load_id == load_id)
    frame = store.to_pandas(r.order_by(["load_id", "row_number"]).limit(last))
    t = Table("file", "row", "column", "reason", "action", "message")
    for x in frame.itertuples():
        t.add_row(x.file_name, str(x.row_number), x.column or "", x.reason, x.action, x.message)
    out.print(t)


@app.command()
def link(
    ctx: typer.Context,
    threshold: float = typer.Option(
        0.95, "--threshold", help="Match probability needed to accept a link."
    ),
    apply: bool = typer.Option(
        False, "--apply", help="Give accepted links' records the spine person (else report only)."
    ),
) -> None:
    """Probabilistic linkage (Splink) of records without a usable NHS number to the spine, on
    date of birth, sex and postcode (compared as keyed hashes). Reports match rates."""
    from yearofcare.config import options as cli_options
    from yearofcare.linkage.probabilistic import LinkOptions, run_link

    opts = cli_options(LinkOptions, threshold=threshold, apply=apply)
    store = open_store(ctx)
    s = run_link(store, opts, progress=RichProgress())
    if s.get("up_to_date"):
        console.print(
            f"Linkage is up to date: nothing changed since link run {escape(s['link_run_id'])} "
            "with these settings; its results stand (shown below).",
            highlight=False,
        )
    t = Table("measure", "value", title="yoc link")
    for k in (
        "unlinked_people",
        "unlinked_without_keys",
        "spine_people",
        "candidate_pairs",
        "people_with_candidate",
        "people_accepted",
        "people_ambiguous",
        "rows_relinked",
    ):
        t.add_row(k.replace("_", " "), f"{s[k]:,}")
    t.add_row("match rate", f"{s['match_rate']:.1%}")
    t.add_row("applied", "yes" if s["applied"] else "no (rerun with --apply)")
    out.print(t)


@app.command()
def optout(
    ctx: typer.Context,
    optouts: Path = typer.Argument(..., help="Opt-out list: one NHS number per line."),
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        help="Linkage key (default: <data-dir>-secure/yoc-linkage.key, beside the data dir).",
    ),
) -> None:
    """Remove everything stored about people on a national data opt-out list."""
    from yearofcare.linkage.optout import apply_to_store

    opts = options(ctx)
    store = open_store(ctx)
    counts = apply_to_store(store, optouts, config_paths.key_file(opts.data_dir, key_file))
    t = Table("table", "rows removed", title="yoc optout")
    for name, n in counts.items():
        t.add_row(name, f"{n:,}")
    out.print(t)
