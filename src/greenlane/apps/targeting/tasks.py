"""(Re)training in the background, queued from the models page or by the weekly schedule."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from greenlane.apps.targeting import retraining, services
from greenlane.apps.targeting.models import TrainingRun

log = logging.getLogger(__name__)


@task()
def retrain_model(run_id: int) -> str:
    """Claim a queued training run (only one worker can) and execute it."""
    claimed = TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.QUEUED).update(
        status=TrainingRun.Status.RUNNING
    )
    if not claimed:
        return "not queued"
    record = TrainingRun.objects.get(pk=run_id)

    def step(text: str, share: float) -> None:
        TrainingRun.objects.filter(pk=run_id).update(progress=share, message=text[:200])

    try:
        retraining.execute(record, step)
    except services.TrainingError as exc:
        _failed(run_id, str(exc))
        return "failed"
    except Exception:
        log.exception("training run %s failed", run_id)
        _failed(run_id, f"an internal error stopped the training (run {run_id}); nothing changed")
        return "failed"
    return "done"


def _failed(run_id: int, message: str) -> None:
    TrainingRun.objects.filter(pk=run_id).update(
        status=TrainingRun.Status.FAILED, message=message, finished_at=timezone.now()
    )
