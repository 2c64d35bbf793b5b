"""State changes of the declarations app that start from a person: uploads and results."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from greenlane import jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import (
    Declaration,
    IngestBatch,
    Inspection,
    InspectionCorrection,
    SavedMapping,
    Upload,
)
from greenlane.apps.declarations.permissions import INGEST_ROLES
from greenlane.apps.notices import services as notices
from greenlane.apps.wording import translated
from greenlane.core import errors
from greenlane.core.risk.mapping import (
    ColumnMapping,
    MappingError,
    load_file_or_name,
    named,
    parse,
    shipped,
    to_yaml,
)
from greenlane.core.risk.readers import FileError, detect_format
from greenlane.core.words import Day, Words, _


class UploadRefused(errors.Refused):
    """The upload cannot be queued; the message says why. The API answers 422, as it always
    has: the request is well formed, but its file or mapping cannot be processed."""

    status = 422


def submit_upload(
    user: User, file: UploadedFile, mapping_name: str, mapping_text: str = ""
) -> Upload:
    """Check what can be checked at once (type, size, mapping), store the file, queue the
    ingest: the upload, its audit event and its task commit together (``jobs.submit``)."""
    name = file.name or "upload"
    try:
        detect_format(PurePath(name))
        if mapping_text:
            mapping = parse(mapping_text, _("mapping file"))
        else:
            mapping, mapping_text = mapping_named(mapping_name)
    except (FileError, MappingError) as exc:
        raise UploadRefused(translated(exc.words)) from None
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if file.size is not None and file.size > limit:
        raise UploadRefused(
            translated(
                _(
                    "%(file)s is larger than the limit of %(size)s MB",
                    file=name, size=settings.MAX_UPLOAD_MB,
                )
            )
        )  # fmt: skip
    with jobs.atomic():
        upload = Upload(
            original_name=name[:255],
            mapping_name=mapping.name,
            mapping_text=mapping_text,
            uploaded_by=user,
        )
        upload.file.save(name, file, save=False)
        upload.save()
        audit.record(
            "declarations.upload.queued",
            user,
            upload,
            {"file": upload.original_name, "size": file.size, "mapping": mapping.name},
        )
        jobs.submit(ingest_upload, upload)
    return upload


# -- the ingest, in the background -------------------------------------------------------


def progress_key(upload_id: int) -> str:
    return f"greenlane:upload:{upload_id}:progress"


def progress_of(upload: Upload) -> tuple[int, int | None]:
    """Rows checked so far and rows expected; a finished ingest reports its batch's count."""
    if upload.status == Upload.Status.DONE and upload.batch is not None:
        return upload.batch.rows_read, upload.batch.rows_read
    done, total = cache.get(progress_key(upload.pk), (0, None))
    return done, total


def _failed(upload: Upload, message: str | Words) -> None:
    """``message``: the refusal's words (``jobs.background`` hands over ``exc.words``) or its
    text; the words ``ingest_upload`` kept on the upload, when it did, are stored instead."""
    upload.batch = None  # a batch set before the failure was rolled back with it
    _finish(upload, Upload.Status.FAILED, getattr(upload, "refusal", None) or message)


def _tell(upload: Upload, done: bool) -> None:
    message = upload.message
    notices.tell_outcome(
        upload.uploaded_by, done, what=_("The ingest of %(file)s", file=upload.original_name),
        message=Words.from_json(message) if isinstance(message, dict) else str(message),
        link=reverse("upload_detail", args=[upload.pk]), about=upload, roles=INGEST_ROLES,
    )  # fmt: skip


@jobs.background(
    "declarations.Upload",
    refused=(ingest.DuplicateFile, MappingError, FileError),
    fail=_failed,
    tell=_tell,
    stopped=_("an internal error stopped the ingest (upload %(pk)s); nothing was stored"),
)
def ingest_upload(upload: Upload) -> None:
    """Ingest a queued upload and record the outcome. A refusal's words are kept on the
    upload (``refusal``) for ``_failed`` to store, to be read in each reader's language."""
    try:
        _ingest_upload(upload)
    except (ingest.DuplicateFile, MappingError, FileError) as exc:
        upload.refusal = exc.words  # type: ignore[attr-defined]
        raise


def _ingest_upload(upload: Upload) -> None:
    mapping = (
        parse(upload.mapping_text, upload.mapping_name)
        if upload.mapping_text
        else named(upload.mapping_name)
    )
    # The batch and the upload's "done" commit together: a worker stopped between the two
    # would otherwise leave a stored batch under an upload that is run again, and refused as
    # a duplicate of itself.
    try:
        with transaction.atomic():
            result = ingest.ingest(
                Path(upload.file.path),
                mapping,
                actor=upload.uploaded_by,
                file_name=upload.original_name,
                progress=lambda done, total: cache.set(
                    progress_key(upload.pk), (done, total), 3600
                ),
            )
            upload.batch = result.batch
            _finish(upload, Upload.Status.DONE, _summary(result.batch))
    except ingest.DuplicateFile as exc:
        if not _stored_by(upload, exc.batch):
            raise
        # Its own batch, stored by an earlier run that stopped before it could say so (a
        # worker of a version that committed the two apart, or a lost commit reply): the data
        # is in, so the upload is done.
        upload.batch = exc.batch
        _finish(upload, Upload.Status.DONE, _summary(exc.batch))


def _summary(batch: IngestBatch) -> Words:
    return _(
        "%(read)s rows read: %(accepted)s accepted, %(rejected)s rejected",
        read=batch.rows_read, accepted=batch.rows_accepted, rejected=batch.rows_rejected,
    )  # fmt: skip


def _stored_by(upload: Upload, batch: IngestBatch) -> bool:
    """Whether ``batch`` (of the same content) is this upload's: stored for its uploader under
    its file name after it was handed in, and no other upload's."""
    return (
        batch.created_by_id == upload.uploaded_by_id
        and batch.file_name == upload.original_name[:255]
        and batch.created_at >= upload.created_at
        and not Upload.objects.filter(batch=batch).exclude(pk=upload.pk).exists()
    )


@transaction.atomic
def _finish(upload: Upload, status: str, message: str | Words) -> None:
    """Record the outcome; the message is stored as words (translated when read), and in
    English in the audit log."""
    stored = message.as_json() if isinstance(message, Words) else message
    upload.status, upload.message, upload.finished_at = status, stored, timezone.now()
    upload.save(update_fields=["status", "message", "finished_at", "batch"])
    audit.record(
        f"declarations.upload.{status}", upload.uploaded_by, upload, {"message": str(message)}
    )


class ResultRefused(errors.Refused):
    """The inspection result cannot be recorded or corrected; the message says why."""


REASON_MAX = 2_000  # characters of a correction's reason
NOTES_MAX = 5_000  # characters of an officer's notes


@dataclass(frozen=True)
class Result:
    """What an inspection found, as an officer records or corrects it."""

    fraud_found: bool
    critical: bool = False
    revenue_recovered: Decimal = Decimal(0)
    notes: str = ""
    inspected_on: date | None = None  # today when not given

    def checked(self, declaration: Declaration) -> Result:
        """The result with its date, once it holds together: nothing critical and nothing
        recovered without an irregularity, dated neither in the future nor before the
        declaration."""
        if self.critical and not self.fraud_found:
            raise ResultRefused(
                _("a finding can only be critical when an irregularity was found"), "critical"
            )
        if self.revenue_recovered < 0:
            raise ResultRefused(_("revenue recovered cannot be negative"), "revenue_recovered")
        if self.revenue_recovered > 0 and not self.fraud_found:
            raise ResultRefused(
                _("revenue can only be recovered when an irregularity was found"),
                "revenue_recovered",
            )
        today = timezone.localdate()
        day = self.inspected_on or today
        if day > today:
            raise ResultRefused(
                _(
                    "the inspection cannot be dated in the future (today is %(today)s)",
                    today=Day(today),
                ),
                "inspected_on",
            )
        if day < declaration.declaration_date:
            raise ResultRefused(
                _(
                    "the inspection cannot be dated before the declaration (%(day)s)",
                    day=Day(declaration.declaration_date),
                ),
                "inspected_on",
            )
        return replace(self, inspected_on=day)

    @classmethod
    def of(cls, inspection: Inspection) -> Result:
        return cls(
            inspection.fraud_found, inspection.critical, Decimal(inspection.revenue_recovered),
            inspection.notes, inspection.inspected_on,
        )  # fmt: skip

    def as_record(self) -> dict[str, Any]:
        """The values as the audit log and a correction keep them."""
        return {
            "fraud_found": self.fraud_found, "critical": self.critical,
            "revenue_recovered": f"{self.revenue_recovered:.2f}", "notes": self.notes,
            "inspected_on": self.inspected_on.isoformat() if self.inspected_on else None,
        }  # fmt: skip


def record_inspection(
    declaration: Declaration,
    actor: User,
    *,
    fraud_found: bool,
    critical: bool = False,
    revenue_recovered: Decimal = Decimal(0),
    notes: str = "",
    inspected_on: date | None = None,
) -> Inspection:
    """An officer's result for one declaration; it becomes a label for the next training."""
    result = Result(fraud_found, critical, revenue_recovered, notes, inspected_on)
    result = result.checked(declaration)
    if len(notes) > NOTES_MAX:
        raise ResultRefused(
            _("the notes are longer than %(most)s characters", most=NOTES_MAX), "notes"
        )
    with transaction.atomic():
        locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if Inspection.objects.filter(declaration=locked).exists():
            raise ResultRefused(
                _("declaration %(number)s already has a result", number=locked.number)
            )
        inspection = Inspection.objects.create(
            declaration=locked, recorded_by=actor, **_fields(result)
        )
        audit.record(
            "declarations.inspection.recorded",
            actor,
            locked,
            {
                "fraud_found": result.fraud_found,
                "critical": result.critical,
                "revenue_recovered": str(result.revenue_recovered),
            },
        )
    return inspection


def correct_inspection(
    inspection: Inspection, actor: User, result: Result, reason: str
) -> InspectionCorrection:
    """Correct a recorded result, with the reason, audited; the values replaced are kept on
    the correction. The next training learns from the corrected values."""
    reason = reason.strip()
    if not reason:
        raise ResultRefused(_("say why the result is corrected"), "reason")
    if len(reason) > REASON_MAX:
        raise ResultRefused(
            _("the reason is longer than %(most)s characters", most=REASON_MAX), "reason"
        )
    if len(result.notes) > NOTES_MAX:
        raise ResultRefused(
            _("the notes are longer than %(most)s characters", most=NOTES_MAX), "notes"
        )
    declaration = inspection.declaration
    result = result.checked(declaration)
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        before = Result.of(locked)
        if before == result:
            raise ResultRefused(_("the correction changes nothing: the result already says this"))
        for name, value in _fields(result).items():
            setattr(locked, name, value)
        locked.save(update_fields=list(_fields(result)))
        correction = InspectionCorrection.objects.create(
            inspection=locked,
            corrected_by=actor,
            reason=reason,
            before=before.as_record(),
            after=result.as_record(),
        )
        audit.record(
            "declarations.inspection.corrected",
            actor,
            declaration,
            {"reason": reason, "before": before.as_record(), "after": result.as_record()},
        )
    return correction


def _fields(result: Result) -> dict[str, Any]:
    return {
        "inspected_on": result.inspected_on, "fraud_found": result.fraud_found,
        "critical": result.critical, "revenue_recovered": result.revenue_recovered,
        "notes": result.notes,
    }  # fmt: skip


class MappingRefused(errors.Refused):
    """The mapping cannot be saved; the message says why."""


def mapping_named(name: str) -> tuple[ColumnMapping, str]:
    """A saved mapping by name, else a shipped one; with its YAML text when it is a saved one.
    Only names: what a request asks for never opens a file on the server."""
    saved = SavedMapping.objects.filter(name=name).first()
    if saved is not None:
        return parse(saved.text, _("saved mapping %(name)s", name=name)), saved.text
    return named(name), ""


def resolve_mapping_or_file(name_or_path: str) -> tuple[ColumnMapping, str]:
    """For the command line only, where a path is the user's own: a saved or shipped mapping
    by name, else a mapping file by path."""
    if SavedMapping.objects.filter(name=name_or_path).exists():
        return mapping_named(name_or_path)
    return load_file_or_name(name_or_path), ""


def save_mapping(user: User, mapping: ColumnMapping) -> SavedMapping:
    if mapping.name in shipped():
        raise MappingRefused(
            translated(
                _(
                    "%(name)s is the name of a shipped mapping; choose another",
                    name=repr(mapping.name),
                )
            )
        )
    text = to_yaml(mapping)
    with transaction.atomic():
        if SavedMapping.objects.select_for_update().filter(name=mapping.name).exists():
            raise MappingRefused(
                translated(_("a mapping named %(name)s exists already", name=repr(mapping.name)))
            )
        saved = SavedMapping.objects.create(
            name=mapping.name, title=mapping.title, kind=mapping.kind, text=text, created_by=user
        )
        audit.record(
            "declarations.mapping.saved", user, saved, {"name": mapping.name, "kind": mapping.kind}
        )
    return saved
