"""Background work that outlives its worker: a job whose worker died is run again, once.

Every long job (an ingest, a study, a monitoring run, a training, a simulation) is a record
with a status, claimed by one conditional update from *queued* to *running*, and its work is
written in one transaction: a worker killed in the middle leaves nothing of it behind. What
it does leave is the claim: the record says *running* and the queue's own row too, for ever.

``recover`` finds those. A worker's id names its host and process (``worker_id``); a task
running on this host whose process is gone, or on another host for longer than
``GREENLANE_TASK_TIMEOUT`` seconds, is marked failed in the queue ("its worker stopped"), its
record goes back to *queued* and the task is queued again. The claim makes sure only one
worker runs it; every step is audited. Each worker calls ``recover`` when it starts and every
ten minutes after.

The database going away (a PostgreSQL restart) is the same case seen from a living worker:
the job cannot finish nor record its failure. ``background`` leaves such a job *running*
(``DatabaseUnavailable``), the worker waits for the database (``wait_for_database``), retires
its worker id and runs ``recover`` with it, so the job is queued again like a dead worker's.

Every job is declared with ``background``: the claim, the outcome, the message of an internal
error and the registry ``recover`` reads come from one place. Every job is queued with
``submit``, inside the transaction that creates its record (docs/decisions/0016). Periodic work
is declared with ``periodic`` next to the service it runs; ``discover`` imports every app's
``tasks`` module so that both registries are full before the worker reads them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import JSONField, Model
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules, import_string
from django_tasks import task
from django_tasks.base import Task
from django_tasks.signals import task_finished

from greenlane.core.words import Words, _, stored

log = logging.getLogger(__name__)

#: Task path -> the model of the record it works on (its argument is the record's pk), filled
#: by ``background``.
RECOVERABLE: dict[str, str] = {}

#: Periodic work by name, filled by ``periodic``.
SCHEDULES: dict[str, Schedule] = {}

#: How long a job whose database went away may stay failed in the queue and still be taken
#: up by ``recover`` (the database came back before the worker could notice).
DATABASE_GONE_WINDOW = timedelta(days=1)

#: A job stopped this many times (its worker died, or the database went away) is not queued
#: again: it is marked failed, for a person to look at the cause.
MAX_RESTARTS = 5


class DatabaseUnavailable(Exception):
    """The database went away while a job ran: the job is left to ``recover``."""


#: How the queue names a job that met a database outage, and one whose worker stopped (set by
#: ``recover``, and for a taken-up outage, so it is taken up once).
UNAVAILABLE = f"{__name__}.DatabaseUnavailable"
STOPPED = f"{__name__}.WorkerStopped"


def connection_lost(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is a connection-level database error: Django's
    OperationalError or InterfaceError, or the PostgreSQL driver's own, raised by code that
    talks to it directly (COPY, Ibis)."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        kind = type(exc)
        if kind.__module__.split(".")[0] == "psycopg" and kind.__name__ in (
            "OperationalError", "InterfaceError"
        ):  # fmt: skip
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def database_reachable() -> bool:
    """Whether a new connection to the database answers. A connection of its own: the caller's
    may be broken or inside a transaction, and is left as it is."""
    probe = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        probe.ensure_connection()
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            probe.close()
    return True


def wait_for_database(say: Callable[[str], None] = log.warning, longest: float = 30.0) -> float:
    """Block until the database answers again, trying at growing intervals (up to ``longest``
    seconds apart); how long it took."""
    started, pause = time.monotonic(), 0.5
    while not database_reachable():
        time.sleep(pause)
        pause = min(pause * 2, longest)
    waited = time.monotonic() - started
    say(f"the database answers (after {waited:.0f} s)")
    return waited


def background(
    label: str,
    *,
    refused: tuple[type[Exception], ...] = (),
    fail: Callable[[Any, str], None] | None = None,
    stopped: str | Words,
    claim: dict[str, Any] | None = None,
    audit_as: str | None = None,
    tell: Callable[[Any, bool], None] | None = None,
) -> Callable[[Callable[[Any], None]], Task[[int], str]]:
    """Make ``work(record)`` a background task taking the pk of a ``label`` record.

    The task claims the record (*queued* to *running*, with ``claim``'s fields; only one worker
    can), runs ``work`` (which records success itself) and returns "done". An exception of
    ``refused`` is the user's problem: its text becomes the record's message. Any other is
    logged and the record says ``stopped`` (words, or an English message marked for
    translation, with a ``%(pk)s``), translated when read: never a stack trace. When
    the database went away (a connection-level error, or no answer now), nothing is recorded:
    ``DatabaseUnavailable`` leaves the record for ``recover`` to queue again. ``fail(record,
    message)`` marks the record failed; by default status, message and ``finished_at`` are set
    and ``<audit_as>.failed`` audited (``audit_as``: the model's label by default).
    ``tell(record, done)`` tells the person who asked for it the outcome (a notice), once the
    outcome is recorded; a failure to tell is logged, and the outcome stands.
    """

    def register(work: Callable[[Any], None]) -> Task[[int], str]:
        def failed(record: Model, message: str) -> None:
            try:
                if fail is not None:
                    fail(record, message)
                else:
                    _failed(record, message, audit_as or record._meta.label_lower)
            except Exception as exc:  # nothing can be recorded: leave it to ``recover``
                raise DatabaseUnavailable(f"{label} {record.pk}: {exc}") from exc

        @functools.wraps(work)
        def run(pk: int) -> str:
            model = apps.get_model(label)
            try:
                claimed = model.objects.filter(pk=pk, status="queued").update(
                    status="running", **(claim or {})
                )
                record = model.objects.get(pk=pk) if claimed else None
            except Exception as exc:
                if connection_lost(exc):
                    raise DatabaseUnavailable(f"{label} {pk}: {exc}") from exc
                raise
            if record is None:
                return "not queued"  # already taken or finished: never run twice
            try:
                work(record)
            except refused as exc:  # its words, translated when read; else its text
                failed(record, getattr(exc, "words", None) or str(exc))
                return _told(model, pk, done=False)
            except Exception as exc:
                if connection_lost(exc) or not database_reachable():
                    raise DatabaseUnavailable(f"{label} {pk}: {exc}") from exc
                log.exception("%s %s failed", label, pk)
                failed(record, _stopped(stopped, pk))
                return _told(model, pk, done=False)
            return _told(model, pk, done=True)

        def _told(model: Any, pk: int, done: bool) -> str:
            if tell is not None:
                try:
                    with transaction.atomic():
                        tell(model.objects.get(pk=pk), done)
                except Exception:
                    log.exception("%s %s: the notice of its outcome could not be made", label, pk)
            return "done" if done else "failed"

        made: Task[[int], str] = task()(run)
        RECOVERABLE[made.module_path] = label
        return made

    return register


def _stopped(stopped: str | Words, pk: int) -> Words:
    """What a record says when an internal error stopped its job: ``stopped`` with its pk."""
    message = stopped.message if isinstance(stopped, Words) else stopped
    return Words(message, {"pk": pk})


def _failed(record: Model, message: Any, action: str) -> None:
    from greenlane.apps.audit import services as audit

    with transaction.atomic():
        type(record)._default_manager.filter(pk=record.pk).update(
            status="failed", message=_kept(record, "message", message), finished_at=timezone.now()
        )
        audit.record(f"{action}.failed", None, record, {"message": str(message)})


def _kept(record: Model | type[Model], field: str, text: Any, most: int | None = None) -> Any:
    """``text`` (words or a text) as ``field`` of ``record`` keeps it: words as data in a JSON
    field, translated when read; the English text (at most ``most`` characters) in a text
    field."""
    if isinstance(record._meta.get_field(field), JSONField):
        return stored(text)
    return str(text)[:most]


def step(record: Model, field: str = "message") -> Callable[[Any, float], None]:
    """A progress callback writing the share done and what is being done onto ``record``:
    as words (translated when read) into a JSON field, else as its English text."""

    def progress(text: Any, share: float) -> None:
        type(record)._default_manager.filter(pk=record.pk).update(
            progress=share, **{field: _kept(record, field, text, 200)}
        )

    return progress


#: The queueing that ``submit`` left to the end of the ``atomic`` block it was called in (a
#: backend other than the database queue); None outside such a block.
_AFTER_BLOCK: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "greenlane_jobs_after_block", default=None
)


def _in_database(job: Task[Any, Any]) -> bool:
    """Whether ``job`` is queued as a row of the database (the queue of every installation;
    the tests run most tasks with the immediate backend instead)."""
    from django_tasks_db import DatabaseBackend

    return isinstance(job.get_backend(), DatabaseBackend)


def submit(job: Task[[int], str], record: Model) -> None:
    """Queue ``job`` for ``record`` (its argument is the record's pk) and store the task's id
    on the record, which is read again.

    On the database queue, the queue's row and the task id are written on the caller's
    connection, inside its transaction: call it in the block that creates (or re-queues) the
    record and audits it, and the four commit together or not at all. A failure to queue
    rolls the record back with it, so no record says *queued* with no task behind it (the
    day's monitoring run did, and its one-a-day constraint then refused every retry).

    Another backend runs the task as it is queued (the immediate backend of the tests): in the
    caller's transaction it would run before the record is committed, its own transactions
    would be savepoints of the caller's, and its failure would fail the caller. There it is
    queued once the caller's ``atomic`` block has ended (outside one: when the transaction
    commits, ``transaction.on_commit``), and ``record`` is then read again, so the caller
    sees what the task did.
    """

    def send() -> None:
        result = job.enqueue(record.pk)
        type(record)._default_manager.filter(pk=record.pk).update(task_id=str(result.id))
        record.refresh_from_db()

    if _in_database(job):
        with transaction.atomic():
            send()
    elif (after := _AFTER_BLOCK.get()) is not None:
        after.append(send)
    else:
        transaction.on_commit(send)


@contextlib.contextmanager
def atomic() -> Iterator[None]:
    """``transaction.atomic`` for a service that queues work with ``submit``: work for the
    database queue commits with the block; work for another backend is queued when the
    outermost such block has ended, and dropped if the block failed."""
    after = _AFTER_BLOCK.get()
    outermost = after is None
    pending: list[Callable[[], None]] = [] if after is None else after
    token = _AFTER_BLOCK.set(pending) if outermost else None
    mark = len(pending)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        del pending[mark:]  # rolled back: its work is not queued
        raise
    finally:
        if token is not None:
            _AFTER_BLOCK.reset(token)
    if outermost:
        for send in pending:
            send()


@dataclass(frozen=True)
class Schedule:
    """Periodic work: ``due(day)`` queues the period's record unless it has one (the database
    keeps one a period, whatever the number of workers asking); on while the setting
    ``setting`` is ``on`` (always, without a setting)."""

    name: str
    due: Callable[[date], object]
    setting: str | None
    on: str

    def enabled(self) -> bool:
        return self.setting is None or bool(getattr(settings, self.setting) == self.on)


Due = TypeVar("Due", bound=Callable[[date], object])


def periodic(name: str, *, setting: str | None, on: str = "") -> Callable[[Due], Due]:
    """Declare ``due(day)`` as periodic work the worker asks for every ten minutes while the
    setting ``setting`` is ``on`` (e.g. ``MONITORING_SCHEDULE == "daily"``), or always
    (``setting=None``: work that must not stop, such as the e-mail outbox)."""

    def register(due: Due) -> Due:
        SCHEDULES[name] = Schedule(name, due, setting, on)
        return due

    return register


def discover() -> None:
    """Import every installed app's ``tasks`` module: the jobs and schedules it names register
    themselves (``RECOVERABLE``, ``SCHEDULES``). The worker calls it when it starts."""
    autodiscover_modules("tasks")


def worker_id() -> str:
    """Host, process and a random part: unique in the pool, and says where the worker ran."""
    host = socket.gethostname()[:32]
    return f"{host}:{os.getpid()}:{secrets.token_hex(6)}"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` on this host is running. A zombie (a process that ended and
    that its parent has not reaped yet) is dead: ``kill(pid, 0)`` succeeds on it, and taking
    it for alive left its task *running* for ever."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    return _state(pid) not in {"Z", "X"}


def _state(pid: int) -> str | None:
    """The process's state letter from ``/proc`` (Linux), None where there is no ``/proc``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X" if Path("/proc/self").exists() else None  # it ended meanwhile
    # "pid (command) S ...": the command may hold spaces and parentheses; the state follows
    # the last closing parenthesis.
    return stat[stat.rfind(")") + 2 :][:1] or None


def _dead(worker: str, started_at: Any, retired: Collection[str] = ()) -> bool:
    if worker in retired:
        return True  # this process's earlier worker, stopped by a database outage
    host, _, rest = worker.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host == socket.gethostname()[:32] and pid_text.isdigit():
        return not _alive(int(pid_text))
    timeout = timedelta(seconds=settings.TASK_TIMEOUT)
    return started_at is not None and started_at < timezone.now() - timeout


@dataclass(frozen=True)
class Recovered:
    task: str
    record: str
    worker: str
    queued_again: bool


def _label(task_path: str) -> str | None:
    try:
        found = import_string(task_path)  # registers it (``background``)
    except ImportError:
        return None
    # An older row may name the task where it used to live (a ``tasks`` module that now
    # re-exports it): the registry knows it by where it is defined.
    return RECOVERABLE.get(getattr(found, "module_path", task_path))


def recover(retired: Collection[str] = ()) -> list[Recovered]:
    """Queue again the tasks whose worker died while running them, or whose database went away
    (see the module's text); ``retired``: this process's earlier worker ids."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    out: list[Recovered] = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if not worker or not _dead(worker, result.started_at, retired):
            continue
        with transaction.atomic():
            stopped = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=STOPPED,
                traceback=f"its worker {worker} stopped while running it",
            )
            if stopped:  # else another worker recovered it meanwhile
                why = (_("the database went away while it ran") if worker in retired
                       else _("the worker running it stopped"))  # fmt: skip
                out.append(_queue_again(result, worker, why))
    # The database came back before the worker noticed: the queue could record the failure,
    # the job's record could not.
    gone = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED,
        exception_class_path=UNAVAILABLE,
        finished_at__gte=timezone.now() - DATABASE_GONE_WINDOW,
    )
    for result in gone:
        worker = result.worker_ids[-1] if result.worker_ids else ""
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(
                pk=result.pk, exception_class_path=UNAVAILABLE
            ).update(exception_class_path=STOPPED)
            if taken:  # else another worker took it up meanwhile
                gone_away = _("the database went away while it ran")
                out.append(_queue_again(result, worker, gone_away))
    return out


def _queue_again(result: Any, worker: str, why: Words) -> Recovered:
    """Put the record of a stopped task back to *queued* and queue the task again, audited, in
    the caller's transaction; after ``MAX_RESTARTS`` stops, mark it failed instead."""
    from greenlane.apps.audit import services as audit
    from greenlane.apps.audit.models import AuditEvent

    label = _label(result.task_path)
    args = (result.args_kwargs or {}).get("args") or []
    record = f"{label}:{args[:1]}"
    requeue = False
    if label is not None and args:
        model = apps.get_model(label)
        stops = AuditEvent.objects.filter(
            action="jobs.task.recovered", data__record=record, data__queued_again=True
        ).count()
        # A record still *queued* lost its task before the task could claim it.
        mine = model.objects.filter(pk=args[0], status__in=("running", "queued"))
        if stops >= MAX_RESTARTS:
            mine.update(
                status="failed",
                finished_at=timezone.now(),
                message=_kept(
                    model,
                    "message",
                    _(
                        "stopped %(n)s times (%(why)s, the last time); not run again: look at "
                        "the worker's log, then run it again",
                        n=stops + 1,
                        why=why,
                    ),
                ),
            )
        else:
            fresh = {"progress": 0.0} if any(
                f.name == "progress" for f in model._meta.get_fields()
            ) else {}  # fmt: skip
            restarted = _kept(model, "message", _("restarted: %(why)s", why=why))
            requeue = bool(mine.update(status="queued", message=restarted, **fresh))
    audit.record(
        "jobs.task.recovered",
        None,
        ("jobs.task", str(result.pk)),
        {"task": result.task_path, "record": record, "worker": worker, "why": str(why),
         "queued_again": requeue},
    )  # fmt: skip
    if requeue:
        # A row of the queue, committed with the record's update; the record then names its
        # new task (a page that follows the task by id must not follow the stopped one).
        again = result.task.enqueue(*args)
        if any(f.name == "task_id" for f in model._meta.get_fields()):
            model.objects.filter(pk=args[0]).update(task_id=str(again.id))
    log.warning("task %s (%s) stopped: %s", result.pk, label, str(why))
    return Recovered(result.task_path, record, worker, requeue)


@receiver(task_finished)
def _after_an_outage(sender: Any, task_result: Any, **_: Any) -> None:
    """A job that met a database outage and whose failure the queue could record: the database
    is back, so queue it again now rather than at the next scheduled ``recover``."""
    if any(e.exception_class_path == UNAVAILABLE for e in task_result.errors):
        recover()
