"""The hash-chained audit log: audit verify."""

from __future__ import annotations

import typer

from greenlane.cli._common import _django, console, err

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; name the first broken link (exit 1) if a row was edited or deleted."""
    _django()
    from greenlane.apps.audit import services

    checked, broken = services.verify()
    if broken is None:
        console.print(f"Audit log intact: {checked:,} events, chain verified.")
        return
    err.print(
        f"Audit log BROKEN at event #{broken.seq}: {broken.reason} ({checked:,} events present)."
    )
    raise typer.Exit(1)
