"""The ``greenlane`` command: demo, serve, migrate, createadmin, synth, ingest, audit verify, ...

One module per domain; this one puts their commands together into one Typer app, in the order
``greenlane --help`` lists them.
"""

from __future__ import annotations

import sys

import typer

from greenlane.cli import (
    audit,
    catalogue,
    declarations,
    lake,
    mail,
    monitoring,
    mra,
    origin,
    platform,
    risk,
    trs,
    worker,
)
from greenlane.cli._common import CommandError
from greenlane.config import ConfigError

__all__ = ["CommandError", "app", "main"]

app = typer.Typer(
    help="Greenlane: AEO programmes, certification, risk targeting and time release studies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for domain in (
    platform.commands,
    worker.commands,
    declarations.commands,
    risk.commands,
    catalogue.commands,
    monitoring.commands,
):
    app.add_typer(domain)  # no name: its commands are the app's own
app.add_typer(audit.audit_app, name="audit")
app.add_typer(mail.mail_app, name="mail")
app.add_typer(catalogue.catalogue_app, name="catalogue")
app.add_typer(mra.mra_app, name="mra")
app.add_typer(trs.trs_app, name="trs")
app.add_typer(origin.origin_app, name="origin")
app.add_typer(lake.lake_app, name="lake")
app.add_typer(platform.token_app, name="token")


def main() -> None:
    try:
        app()
    except (ConfigError, CommandError) as exc:
        kind = "configuration error" if isinstance(exc, ConfigError) else "error"
        print(f"greenlane: {kind}: {exc}", file=sys.stderr)  # one line, never wrapped
        sys.exit(2)
