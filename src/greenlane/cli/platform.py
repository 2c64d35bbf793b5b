"""Setting up and running Greenlane: migrate, createadmin, demo, serve, backup, restore,
manage, and the API keys of customs systems (token)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from greenlane.cli._common import CommandError, _django, _progress, _require_migrated, console, err

commands = typer.Typer()
token_app = typer.Typer(
    help="API keys of customs systems (the channel-decision API).", no_args_is_help=True
)


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


@commands.command()
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    _migrate(verbosity=1)


@commands.command()
def createadmin(
    username: Annotated[str, typer.Argument(help="Login name of the new administrator")],
    organisation: Annotated[
        str, typer.Option(help="Customs administration the user belongs to")
    ] = "Customs administration",
    country: Annotated[
        str, typer.Option(help="ISO 3166-1 alpha-2 code of the administration")
    ] = "KR",
    email: Annotated[str, typer.Option(help="E-mail address")] = "",
) -> None:
    """Create an administrator; the password is asked for or read from GREENLANE_ADMIN_PASSWORD."""
    _django()
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from greenlane.apps.accounts import services
    from greenlane.apps.accounts.models import Organisation
    from greenlane.apps.accounts.roles import OrganisationKind, Role

    password = os.environ.get("GREENLANE_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        with transaction.atomic():
            org = Organisation.objects.filter(name=organisation).first()
            if org is None:
                org = services.create_organisation(organisation, OrganisationKind.CUSTOMS, country)
            elif org.kind != OrganisationKind.CUSTOMS:
                raise CommandError(f"{organisation!r} is not a customs administration")
            services.create_user(username, password, Role.ADMINISTRATOR, org, email=email)
    except ValidationError as exc:
        raise CommandError("; ".join(exc.messages)) from None
    console.print(f"Administrator [bold]{username}[/] created in {org.name}.")


@commands.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    declarations: Annotated[int, typer.Option(help="Declarations in the demo economy")] = 60_000,
    operators: Annotated[int, typer.Option(help="Operators in the demo economy")] = 1_500,
    serve_: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server afterwards")
    ] = True,
) -> None:
    """Migrate, seed the synthetic economy (once), print the demo logins and start the server."""
    _django()
    from django.conf import settings

    from greenlane import demo as demo_data

    if settings.PRODUCTION:
        raise CommandError(
            "the demo refuses to seed a production database (GREENLANE_MODE=production)"
        )
    _migrate()
    if not demo_data.is_seeded():
        with _progress() as bar:
            tasks = {
                "synth": bar.add_task("Generating", total=declarations),
                "load": bar.add_task("Loading", total=declarations),
            }
            demo_data.seed(
                demo_data.demo_config(declarations, operators),
                settings.VAR_DIR,
                progress=lambda step, done, total: bar.update(
                    tasks[step], completed=done, total=total
                ),
            )
        from greenlane.apps.targeting import scoring
        from greenlane.apps.targeting import services as targeting

        def say(text: str) -> None:
            console.print(f"Risk model: {text}…")

        targeting.train(say=say)
        scored = scoring.score_stored()
        console.print(
            f"Risk model v{scored.version.version}: {scored.scored:,} declarations scored."
        )
        sent = demo_data.arrivals()
        console.print(f"Today's arrivals: {sent:,} declarations given a channel.")
    table = Table("Username", "Password", "Role", "Organisation", title="Demo logins")
    for login in demo_data.logins():
        table.add_row(login.username, demo_data.DEMO_PASSWORD, login.role, login.organisation)
    console.print(table)
    if serve_:
        serve(host=host, port=port, workers=2)


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per web worker")] = 8,
    background: Annotated[bool, typer.Option(help="Also run a background task worker")] = True,
) -> None:
    """Serve the web app and API with gunicorn (threaded workers, static files through
    whitenoise) and a background worker, started again if it dies."""
    from greenlane import server

    _django()
    from django.core.management import call_command

    _port_free(host, port)
    call_command("check", fail_level="ERROR", verbosity=0)
    _require_migrated()
    call_command("collectstatic", interactive=False, verbosity=0)
    console.print(f"Greenlane at [bold]http://{host}:{port}[/] (Ctrl+C stops it)")
    sys.stdout.flush()
    worker = [sys.executable, "-m", "greenlane.cli", "worker"] if background else None
    code = server.supervise(
        server.gunicorn_command(host, port, workers, threads), worker, err.print
    )
    if code:
        raise typer.Exit(code)


def _port_free(host: str, port: int) -> None:
    """Say so in one line when another program holds the port (gunicorn would print a trace)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --port"
            ) from None


@commands.command()
def backup(
    out: Annotated[Path, typer.Argument(help="The archive to write (.tar.gz; never overwritten)")],
) -> None:
    """Back up the database, evidence and uploaded files and risk models into one archive."""
    _django()
    from greenlane import backup as service

    try:
        with _stderr_progress() as bar:
            summary = service.backup(out, progress=_steps(bar))
    except service.BackupError as exc:
        raise CommandError(str(exc)) from None
    _print_backup(summary, f"Backup {summary.archive} ({summary.size / 1e6:,.1f} MB)")
    if not summary.audit_ok:
        err.print("[yellow]The audit chain did not verify when the backup was made.[/]")


@commands.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `greenlane backup`")],
) -> None:
    """Restore a backup into an empty database; checks every file's SHA-256 first, and the row
    counts and the audit chain before committing."""
    _django()
    from greenlane import backup as service

    try:
        with _stderr_progress() as bar:
            summary = service.restore(archive, progress=_steps(bar))
    except service.BackupError as exc:
        raise CommandError(str(exc)) from None
    _print_backup(summary, f"Restored {summary.archive}")
    if not summary.audit_ok:
        err.print(
            "[yellow]Row counts equal the backup's; the audit chain was already broken when the "
            "backup was made and is restored as it was (greenlane audit verify).[/]"
        )
        return
    console.print(
        f"Row counts equal the backup's; audit log intact: {summary.audit_events:,} events, "
        "chain verified."
    )


def _stderr_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    )


def _steps(bar: Progress) -> Any:
    tasks: dict[str, Any] = {}

    def step(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done, total=total)

    return step


def _print_backup(summary: Any, title: str) -> None:
    manifest = summary.manifest
    table = Table("Content", "Count", title=title)
    for label, count in summary.counts.items():
        if count:
            table.add_row(label, f"{count:,}")
    for prefix, count in manifest["files"].items():
        table.add_row(f"files: {prefix}", f"{count:,}")
    table.add_row("audit chain", f"{manifest['audit']['events']:,} events")
    console.print(table)
    console.print(
        f"Greenlane {manifest['greenlane_version']}, from {manifest['database']}, made "
        f"{manifest['created_at']}; audit head {manifest['audit']['last_hash'][:16]}…"
    )


@commands.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (e.g. ``greenlane manage showmigrations``)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["greenlane manage", *ctx.args])


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The system's name, e.g. ASYCUDA")],
) -> None:
    """Make a key for a customs system; it is shown once, only its hash is kept."""
    _django()
    from django.db import IntegrityError

    from greenlane.apps.targeting.keys import make_token

    try:
        token, key = make_token(name, None)
    except IntegrityError:
        raise CommandError(
            f"a key named {name!r} exists; revoke it or choose another name"
        ) from None
    console.print(f"Key for {token.name} (shown once; send it as 'Authorization: Bearer <key>'):")
    print(key)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The key's name")]) -> None:
    """Revoke a customs system's key at once."""
    _django()
    from greenlane.apps.targeting.keys import revoke_token

    if revoke_token(name, None) is None:
        raise CommandError(f"no active key named {name!r}")
    console.print(f"Key {name} revoked.")


@commands.command()
def tallies(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Replace every total with a recount (audited)")
    ] = False,
) -> None:
    """Check the running totals the pages read (and the inspection queue's waiting flags)
    against a recount of the declarations, results, scores and decisions on record; exit
    status 2 when they differ. They can only differ if someone
    wrote to the tables with the database's triggers switched off (decision 0023)."""
    _django()
    _require_migrated()
    from greenlane.apps.tallies import services

    if rebuild:
        before = services.rebuild()
        console.print(
            f"Rebuilt the running totals ({sum(before.values()):,} rows differed from a recount)."
        )
        return
    differing = services.differences()
    table = Table("running total", "rows differing from a recount")
    for name, n in differing.items():
        table.add_row(name.removeprefix("tallies_").removesuffix("tally"), f"{n:,}")
    console.print(table)
    if any(differing.values()):
        raise CommandError("the running totals differ from a recount: greenlane tallies --rebuild")
    console.print("The running totals equal a recount.")
