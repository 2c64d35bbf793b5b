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
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

#: Task path -> the model of the record it works on (its first argument is the record's pk).
RECOVERABLE = {
    "greenlane.apps.declarations.tasks.ingest_upload": "declarations.Upload",
    "greenlane.apps.trs.tasks.run_study": "trs.Study",
    "greenlane.apps.monitoring.tasks.run_monitoring": "monitoring.Run",
    "greenlane.apps.targeting.tasks.retrain_model": "targeting.TrainingRun",
    "greenlane.apps.targeting.simulation_tasks.run_simulation": "targeting.SimulationRun",
}


def worker_id() -> str:
    """Host, process and a random part: unique in the pool, and says where the worker ran."""
    host = socket.gethostname()[:32]
    return f"{host}:{os.getpid()}:{secrets.token_hex(6)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def _dead(worker: str, started_at: Any) -> bool:
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


def recover() -> list[Recovered]:
    """Queue again the tasks whose worker died while running them (see the module's text)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from greenlane.apps.audit import services as audit

    out: list[Recovered] = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if not worker or not _dead(worker, result.started_at):
            continue
        label = RECOVERABLE.get(result.task_path)
        args = (result.args_kwargs or {}).get("args") or []
        with transaction.atomic():
            stopped = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="greenlane.jobs.WorkerStopped",
                traceback=f"its worker {worker} stopped while running it",
            )
            if not stopped:
                continue  # another worker recovered it meanwhile
            requeue = False
            if label is not None and args:
                model = apps.get_model(label)
                requeue = bool(
                    model.objects.filter(pk=args[0], status="running").update(
                        status="queued",
                        message="restarted: the worker running it stopped",
                    )
                )
            audit.record(
                "jobs.task.recovered",
                None,
                ("jobs.task", str(result.pk)),
                {"task": result.task_path, "record": f"{label}:{args[:1]}", "worker": worker,
                 "queued_again": requeue},
            )  # fmt: skip
            if requeue:
                task = result.task
                transaction.on_commit(lambda task=task, args=args: task.enqueue(*args))
        out.append(Recovered(result.task_path, f"{label}:{args[:1]}", worker))
        log.warning("task %s (%s) was stopped with its worker %s", result.pk, label, worker)
    return out
