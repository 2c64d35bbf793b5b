"""Running a study in the background, with its progress in the database."""

from __future__ import annotations

from pathlib import Path

from greenlane import analytics, jobs
from greenlane.apps.trs import services
from greenlane.apps.trs.models import Study
from greenlane.core.trs import events, study


def _failed(record: Study, message: str) -> None:
    services.finish(record.pk, Study.Status.FAILED, message, None)


@jobs.background(
    "trs.Study",
    refused=(events.EventFileError, services.Refused, ValueError),
    fail=_failed,
    stopped="an internal error stopped the study (study {pk}); the previous result is kept",
    claim={"progress": 0.0},
)
def run_study(record: Study) -> None:
    """Compute a queued study and record the outcome."""
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
        step=jobs.step(record, "progress_text"),
    )
    services.finish(record.pk, Study.Status.DONE, services.outcome(result), result)
