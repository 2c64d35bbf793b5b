"""A monitoring run that cannot be queued is not kept: the day's run can be asked for again.

The run, its audit event and its row in the queue commit together (``jobs.submit``). A run
created in one step and queued in another stayed *queued* with no task when the queue's row
could not be written; ``recover`` found nothing to requeue, and the one-scheduled-run-a-day
constraint refused every later try: the day was never monitored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import OperationalError
from django.test import override_settings
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.monitoring import services
from greenlane.apps.monitoring.models import Run

DAY = date(2026, 6, 30)
ASKING: dict[str, Callable[[], Run | None]] = {
    "an officer": lambda: services.request_run(DAY, None),
    "the daily schedule": lambda: services.schedule_due(DAY),
}


@pytest.fixture
def queue_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queue's row cannot be written the first time (the database refused it)."""
    real, failed = DatabaseBackend.enqueue, []

    def enqueue(self: Any, task: Any, args: Any, kwargs: Any) -> Any:
        if not failed:
            failed.append(task.module_path)
            raise OperationalError("could not write the queue's row")
        return real(self, task, args, kwargs)

    monkeypatch.setattr(DatabaseBackend, "enqueue", enqueue)
    return failed


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ASKING)
def test_it_keeps_no_run_it_could_not_queue_and_queues_the_day_on_the_next_try(
    who: str, queue_fails_once: list[str]
) -> None:
    ask = ASKING[who]
    with pytest.raises(OperationalError):
        ask()
    assert [path.rsplit(".", 1)[-1] for path in queue_fails_once] == ["run_monitoring"]
    assert not Run.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="monitoring.run.").exists()
    run = ask()  # the next try, the same day
    assert run is not None
    assert (run.status, run.as_of) == (Run.Status.QUEUED, DAY)
    task = DBTaskResult.objects.get()
    assert run.task_id == str(task.id)
    assert task.args_kwargs["args"] == [run.pk]
    assert AuditEvent.objects.filter(action__startswith="monitoring.run.").count() == 1
