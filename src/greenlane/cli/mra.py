"""Mutual recognition arrangements: mra seed (the home administration's MRAs from the cited
data file ``catalogue/mras.yaml``) and mra list."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from greenlane.cli._common import CommandError, _django, _require_migrated, console, err

mra_app = typer.Typer(help="Mutual recognition arrangements (MRAs).", no_args_is_help=True)


@mra_app.command("seed")
def mra_seed(
    by: Annotated[
        str | None,
        typer.Option("--by", help="Username of the decision officer or administrator seeding"),
    ] = None,
) -> None:
    """Record this administration's MRAs from catalogue/mras.yaml (again: only the changes)."""
    _django()
    _require_migrated()
    from greenlane.apps.accounts.models import User
    from greenlane.apps.certification import mra
    from greenlane.apps.certification.services import Refused
    from greenlane.core.certification.mras import CatalogueError

    user = None
    if by is not None:
        user = User.objects.filter(username=by).first()
        if user is None:
            raise CommandError(f"no user '{by}'")
    try:
        report = mra.seed(user)
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2) from None
    except Refused as exc:
        raise CommandError(str(exc)) from None
    console.print(
        f"MRAs of {mra.home_economy()}: {len(report.created)} created, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged."
    )
    for record, reason in report.skipped.items():
        console.print(f"[yellow]{record} skipped:[/] {reason}", highlight=False)


@mra_app.command("list")
def mra_list() -> None:
    """The arrangements in catalogue/mras.yaml: parties, dates as sourced, first source."""
    from greenlane.core.certification.mras import CatalogueError, shipped_mras, spoken

    try:
        arrangements = shipped_mras()
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2) from None
    table = Table("Id", "Kind", "Parties", "Signed", "In effect", "Checked", "Sources")
    for a in arrangements:
        parties = ", ".join(f"{p.economy} ({p.programme})" if p.programme else p.economy
                            for p in a.parties)  # fmt: skip
        table.add_row(
            a.id, a.kind, parties, spoken(a.signed), spoken(a.in_effect), str(a.checked),
            str(len(a.sources)),
        )  # fmt: skip
    console.print(table)
