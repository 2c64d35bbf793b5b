"""AEO risk monitoring: monitor."""

from __future__ import annotations

from typing import Annotated

import typer

from greenlane.cli._common import CommandError, _date, _django, _progress, console
from greenlane.core.words import read

commands = typer.Typer()


@commands.command()
def monitor(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Day of the run, YYYY-MM-DD (default today)")
    ] = None,
) -> None:
    """AEO risk monitoring: indicators of certified operators, alert rules, new alerts."""
    _django()
    from django.utils import timezone

    from greenlane.apps.monitoring import services
    from greenlane.core.monitoring.rules import RulesError

    day = _date(as_of) if as_of else timezone.localdate()
    try:
        with _progress() as progress:
            task = progress.add_task("Monitoring", total=100)

            def step(text: str, share: float) -> None:
                progress.update(task, completed=round(share * 100), description=str(text))

            record = services.run_now(day, step)
            progress.update(task, completed=100, description="done")
    except RulesError as exc:
        raise CommandError(str(exc)) from None
    console.print(f"Monitoring as of {day}: {read(record.message)}.")
