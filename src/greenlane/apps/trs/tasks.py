"""Running a study in the background, with its progress in the database."""

from __future__ import annotations

import logging
from pathlib import Path

from django_tasks import task

from greenlane import analytics
from greenlane.apps.trs import services
from greenlane.apps.trs.models import Study
from greenlane.core.trs import events, study

log = logging.getLogger(__name__)


@task()
def run_study(study_id: int) -> str:
    """Claim a queued study (only one worker can), compute it, record the outcome."""
    claimed = Study.objects.filter(pk=study_id, status=Study.Status.QUEUED).update(
        status=Study.Status.RUNNING, progress=0.0
    )
    if not claimed:
        return "not queued"  # already taken or finished: never run twice at once
    record = Study.objects.get(pk=study_id)

    def step(text: str, share: float) -> None:
        Study.objects.filter(pk=study_id).update(progress=share, progress_text=text[:200])

    try:
        settings, effect_settings = services.study_settings(record)
        previous = record.previous.result if record.previous is not None else None
        result = study.run(
            [Path(p) for p in services.file_paths(record)],
            title=record.title,
            settings=settings,
            effect_settings=effect_settings,
            engine=record.engine,
            url=analytics.postgres_url() if record.engine == Study.Engine.POSTGRES else None,
            previous=previous if previous else None,
            step=step,
        )
    except (events.EventFileError, services.Refused, ValueError) as exc:
        services.finish(study_id, Study.Status.FAILED, str(exc), None)
        return "failed"
    except Exception:
        log.exception("time release study %s failed", study_id)
        services.finish(
            study_id,
            Study.Status.FAILED,
            f"an internal error stopped the study (study {study_id}); the previous result is kept",
            None,
        )
        return "failed"
    services.finish(study_id, Study.Status.DONE, services.outcome(result), result)
    return "done"
