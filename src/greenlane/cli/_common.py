"""What several command modules use: the consoles, the one-line error, Django's set-up,
the progress bar, the migrations check and date parsing."""

from __future__ import annotations

import os
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()
err = Console(stderr=True, soft_wrap=True)


class CommandError(Exception):
    """A failure to report as one line with exit code 2 (bad input, not a bug)."""


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greenlane.settings")
    import django

    django.setup()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _require_migrated() -> None:
    """One line, not a loop of missing-table errors, when the database lacks migrations."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        first = f"{plan[0][0].app_label}.{plan[0][0].name}"
        raise CommandError(
            f"the database lacks {len(plan)} migration(s) (first: {first}): run "
            "`greenlane migrate` first"
        )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date (YYYY-MM-DD)") from None
