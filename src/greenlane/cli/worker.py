"""The background task worker, and the schedules it keeps (monitoring, retraining, recovery)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer

from greenlane.cli._common import CommandError, _django, _require_migrated, err

commands = typer.Typer()


@commands.command()
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
    jobs.discover()  # every app's jobs, for ``recover`` to know them, and its schedules
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


def _stopping() -> bool:
    """Whether django-tasks' worker was asked to stop (its signal handler is still set)."""
    import signal

    handler = signal.getsignal(signal.SIGTERM)
    return getattr(getattr(handler, "__self__", None), "running", True) is False


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _due() -> list[Callable[[date], object]]:
    """What the worker asks for every ten minutes: recovery of dead workers' tasks, then every
    periodic work the apps declared (``jobs.periodic``) whose setting has it on."""
    from greenlane import jobs

    jobs.discover()
    due: list[Callable[[date], object]] = [lambda _day: jobs.recover()]
    return due + [s.due for s in jobs.SCHEDULES.values() if s.enabled()]


def _schedules(every_seconds: float = 600.0) -> None:
    """Every ten minutes: queue again the tasks of dead workers, and ask for each periodic
    work (the day's monitoring run, the week's retraining: the database keeps one of each per
    day / week, whatever the number of workers)."""
    import logging
    import time

    from django.db import close_old_connections
    from django.utils import timezone

    due = _due()
    while due:
        for schedule in due:
            try:
                schedule(timezone.localdate())
            except Exception:  # the schedule must outlive a database hiccup
                logging.getLogger(__name__).exception("a scheduled check failed")
            finally:
                close_old_connections()
        time.sleep(every_seconds)
