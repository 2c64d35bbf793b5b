"""(Re)training in the background, queued from the models page or by the weekly schedule."""

from __future__ import annotations

from greenlane import jobs
from greenlane.apps.targeting import retraining, services
from greenlane.apps.targeting.models import TrainingRun


@jobs.background(
    "targeting.TrainingRun",
    refused=(services.TrainingError,),
    stopped="an internal error stopped the training (run {pk}); nothing changed",
    audit_as="targeting.training",
)
def retrain_model(record: TrainingRun) -> None:
    """Execute a queued training run."""
    retraining.execute(record, jobs.step(record))
