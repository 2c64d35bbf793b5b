"""Changes to studies: create, hand in event files, queue a run, record its outcome."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from greenlane import analytics, jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.notices import services as notices
from greenlane.apps.trs.models import EventFile, Study
from greenlane.apps.trs.permissions import VIEW_ROLES
from greenlane.apps.wording import all_translated, translated
from greenlane.core import errors
from greenlane.core.trs import effect, events, metrics
from greenlane.core.trs import study as core_study
from greenlane.core.words import Words, english, read, stored

EVENT_SUFFIXES = (".csv", ".parquet")


class Refused(errors.Refused):
    """The change cannot be made; the message says why."""


def parse_targets(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise Refused(_("targets must be hours separated by commas, e.g. 24, 48, 72")) from None
    if not values or any(v <= 0 for v in values):
        raise Refused(_("give at least one target, each a positive number of hours"))
    return tuple(sorted(set(values)))


def engines() -> list[str]:
    """The engines this installation can run: PostgreSQL when it is the application's
    database, Spark when PySpark is installed."""
    out = [Study.Engine.DUCKDB.value]
    if analytics.is_postgres():
        out.append(Study.Engine.POSTGRES.value)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pass
    else:
        out.append(Study.Engine.SPARK.value)
    return out


def parse_rates(text: str) -> dict[str, tuple[float, float, float]]:
    """Rates per HS section, one a line (``XVI: 0.8, 1.5, 2.1``, % of value a day)."""
    sections = {name for _number, name in metrics.HS_SECTIONS}
    out: dict[str, tuple[float, float, float]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        section, _colon, values = line.partition(":")
        section = section.strip().upper()
        if section not in sections:
            raise Refused(
                _("line %(line)d: %(section)s is not an HS section (I to XXI)")
                % {"line": number, "section": repr(section)}
            )
        try:
            low, central, high = (float(v) for v in values.split(","))
        except ValueError:
            raise Refused(
                _("line %(line)d: give three rates, low, central, high") % {"line": number}
            ) from None
        if not 0 <= low <= central <= high:
            raise Refused(
                _("line %(line)d: rates must rise from low to central to high") % {"line": number}
            )
        out[section] = (low, central, high)
    return out


def study_settings(study: Study) -> tuple[metrics.Settings, effect.EffectSettings]:
    rates = {
        "*": (study.rate_low, study.rate_central, study.rate_high),
        **parse_rates(study.rates_by_section),
    }
    return (
        metrics.Settings(
            targets_hours=parse_targets(study.targets_hours),
            max_hours=study.max_hours,
            iqr_factor=study.iqr_factor,
        ),
        effect.EffectSettings(replicates=study.replicates, rates=rates),
    )


def create_study(user: User, **fields: Any) -> Study:
    parse_targets(fields.get("targets_hours") or "24, 48, 72")
    if fields.get("engine", Study.Engine.DUCKDB) not in engines():
        raise Refused(
            _("the %(engine)s engine is not available on this installation")
            % {"engine": fields["engine"]}
        )
    previous = fields.get("previous")
    if previous is not None and previous.organisation_id != user.organisation_id:
        raise Refused(_("the previous study must be one of your administration's"))
    with transaction.atomic():
        study = Study.objects.create(organisation=user.organisation, created_by=user, **fields)
        audit.record("trs.study.created", user, study, {"title": study.title})
    return study


def add_event_file(study: Study, user: User, file: UploadedFile) -> EventFile:
    name = PurePath(file.name or "events").name
    if PurePath(name).suffix.lower() not in EVENT_SUFFIXES:
        raise Refused(_("%(file)s: an event log is a .csv or .parquet file") % {"file": name})
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if file.size is not None and file.size > limit:
        raise Refused(
            _("%(file)s is larger than the limit of %(limit)s MB")
            % {"file": name, "limit": settings.MAX_UPLOAD_MB}
        )
    if study.status in (Study.Status.QUEUED, Study.Status.RUNNING):
        raise Refused(_("the study is running: add files when it has finished"))
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(prefix="greenlane-trs-") as folder:
        copy = Path(folder) / f"events{PurePath(name).suffix.lower()}"
        with copy.open("wb") as out:
            for chunk in file.chunks():
                digest.update(chunk)
                out.write(chunk)
        _check_events(copy, name)
    file.seek(0)
    try:
        with transaction.atomic():
            event_file = EventFile(
                study=study,
                original_name=name[:255],
                sha256=digest.hexdigest(),
                size=file.size or 0,
                uploaded_by=user,
            )
            event_file.file.save(name, file, save=False)
            event_file.save()
            audit.record(
                "trs.events.added",
                user,
                study,
                {"file": name, "size": event_file.size, "sha256": event_file.sha256},
            )
    except IntegrityError:
        raise Refused(
            _("%(file)s: this file is already part of the study") % {"file": name}
        ) from None
    return event_file


def _check_events(path: Path, name: str) -> None:
    """Refuse, when it is handed in, a file that is no event log or whose first rows are all
    rejected: found later, it would only fail the run."""
    try:
        sample = events.check_sample(path)
    except events.EventFileError as exc:
        words = exc.words
        if isinstance(words, Words) and "file" in words.params:  # the name it was handed in as
            words = Words(words.message, {**words.params, "file": name}, words.plural, words.count)
        raise Refused(translated(words).replace(path.name, name)) from None
    if sample is None:  # a long log: only its columns can be judged before the run
        return
    if sample.rows_read == 0:
        raise Refused(_("%(file)s: the file has no rows of events") % {"file": name})
    if sample.consignments.num_rows == 0:
        first = "; ".join(
            _("row %(row)s: %(reason)s")
            % {"row": r.row, "reason": "; ".join(all_translated(r.reasons))}
            for r in sample.rejected[:3]
        )
        raise Refused(
            ngettext(
                "%(file)s: none of its first %(count)s rows is a usable event record (%(reasons)s)",
                "%(file)s: none of its first %(count)s rows is a usable event record (%(reasons)s)",
                sample.rows_read,
            )
            % {
                "file": name,
                "count": number_format(sample.rows_read, force_grouping=True),
                "reasons": first,
            }
        )


def remove_event_file(study: Study, pk: int, user: User) -> str:
    """Take a file out of a study (a wrong or broken one); the study's last results, which
    counted it, are cleared until it runs again. Returns the file's name."""
    with transaction.atomic():
        locked = Study.objects.select_for_update().get(pk=study.pk)
        if locked.status in (Study.Status.QUEUED, Study.Status.RUNNING):
            raise Refused(_("the study is running: remove files when it has finished"))
        found = EventFile.objects.filter(study=locked, pk=pk).first()
        if found is None:
            raise Refused(_("this study has no such file"))
        name, kept_as = found.original_name, found.file.name
        found.delete()
        if locked.result is not None or locked.status != Study.Status.DRAFT:
            Study.objects.filter(pk=locked.pk).update(
                status=Study.Status.DRAFT,
                result=None,
                progress=0.0,
                message=stored(
                    Words(
                        gettext_noop(
                            "%(file)s was removed: run the study again for results from its "
                            "files now."
                        ),
                        {"file": name},
                    )
                ),
            )
        audit.record("trs.events.removed", user, locked, {"file": name, "sha256": found.sha256})
        storage = found.file.storage
        transaction.on_commit(lambda: storage.delete(kept_as))
    return name


def request_run(study: Study, user: User) -> Study:
    """Queue a run (claimed by one worker only); a finished study may be run again. The
    study's new state, its audit event and its task commit together (``jobs.submit``)."""
    if not study.files.exists():
        raise Refused(_("hand in at least one event file first"))
    if study.engine not in engines():
        raise Refused(
            _("the %(engine)s engine is not available on this installation")
            % {"engine": study.engine}
        )
    with jobs.atomic():
        claimed = (
            Study.objects.filter(pk=study.pk)
            .exclude(status__in=(Study.Status.QUEUED, Study.Status.RUNNING))
            .update(status=Study.Status.QUEUED, progress=0.0, progress_text="", message="")
        )
        if not claimed:
            raise Refused(_("the study is already queued or running"))
        audit.record("trs.study.queued", user, study, {"engine": study.engine})
        jobs.submit(run_study, study)
    return study


def finish(study_id: int, status: str, message: Words | str, result: dict[str, Any] | None) -> None:
    with transaction.atomic():
        study = Study.objects.select_for_update().get(pk=study_id)
        study.status, study.message, study.finished_at = status, stored(message), timezone.now()
        if result is not None:
            study.result = result
        study.progress = 1.0 if status == Study.Status.DONE else study.progress
        study.save(update_fields=["status", "message", "finished_at", "result", "progress"])
        audit.record(f"trs.study.{status}", None, study, {"message": english(message)})


def message(study: Study) -> Words | str:
    """The study's message to show, as words to translate: what a finished run measured (from
    its result); else the message it keeps (a refusal, an internal error, a removed file)."""
    if study.status == Study.Status.DONE and study.result:
        return core_study.outcome(study.result)
    return read(study.message)


def file_paths(study: Study) -> list[Any]:
    return [os.fspath(f.file.path) for f in study.files.all()]


# -- the study, in the background --------------------------------------------------------


def _failed(record: Study, message: str | Words) -> None:
    finish(record.pk, Study.Status.FAILED, message, None)


def _tell(record: Study, done: bool) -> None:
    record.refresh_from_db(fields=["status", "message", "result"])
    notices.tell_outcome(
        record.created_by, done, what=core_study.named(record.title),
        message=message(record), link=reverse("trs_detail", args=[record.pk]), about=record,
        roles=VIEW_ROLES,
    )  # fmt: skip


@jobs.background(
    "trs.Study",
    refused=(events.EventFileError, Refused, ValueError),
    fail=_failed,
    tell=_tell,
    stopped=gettext_noop(
        "an internal error stopped the study (study %(pk)s); the previous result is kept"
    ),
    claim={"progress": 0.0},
)
def run_study(record: Study) -> None:
    """Compute a queued study and record the outcome."""
    measured, effect_settings = study_settings(record)
    previous = record.previous.result if record.previous is not None else None
    result = core_study.run(
        [Path(p) for p in file_paths(record)],
        title=record.title,
        settings=measured,
        effect_settings=effect_settings,
        engine=record.engine,
        url=analytics.postgres_url() if record.engine == Study.Engine.POSTGRES else None,
        previous=previous if previous else None,
        step=jobs.step(record, "progress_text"),
    )
    finish(record.pk, Study.Status.DONE, core_study.outcome(result), result)
