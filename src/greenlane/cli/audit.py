"""The hash-chained audit log: audit verify (the live log, or an export file offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from greenlane.cli._common import _django, console, err

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="An export (JSON Lines, from the audit log page) to check offline, "
            "without the database",
        ),
    ] = None,
) -> None:
    """Check the hash chain; name the first broken link (exit 1) if a row was edited or deleted."""
    if file is not None:
        _verify_file(file)
        return
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


def _verify_file(file: Path) -> None:
    from greenlane.apps.audit.chain import verify_export

    try:
        with file.open(encoding="utf-8") as handle:
            check = verify_export(handle)
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"Cannot read {file}: {exc}")
        raise typer.Exit(2) from None
    if check.broken is not None:
        err.print(f"{file} BROKEN: {check.broken.reason} ({check.events:,} events checked before).")
        raise typer.Exit(1)
    runs = ", ".join(f"#{a}" if a == b else f"#{a}-#{b}" for a, b in check.runs[:10])
    more = f" and {len(check.runs) - 10:,} more" if len(check.runs) > 10 else ""
    console.print(
        f"{file}: {check.events:,} events, every hash verified; consecutive runs {runs or 'none'}"
        f"{more}."
    )
    if check.head is not None:
        console.print(
            f"The log's head when exported: #{check.head[0]} {check.head[1][:16]}… — compare it "
            "with `greenlane audit verify` on the live log."
        )
