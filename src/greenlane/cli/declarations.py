"""Declaration data: synth, ingest, mappings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from greenlane.cli._common import CommandError, _django, _progress, console, err

commands = typer.Typer()


@commands.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the Parquet files into")],
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives byte-identical files")
    ] = 42,
    operators: Annotated[int, typer.Option(help="Number of operators")] = 2_000,
    declarations: Annotated[int, typer.Option(help="Number of import declarations")] = 100_000,
    start: Annotated[str, typer.Option(help="First declaration date (YYYY-MM-DD)")] = "2025-01-01",
    days: Annotated[int, typer.Option(help="Length of the period in days")] = 365,
    consignments: Annotated[
        bool, typer.Option(help="Also write consignment events for release-time studies")
    ] = True,
) -> None:
    """Generate the synthetic economy as Parquet files (streamed: any size fits in memory)."""
    from greenlane.core.synth import SynthConfig, generate

    try:
        config = SynthConfig(
            seed=seed,
            operators=operators,
            declarations=declarations,
            start=date.fromisoformat(start),
            days=days,
            consignments=consignments,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    with _progress() as bar:
        task = bar.add_task("Declarations", total=declarations)
        summary = generate(
            config, out, progress=lambda done, _total: bar.update(task, completed=done)
        )
    table = Table("File", "Rows", title=f"Synthetic economy, seed {seed}")
    table.add_row("operators.parquet", f"{summary.operators:,}")
    table.add_row("aeo_authorisations.parquet", f"{summary.authorisations:,}")
    table.add_row("declarations.parquet", f"{summary.declarations:,}")
    table.add_row("inspections.parquet", f"{summary.inspections:,}")
    table.add_row("truth.parquet", f"{summary.declarations:,} ({summary.frauds:,} frauds)")
    if consignments:
        table.add_row("consignments.parquet", f"{summary.declarations:,}")
    console.print(table)


@commands.command()
def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, Parquet or Excel files, ingested one by one")
    ],
    mapping: Annotated[
        str, typer.Option(help="Shipped mapping name (see `greenlane mappings`) or a mapping file")
    ],
    rejected_out: Annotated[
        Path | None,
        typer.Option(help="Write the rejected rows with their reasons to this CSV file"),
    ] = None,
) -> None:
    """Ingest declarations or inspection results through a column mapping, validating every row."""
    _django()
    from greenlane.apps.declarations import ingest as service
    from greenlane.apps.declarations import services as service_mappings
    from greenlane.apps.declarations.models import in_english
    from greenlane.core import csvsafe
    from greenlane.core.risk.mapping import MappingError
    from greenlane.core.risk.readers import FileError

    try:
        column_mapping, _ = service_mappings.resolve_mapping_or_file(mapping)
    except MappingError as exc:
        raise CommandError(str(exc)) from None
    table = Table("File", "Read", "Accepted", "Rejected", "Inspections", "Batch", title="Ingested")
    failed = []
    for path in files:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with _progress() as bar:
                task = bar.add_task(path.name, total=None)
                result = service.ingest(
                    path,
                    column_mapping,
                    progress=lambda done, total, task=task: bar.update(
                        task, completed=done, total=total
                    ),
                )
        except service.DuplicateFile as exc:
            failed.append(f"{path.name}: {exc}")
            continue
        except (MappingError, FileError) as exc:
            raise CommandError(str(exc)) from None
        b = result.batch
        table.add_row(
            path.name,
            f"{b.rows_read:,}",
            f"{b.rows_accepted:,}",
            f"{b.rows_rejected:,}",
            f"{b.inspections:,}",
            f"#{b.pk}",
        )
        if rejected_out is not None and b.rows_rejected:
            target = (
                rejected_out
                if len(files) == 1
                else rejected_out.with_name(f"{rejected_out.stem}-{b.pk}{rejected_out.suffix}")
            )
            with target.open("w", newline="", encoding="utf-8") as handle:
                csvsafe.Writer(handle).writerows(service.rejected_rows_csv(b, say=in_english))
            console.print(f"Rejected rows of {path.name} written to {target}")
    if table.row_count:
        console.print(table)
    for line in failed:
        err.print(f"[yellow]skipped[/] {line}", highlight=False)
    if failed:
        raise typer.Exit(1)


@commands.command()
def mappings() -> None:
    """List the column mappings that come with Greenlane."""
    from greenlane.core.risk.mapping import shipped

    table = Table("Name", "Kind", "Title", title="Column mappings")
    for name, m in sorted(shipped().items()):
        table.add_row(name, m.kind, m.title)
    console.print(table)


@commands.command("batch-rollback")
def batch_rollback(
    batch: Annotated[int, typer.Argument(help="The batch number, as the batches page lists it")],
    reason: Annotated[str, typer.Option(help="Why (kept with the batch and in the audit log)")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Roll back an ingested file: its declarations, results and scores leave the record; the
    batch stays, marked. Refused while later work stands on it."""
    _django()
    from greenlane.apps.declarations import rollback
    from greenlane.apps.declarations.models import IngestBatch
    from greenlane.core.errors import Refused

    found = IngestBatch.objects.filter(pk=batch).first()
    if found is None:
        raise CommandError(f"there is no batch {batch}")
    impact = rollback.impact(found)
    console.print(
        f"Batch {batch} ({found.file_name}): {impact.declarations:,} declarations and "
        f"{impact.results:,} inspection results would be removed, with their scores."
    )
    if not yes and not typer.confirm("Roll it back?"):
        raise CommandError("nothing was rolled back")
    try:
        done = rollback.roll_back(found, None, reason)
    except Refused as exc:
        raise CommandError(str(exc)) from None
    removed = ", ".join(f"{n:,} {kind}" for kind, n in done.rollback_counts.items())
    console.print(f"Rolled back batch {batch}: removed {removed}.")
