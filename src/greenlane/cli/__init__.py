"""The ``greenlane`` command: demo, serve, migrate, createadmin, synth, ingest, audit verify, ..."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from greenlane.config import ConfigError

if TYPE_CHECKING:
    from greenlane.core.criteria.engine import Readiness
    from greenlane.core.criteria.gaps import Gap

app = typer.Typer(
    help="Greenlane: AEO programmes, certification, risk targeting and time release studies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
catalogue_app = typer.Typer(help="The AEO criteria catalogue.", no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")
trs_app = typer.Typer(help="Time Release Studies (WCO method).", no_args_is_help=True)
app.add_typer(trs_app, name="trs")
token_app = typer.Typer(help="API keys of customs systems (the assess API).", no_args_is_help=True)
app.add_typer(token_app, name="token")
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


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


@app.command()
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    _migrate(verbosity=1)


@app.command()
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


@app.command()
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


@app.command()
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
        from greenlane.apps.targeting import services as targeting

        def say(text: str) -> None:
            console.print(f"Risk model: {text}…")

        targeting.train(say=say)
        scored = targeting.score(say=say)
        console.print(
            f"Risk model v{scored.version.version}: {scored.scored:,} declarations scored."
        )
    table = Table("Username", "Password", "Role", "Organisation", title="Demo logins")
    for login in demo_data.logins():
        table.add_row(login.username, demo_data.DEMO_PASSWORD, login.role, login.organisation)
    console.print(table)
    if serve_:
        serve(host=host, port=port, workers=2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes")] = 2,
    background: Annotated[bool, typer.Option(help="Also run a background task worker")] = True,
) -> None:
    """Serve the web app and API with gunicorn (static files through whitenoise)."""
    import signal
    import subprocess

    _django()
    from django.core.management import call_command

    _port_free(host, port)
    call_command("check", fail_level="ERROR", verbosity=0)
    _require_migrated()
    call_command("collectstatic", interactive=False, verbosity=0)
    console.print(f"Greenlane at [bold]http://{host}:{port}[/] (Ctrl+C stops it)")
    sys.stdout.flush()
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "greenlane.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--timeout",
        "120",
    ]
    children = [subprocess.Popen(web)]
    if background:
        children.append(subprocess.Popen([sys.executable, "-m", "greenlane.cli", "worker"]))

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        children[0].wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)


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


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run the queued tasks, then stop")] = False,
) -> None:
    """Run background tasks (ingests, studies, monitoring, training, ...) as they are queued;
    also queues the daily AEO monitoring run and the weekly retraining
    (GREENLANE_MONITORING_SCHEDULE=off, GREENLANE_RETRAIN_SCHEDULE=off to stop them)."""
    _django()
    import contextlib
    import time

    from django.core.management import call_command
    from django.db import DatabaseError, connection

    from greenlane import jobs

    def say_back(text: str) -> None:
        err.print(f"[green]{text}[/]")

    if not jobs.database_reachable():
        if once:
            raise CommandError("the database is unavailable")
        err.print("[yellow]the database is unavailable; the worker waits for it[/]")
        jobs.wait_for_database(say_back)
    _require_migrated()
    retired: list[str] = []  # this process's earlier worker ids (stopped by an error)
    scheduled, pause = once, 1.0
    while True:
        worker_id, began = jobs.worker_id(), time.monotonic()
        try:
            for found in jobs.recover(retired):  # tasks whose worker died: queued again, once
                queued = "queued again" if found.queued_again else "not queued again"
                err.print(f"[yellow]{found.task} ({found.record}): its worker {found.worker} "
                          f"stopped; {queued}[/]")  # fmt: skip
            if not scheduled:
                import threading

                threading.Thread(target=_schedules, name="schedules", daemon=True).start()
                scheduled = True
            call_command(
                "db_worker", batch=once, startup_delay=False, verbosity=1, worker_id=worker_id
            )
            return
        except DatabaseError as exc:
            if once:
                raise CommandError(f"the database is unavailable: {_first_line(exc)}") from None
            retired.append(worker_id)  # a task it was running is queued again by ``recover``
            with contextlib.suppress(Exception):
                connection.close()  # broken: the next query opens a new one
            if _stopping():
                return  # asked to stop (SIGTERM) before the error: stop now
            if time.monotonic() - began > 60:
                pause = 1.0  # it had been working: not a loop of failures
            reachable = jobs.database_reachable()
            then = "starting again" if reachable else "waiting for the database"
            err.print(f"[yellow]the worker stopped on a database error ({_first_line(exc)}); "
                      f"{then}[/]")  # fmt: skip
            if not reachable:
                jobs.wait_for_database(say_back)
            time.sleep(pause)  # an error the database keeps giving must not spin the worker
            pause = min(pause * 2, 30.0)


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


def _stopping() -> bool:
    """Whether django-tasks' worker was asked to stop (its signal handler is still set)."""
    import signal

    handler = signal.getsignal(signal.SIGTERM)
    return getattr(getattr(handler, "__self__", None), "running", True) is False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _schedules(every_seconds: float = 600.0) -> None:
    """Every ten minutes: queue again the tasks of dead workers, and ask for the day's
    monitoring run and the week's retraining (the database keeps one of each per day / week,
    whatever the number of workers)."""
    import logging
    import time

    from django.conf import settings
    from django.db import close_old_connections
    from django.utils import timezone

    from greenlane import jobs
    from greenlane.apps.monitoring import services as monitoring
    from greenlane.apps.targeting import retraining

    due: list[Any] = [lambda _day: jobs.recover()]
    if settings.MONITORING_SCHEDULE == "daily":
        due.append(monitoring.schedule_due)
    if settings.RETRAIN_SCHEDULE == "weekly":
        due.append(retraining.schedule_due)
    while due:
        for schedule in due:
            try:
                schedule(timezone.localdate())
            except Exception:  # the schedule must outlive a database hiccup
                logging.getLogger(__name__).exception("a scheduled check failed")
            finally:
                close_old_connections()
        time.sleep(every_seconds)


@app.command()
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
    from greenlane.core import csvsafe
    from greenlane.core.risk.mapping import MappingError
    from greenlane.core.risk.readers import FileError

    try:
        column_mapping, _ = service_mappings.resolve_mapping(mapping)
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
                csvsafe.Writer(handle).writerows(service.rejected_rows_csv(b))
            console.print(f"Rejected rows of {path.name} written to {target}")
    if table.row_count:
        console.print(table)
    for line in failed:
        err.print(f"[yellow]skipped[/] {line}", highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def mappings() -> None:
    """List the column mappings that come with Greenlane."""
    from greenlane.core.risk.mapping import shipped

    table = Table("Name", "Kind", "Title", title="Column mappings")
    for name, m in sorted(shipped().items()):
        table.add_row(name, m.kind, m.title)
    console.print(table)


@app.command()
def evaluate(
    mapping: Annotated[str, typer.Option(help="Mapping name or file for all the files")],
    train: Annotated[list[Path], typer.Option(help="Training file (repeat for several)")],
    test: Annotated[Path, typer.Option(help="Test file, dated after the training files")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only")] = False,
) -> None:
    """Fit the risk model on the training files, score the test file, compare with baselines."""
    import json

    from greenlane.core.risk.evaluate import evaluate as run
    from greenlane.core.risk.mapping import MappingError
    from greenlane.core.risk.mapping import load as load_mapping
    from greenlane.core.risk.readers import FileError

    for path in [*train, test]:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
    try:
        column_mapping = load_mapping(mapping)
        say = (lambda _: None) if as_json else (lambda text: err.print(f"[dim]{text}…[/]"))
        result = run(column_mapping, train, test, step=say)
    except (MappingError, FileError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        print(json.dumps(result))
        return
    table = Table("Metric", "Model", "LightGBM", "XGBoost", title=f"Test: {test.name}")
    for key, value in result["model"].items():
        base = result["baselines"]
        table.add_row(
            key, f"{value:.3f}", f"{base['lightgbm'][key]:.3f}", f"{base['xgboost'][key]:.3f}"
        )
    console.print(table)
    console.print(f"Rows: {result['rows']}")


@app.command()
def train(
    activate: Annotated[bool, typer.Option(help="Make the new version the one that scores")] = True,
) -> None:
    """Train a risk model version on the declarations and inspection results on record."""
    _django()
    from greenlane.apps.targeting import services

    try:
        version = services.train(activate=activate, say=lambda text: err.print(f"[dim]{text}…[/]"))
    except services.TrainingError as exc:
        raise CommandError(str(exc)) from None
    table = Table(
        "Metric",
        "Held-out value",
        title=f"Model v{version.version} (held out from {version.holdout_from})",
    )
    for key, value in version.metrics.items():
        table.add_row(key, f"{value:.3f}")
    console.print(table)
    state = "active" if version.is_active else "not active"
    console.print(
        f"Trained on {version.labelled_rows:,} inspection results; v{version.version} is {state}."
    )


@app.command()
def retrain(
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
) -> None:
    """Train a challenger on everything on record and compare it with the active version on
    the same held-out inspected declarations; it scores only once promoted
    (`greenlane promote`)."""
    _django()
    import json

    from greenlane.apps.targeting import retraining, services

    with _progress() as progress:
        job = progress.add_task("training", total=100)
        try:
            version = retraining.retrain(
                step=lambda text, share: progress.update(
                    job, completed=round(share * 100), description=text
                )
            )
        except services.TrainingError as exc:
            raise CommandError(str(exc)) from None
        progress.update(job, completed=100, description="done")
    compared = version.comparison or {}
    if as_json:
        console.print_json(json.dumps({"version": version.version, "comparison": compared}))
        return
    _print_comparison(version.version, compared)


def _print_comparison(number: int, compared: dict[str, Any]) -> None:
    if compared.get("metrics"):
        table = Table(
            "Metric",
            f"Champion v{compared['champion']}",
            f"Challenger v{number}",
            "Difference, 90% interval",
            "Verdict",
            title=f"On {compared['rows']:,} held-out inspected declarations "
            f"({compared['from']} to {compared['to']})",
        )
        for m in compared["metrics"]:
            table.add_row(
                m["metric"],
                f"{m['champion']:.3f}",
                f"{m['challenger']:.3f}",
                f"{m['low']:+.3f} to {m['high']:+.3f}",
                m["verdict"],
            )
        console.print(table)
        if compared.get("champion_saw_them"):
            console.print(
                f"[yellow]v{compared['champion']} was trained on part of these declarations: "
                "its figures are flattering.[/]"
            )
        console.print(f"v{number} is a challenger: {compared['verdict']}. Promote it with "
                      f"`greenlane promote {number}`.")  # fmt: skip
    else:
        note = compared.get("error") or compared.get("note") or "not compared"
        console.print(f"v{number} trained; {note}. Promote it with `greenlane promote {number}`.")


@app.command()
def promote(
    version: Annotated[int, typer.Argument(help="The model version to make active")],
    reason: Annotated[
        str, typer.Option(help="Why, when the challenger did worse than the active version")
    ] = "",
) -> None:
    """Make a model version the one that scores, after its champion/challenger comparison."""
    _django()
    from greenlane.apps.targeting import retraining
    from greenlane.apps.targeting.models import ModelVersion

    found = ModelVersion.objects.filter(version=version).first()
    if found is None:
        raise CommandError(f"there is no model v{version}")
    try:
        retraining.promote(found, None, reason)
    except retraining.Refused as exc:
        raise CommandError(str(exc)) from None
    console.print(f"Model v{version} now scores new declarations.")


@app.command()
def drift(
    version: Annotated[
        int | None, typer.Option(help="Model version (default: the active one)")
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks to show")] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Week by week: the model's score distribution against its training reference (PSI)
    and the inspections' hit rate."""
    _django()
    import json

    from greenlane.apps.targeting import retraining
    from greenlane.apps.targeting.models import ModelVersion

    chosen = (
        ModelVersion.objects.filter(version=version).first()
        if version is not None
        else ModelVersion.objects.filter(is_active=True).first()
    )
    if chosen is None:
        raise CommandError("no such model version" if version else "no active model")
    if not chosen.reference:
        raise CommandError(f"v{chosen.version} kept no reference distribution: train a new version")
    report = retraining.drift(chosen, weeks=weeks)
    if as_json:
        console.print_json(json.dumps(report))
        return
    table = Table(
        "Week of", "Scored", "Mean", "PSI", "Distribution", "Inspections", "Hit rate",
        title=f"Model v{chosen.version}: drift against {report['reference']['from']} to "
        f"{report['reference']['to']}",
    )  # fmt: skip
    for w in report["weeks"]:
        table.add_row(
            w["week"],
            f"{w['scored']:,}",
            "—" if w["mean"] is None else f"{w['mean']:.3f}",
            "—" if w["psi"] is None else f"{w['psi']:.3f}",
            w["status"],
            f"{w['inspected']:,}",
            "—"
            if w["hit_rate"] is None
            else f"{w['hit_rate']:.1%}"
            + (" (below reference)" if w["hit_below_reference"] else ""),
        )
    console.print(table)


@app.command()
def score(
    file: Annotated[
        Path | None, typer.Option(help="Score this file instead of the declarations on record")
    ] = None,
    mapping: Annotated[str, typer.Option(help="Mapping of --file")] = "greenlane",
    out: Annotated[
        Path | None, typer.Option(help="With --file: write scores here (.csv or .parquet)")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Model version (default: the active one)")
    ] = None,
) -> None:
    """Score declarations with a model version: fraud probability, revenue at stake, reasons."""
    _django()
    from greenlane.apps.targeting import services
    from greenlane.apps.targeting.models import ModelVersion

    chosen = None
    if version is not None:
        chosen = ModelVersion.objects.filter(version=version).first()
        if chosen is None:
            raise CommandError(f"no model version {version}")
    try:
        if file is None:
            result = services.score(version=chosen, say=lambda text: err.print(f"[dim]{text}…[/]"))
            console.print(
                f"Scored {result.scored:,} declarations with model v{result.version.version}."
            )
            return
        _score_file(file, mapping, out, chosen)
    except services.TrainingError as exc:
        raise CommandError(str(exc)) from None


def _score_file(file: Path, mapping: str, out: Path | None, chosen: object) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from greenlane.apps.targeting import services
    from greenlane.apps.targeting.models import ModelVersion
    from greenlane.core import csvsafe
    from greenlane.core.risk.frames import read_frame
    from greenlane.core.risk.mapping import MappingError
    from greenlane.core.risk.mapping import load as load_mapping
    from greenlane.core.risk.readers import FileError

    version = chosen or ModelVersion.objects.filter(is_active=True).first()
    if not isinstance(version, ModelVersion):
        raise CommandError("no active model: train one first (greenlane train)")
    if out is None or out.suffix not in {".csv", ".parquet"}:
        raise CommandError("--out must name a .csv or .parquet file")
    try:
        frame, rejected = read_frame([file], load_mapping(mapping))
    except (MappingError, FileError) as exc:
        raise CommandError(str(exc)) from None
    scored = services.score_frame(services.load(version), frame, reasons_share=1.0)
    numbers = frame["number"].astype(str).tolist()
    reasons = ["; ".join(r.text for r in why) for why in scored.reasons]
    if out.suffix == ".csv":  # opened in a spreadsheet: no cell may run as a formula
        numbers, reasons = [csvsafe.cell(n) for n in numbers], [csvsafe.cell(r) for r in reasons]
    table = pa.table(
        {
            "declaration_number": numbers,
            "probability": scored.probability,
            "revenue_at_stake": scored.revenue_at_stake,
            "reasons": reasons,
        }
    )
    (pq.write_table if out.suffix == ".parquet" else pacsv.write_csv)(table, out)
    console.print(
        f"Scored {table.num_rows:,} declarations ({rejected:,} rows rejected) into {out}."
    )


@catalogue_app.command("check")
def catalogue_check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Programme files or folders (default: shipped)")
    ] = None,
) -> None:
    """Validate programme files the way Greenlane loads its own catalogue."""
    from greenlane.core.criteria.loader import CatalogueError, check, load_catalogue

    try:
        if paths:
            missing = [p for p in paths if not p.exists()]
            if missing:
                raise CommandError(f"{missing[0]}: no such file or folder")
            programmes = check(paths)
        else:
            programmes = list(load_catalogue().programmes.values())
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2) from None
    for programme in programmes:
        versions = ", ".join(f"{v.version} ({v.coverage})" for v in programme.versions)
        console.print(f"[green]OK[/] {programme.id}: {versions}")


@catalogue_app.command("list")
def catalogue_list() -> None:
    """The programmes in the catalogue, their versions and coverage."""
    from greenlane.core.criteria.loader import shipped

    catalogue = shipped()
    table = Table("Programme", "Title", "Version", "In force", "Coverage", "Criteria", "Tiers")
    for programme in catalogue.programmes.values():
        for v in programme.versions:
            period = f"{v.valid_from} to {v.valid_to or 'open'}"
            tiers = ", ".join(t.id for t in v.tiers)
            table.add_row(
                programme.id,
                programme.title,
                v.version,
                period,
                v.coverage,
                str(len(v.criteria)),
                tiers,
            )
    console.print(table)
    console.print(f"Baseline: {len(catalogue.baseline.requirements)} requirements")


@app.command()
def assess(
    answers: Annotated[Path, typer.Argument(help="Self-test answers (YAML)")],
    programme: Annotated[
        list[str] | None, typer.Option(help="Programme id (repeat; default: every programme)")
    ] = None,
    on: Annotated[
        str | None, typer.Option(help="Assessment date (default: the file's, or today)")
    ] = None,
    pdf: Annotated[
        Path | None, typer.Option(help="Also write the gap-analysis report as PDF")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only")] = False,
) -> None:
    """Readiness and gaps of a self-test for AEO programmes, offline."""
    import json

    from greenlane.core.criteria import selftest
    from greenlane.core.criteria.engine import NotInForce
    from greenlane.core.criteria.engine import assess as run
    from greenlane.core.criteria.gaps import gaps
    from greenlane.core.criteria.loader import CatalogueError, shipped

    if not answers.is_file():
        raise CommandError(f"{answers}: no such file")
    catalogue = shipped()
    try:
        test = selftest.read(answers, catalogue)
        day = _date(on) if on else (test.on or date.today())
        for pid in programme or []:
            if pid not in catalogue.programmes:
                raise CommandError(f"no programme '{pid}' (see: greenlane catalogue list)")
        readiness = run(catalogue, test.answers, test.profile, day, programme)
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(f"greenlane: error: {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except NotInForce as exc:
        raise CommandError(str(exc)) from None
    found = gaps(catalogue, test.answers, test.profile, day, readiness)
    if pdf is not None:
        _django()
        from greenlane.apps.assessments.report import render_pdf, report_context
        from greenlane.core.criteria.export import readiness_dict

        context = report_context(
            readiness_dict(readiness, found), title=f"Self-test {answers.name}"
        )
        pdf.write_bytes(render_pdf(context))
    if as_json:
        from greenlane.core.criteria.export import readiness_dict

        print(json.dumps(readiness_dict(readiness, found)))
        return
    _print_readiness(readiness, found)
    if pdf is not None:
        console.print(f"Report written to {pdf}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _print_readiness(readiness: Readiness, found: list[Gap]) -> None:
    table = Table(
        "Programme", "Version", "Reachable today", "Scores", title=f"Readiness on {readiness.on}"
    )
    for p in readiness.programmes:
        scores = ", ".join(
            f"{g.title} {g.score:.0f}" if g.score is not None else f"{g.title} n/a"
            for g in p.groups
        )
        table.add_row(p.programme.title, p.version.version, p.best_tier or "none yet", scores)
    console.print(table)
    for pid in readiness.not_in_force:
        console.print(f"[yellow]{pid}: no version in force on {readiness.on}[/]")
    if found:
        gaps_table = Table(
            "Requirement", "Answer", "Unlocks", "Blocks", title="Gaps, most useful first"
        )
        for gap in found[:15]:
            gaps_table.add_row(
                f"{gap.requirement.id} {gap.requirement.title}",
                gap.answer or "unanswered",
                ", ".join(f"{p} {t}" for p, t in gap.unlocks) or "-",
                str(len(gap.blocks)),
            )
        console.print(gaps_table)


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


@app.command()
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


@app.command()
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


@app.command()
def monitor(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Day of the run, YYYY-MM-DD (default today)")
    ] = None,
) -> None:
    """AEO risk monitoring: indicators of certified operators, alert rules, new alerts."""
    _django()
    from django.utils import timezone

    from greenlane.apps.monitoring import services
    from greenlane.apps.monitoring.models import Run
    from greenlane.core.monitoring.rules import RulesError

    day = _date(as_of) if as_of else timezone.localdate()
    record = Run.objects.create(as_of=day, status=Run.Status.RUNNING)
    try:
        with _progress() as progress:
            task = progress.add_task("Monitoring", total=100)

            def step(text: str, share: float) -> None:
                progress.update(task, completed=round(share * 100), description=text)

            record = services.execute(record, step)
            progress.update(task, completed=100, description="done")
    except RulesError as exc:
        Run.objects.filter(pk=record.pk).update(status=Run.Status.FAILED, message=str(exc))
        raise CommandError(str(exc)) from None
    except Exception:
        Run.objects.filter(pk=record.pk).update(status=Run.Status.FAILED, message="interrupted")
        raise
    console.print(f"Monitoring as of {day}: {record.message}.")


@app.command()
def simulate(
    folder: Annotated[Path, typer.Argument(help="A synthetic economy (greenlane synth FOLDER)")],
    rate: Annotated[float, typer.Option(help="Share of each week's declarations examined")] = 0.05,
    random_rate: Annotated[float, typer.Option(help="Minimum random sampling rate")] = 0.005,
    exploration: Annotated[float, typer.Option(help="Share of capacity for exploration")] = 0.1,
    aeo_reduction: Annotated[float, typer.Option(help="AEO benefit on the score")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed: the same seed, the same run")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Replay a period week by week: the model retrained on what was inspected, the policy
    picking each week's examinations; hit rate, frauds and revenue caught, AEO rates."""
    import dataclasses
    import json

    from greenlane.core.risk.selectivity import PolicyError
    from greenlane.core.risk.simulation import Scenario, from_synthetic, summary
    from greenlane.core.risk.simulation import simulate as replay

    if not (folder / "truth.parquet").is_file():
        raise CommandError(f"{folder}: no synthetic economy here (greenlane synth {folder})")
    scenario = Scenario(rate, random_rate, exploration, aeo_reduction, seed=seed)
    try:
        frame, aeo = from_synthetic(folder)
        weeks = replay(frame, aeo, scenario)
    except PolicyError as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        print(
            json.dumps({"summary": summary(weeks), "weeks": [dataclasses.asdict(w) for w in weeks]})
        )
        return
    table = Table("Week", "Declarations", "Examined", "Frauds found", "Hit rate", "AEO rate",
                  "Others' rate", title="Week by week")  # fmt: skip
    for w in weeks:
        table.add_row(
            f"{w.week} ({w.start})", f"{w.declarations:,}", f"{w.inspections:,}",
            f"{w.frauds_found:,} of {w.frauds:,}",
            f"{w.hit_rate:.1%}" if w.hit_rate is not None else "-",
            f"{w.aeo_rate:.1%}" if w.aeo_rate is not None else "-",
            f"{w.other_rate:.1%}" if w.other_rate is not None else "-",
        )  # fmt: skip
    console.print(table)
    total = summary(weeks)
    console.print(
        f"Hit rate {total['hit_rate']:.1%}; frauds caught {total['frauds_caught']:.1%}; "
        f"revenue caught {total['revenue_caught']:.1%}."
    )


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The system's name, e.g. ASYCUDA")],
) -> None:
    """Make a key for a customs system; it is shown once, only its hash is kept."""
    _django()
    from django.db import IntegrityError

    from greenlane.apps.targeting.assess import make_token

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
    from django.utils import timezone

    from greenlane.apps.audit import services as audit
    from greenlane.apps.targeting.models import ApiToken

    token = ApiToken.objects.filter(name=name, revoked_at__isnull=True).first()
    if token is None:
        raise CommandError(f"no active key named {name!r}")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    audit.record("targeting.token.revoked", None, token, {"name": name})
    console.print(f"Key {name} revoked.")


@trs_app.command("run")
def trs_run(
    events: Annotated[list[Path], typer.Argument(help="Event logs: CSV or Parquet, wide or long")],
    out: Annotated[Path, typer.Option(help="The report: .html (charts included) or .pdf")],
    engine: Annotated[str, typer.Option(help="duckdb, postgres or spark")] = "duckdb",
    url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL (default: the application's database)")
    ] = None,
    title: Annotated[str, typer.Option(help="The study's title")] = "Time Release Study",
    targets: Annotated[str, typer.Option(help="Release targets in hours")] = "24, 48, 72",
    max_hours: Annotated[
        float | None, typer.Option(help="Outlier rule: exclude over this many hours")
    ] = 720.0,
    iqr: Annotated[
        float | None, typer.Option(help="Outlier rule: exclude above Q3 + k x IQR")
    ] = 3.0,
    replicates: Annotated[int, typer.Option(help="Bootstrap replicates of the AEO effect")] = 200,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            help="Value of a day, % of goods value, low,central,high: for all goods "
            "('0.6,1.35,2.1', the default) or an HS section ('XVI=0.8,1.5,2.1'); repeatable"
        ),
    ] = None,
    previous: Annotated[
        Path | None, typer.Option(help="A previous study's --json result to compare with")
    ] = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the result document (JSON) here")
    ] = None,
) -> None:
    """Measure release times from event logs and write the report."""
    import json

    from greenlane.core.trs import effect, metrics, study
    from greenlane.core.trs.events import EventFileError

    missing = [p for p in events if not p.is_file()]
    if missing:
        raise CommandError(f"{missing[0]}: no such file")
    if out.suffix.lower() not in (".html", ".pdf"):
        raise CommandError("--out must name a .html or .pdf file")
    if engine not in metrics.ENGINES:
        raise CommandError(f"unknown engine {engine!r} (one of {', '.join(metrics.ENGINES)})")
    _django()
    from greenlane import analytics
    from greenlane.apps.trs import services
    from greenlane.web import trs_report

    try:
        settings = metrics.Settings(
            targets_hours=services.parse_targets(targets), max_hours=max_hours, iqr_factor=iqr
        )
        rates = dict(effect.DEFAULT_RATES)
        for given in rate or []:
            section, _, values = given.rpartition("=")
            if section:  # one HS section
                rates.update(services.parse_rates(f"{section}: {values}"))
            else:  # every other good (checked like a section's line)
                rates["*"] = services.parse_rates(f"I: {values}")["I"]
        if engine == "postgres" and url is None:
            if "postgres" not in services.engines():
                raise CommandError("the application's database is not PostgreSQL: give --url")
            url = analytics.postgres_url()
        earlier = study.load_document(previous) if previous else None
        with _progress() as progress:
            task = progress.add_task("Time Release Study", total=100)

            def step(text: str, share: float) -> None:
                progress.update(task, completed=round(share * 100), description=text)

            document = study.run(
                events,
                title=title,
                settings=settings,
                effect_settings=effect.EffectSettings(replicates=replicates, rates=rates),
                engine=engine,
                url=url,
                previous=earlier,
                step=step,
            )
    except (EventFileError, services.Refused, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if out.suffix.lower() == ".pdf":
        out.write_bytes(trs_report.render_pdf(document))
    else:
        out.write_text(trs_report.render_standalone(document), encoding="utf-8")
    if as_json:
        as_json.write_text(json.dumps(document, indent=1), encoding="utf-8")
    total = next(i for i in document["metrics"]["intervals"] if i["name"] == "total")
    rejected = sum(f["rows_rejected"] for f in document["input"]["files"])
    console.print(
        f"{document['metrics']['consignments']:,} consignments measured "
        f"({rejected:,} rows rejected, {len(document['metrics']['excluded']):,} outliers "
        f"excluded): arrival to release mean {total['mean']:.1f} h, median "
        f"{total['median']:.1f} h. Report: {out}"
    )


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (e.g. ``greenlane manage showmigrations``)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["greenlane manage", *ctx.args])


def main() -> None:
    try:
        app()
    except (ConfigError, CommandError) as exc:
        kind = "configuration error" if isinstance(exc, ConfigError) else "error"
        print(f"greenlane: {kind}: {exc}", file=sys.stderr)  # one line, never wrapped
        sys.exit(2)


if __name__ == "__main__":
    main()
