"""The Parquet lake: copy declarations out of the database for DuckDB and Spark."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from greenlane.cli._common import CommandError, _django, _progress, _require_migrated, console

lake_app = typer.Typer(help="The Parquet lake that DuckDB and Spark read.", no_args_is_help=True)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r}: not a date (YYYY-MM-DD)") from None


@lake_app.command("export")
def export(
    to: Annotated[
        Path | None,
        typer.Option(help="The lake's folder (default: the data folder's lake/)"),
    ] = None,
    since: Annotated[str | None, typer.Option(help="First declaration date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Last declaration date (YYYY-MM-DD)")] = None,
) -> None:
    """Write the declarations on record, with their inspection results, as Parquet partitioned
    by year and month; a month exported again replaces its earlier file."""
    first, last = _day(since, "--since"), _day(until, "--until")
    if first and last and first > last:
        raise CommandError("--since is after --until")
    _django()
    _require_migrated()
    from greenlane import config
    from greenlane.apps.declarations import lake

    root = to or config.var_dir() / "lake"
    try:
        with _progress() as bar:
            task = bar.add_task("Months", total=None)
            result = lake.export(
                root,
                first,
                last,
                progress=lambda _month, done, total: bar.update(task, completed=done, total=total),
            )
    except OSError as exc:  # a folder that cannot be made or written, a full disk
        raise CommandError(f"{exc.filename or root}: {exc.strerror or exc}") from None
    table = Table("Month", "Declarations", title=f"Exported to {result.folder}")
    for month, rows in result.months.items():
        table.add_row(month, f"{rows:,}")
    table.add_row("all", f"{result.rows:,}", style="bold")
    console.print(table)
    for dataset, rows in result.others.items():
        console.print(f"{dataset.replace('_', ' ').capitalize()}: {rows:,} rows, beside them.")
    console.print(
        f"Read with DuckDB: SELECT * FROM read_parquet('{result.folder}/*/*/*.parquet', "
        "hive_partitioning = true)",
        soft_wrap=True,
    )


@lake_app.command("retire")
def retire(
    until: Annotated[str, typer.Option(help="Last declaration date to move out (YYYY-MM-DD)")],
    lake: Annotated[
        Path | None,
        typer.Option(help="The lake's folder (default: the data folder's lake/)"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Move whole months up to --until out of the database, once the lake holds each as the
    database does (export them first): their declarations, results, scores and channel
    decisions leave the database, the lake's files become their record. The last 24 months
    always stay."""
    last = _day(until, "--until")
    assert last is not None
    _django()
    _require_migrated()
    from greenlane import config
    from greenlane.apps.declarations import lake as declarations_lake
    from greenlane.apps.tallies.models import DeclarationTally
    from greenlane.core.errors import Refused

    root = lake or config.var_dir() / "lake"
    months = declarations_lake.retirable(last)
    if not months:
        newest = declarations_lake.newest_retirable()
        raise CommandError(
            f"no whole month on record up to {min(last, newest)} (the last "
            f"{declarations_lake.KEEP_MONTHS} months stay in the database)"
        )
    on_record = sum(
        n
        for n in DeclarationTally.objects.filter(
            day__gte=months[0].first, day__lt=months[-1].after
        ).values_list("declarations", flat=True)
    )
    console.print(
        f"{len(months)} months, {months[0]} to {months[-1]}: {on_record:,} declarations would "
        f"leave the database, with their results, scores and channel decisions; {root} keeps "
        "them."
    )
    if not yes and not typer.confirm("Move them out?"):
        raise CommandError("nothing was moved")
    try:
        with _progress() as bar:
            task = bar.add_task("Months", total=len(months))
            result = declarations_lake.retire(
                root,
                last,
                progress=lambda _month, done, total: bar.update(task, completed=done, total=total),
            )
    except Refused as exc:
        raise CommandError(str(exc)) from None
    table = Table("Month", "Declarations", title=f"Moved to {root}")
    for month, rows in result.months.items():
        table.add_row(month, f"{rows:,}")
    table.add_row("all", f"{result.rows:,}", style="bold")
    console.print(table)
    console.print(
        f"{result.inspections:,} inspection results, {result.scores:,} scores and "
        f"{result.channel_decisions:,} channel decisions left with them."
    )
