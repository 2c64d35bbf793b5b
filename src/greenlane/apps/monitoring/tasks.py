"""Monitoring in the background, with its progress on the run record."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from greenlane.apps.monitoring import services
from greenlane.apps.monitoring.models import Run
from greenlane.core.monitoring.rules import RulesError

log = logging.getLogger(__name__)


@task()
def run_monitoring(run_id: int) -> str:
    """Claim a queued run (only one worker can) and execute it."""
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING
    )
    if not claimed:
        return "not queued"
    record = Run.objects.get(pk=run_id)

    def step(text: str, share: float) -> None:
        Run.objects.filter(pk=run_id).update(progress=share, message=text[:200])

    try:
        services.execute(record, step)
    except RulesError as exc:
        _failed(run_id, str(exc))
        return "failed"
    except Exception:
        log.exception("monitoring run %s failed", run_id)
        _failed(run_id, f"an internal error stopped the run (run {run_id}); nothing was stored")
        return "failed"
    return "done"


def _failed(run_id: int, message: str) -> None:
    Run.objects.filter(pk=run_id).update(
        status=Run.Status.FAILED, message=message, finished_at=timezone.now()
    )
