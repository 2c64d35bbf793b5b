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
            mapping = parse(mapping_text, "mapping file")
        else:
            mapping, mapping_text = mapping_named(mapping_name)
    except (FileError, MappingError) as exc:
        raise UploadRefused(str(exc)) from None
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if file.size is not None and file.size > limit:
        raise UploadRefused(f"{name} is larger than the limit of {settings.MAX_UPLOAD_MB} MB")
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


def _failed(upload: Upload, message: str) -> None:
    upload.batch = None  # a batch set before the failure was rolled back with it
    _finish(upload, Upload.Status.FAILED, message)


def _tell(upload: Upload, done: bool) -> None:
    notices.tell_outcome(
        upload.uploaded_by, done, what=f"The ingest of {upload.original_name}",
        message=upload.message, link=reverse("upload_detail", args=[upload.pk]), about=upload,
        roles=INGEST_ROLES,
    )  # fmt: skip


@jobs.background(
    "declarations.Upload",
    refused=(ingest.DuplicateFile, MappingError, FileError),
    fail=_failed,
    tell=_tell,
    stopped="an internal error stopped the ingest (upload {pk}); nothing was stored",
)
def ingest_upload(upload: Upload) -> None:
    """Ingest a queued upload and record the outcome."""
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


def _summary(batch: IngestBatch) -> str:
    return (
        f"{batch.rows_read:,} rows read: {batch.rows_accepted:,} accepted, "
        f"{batch.rows_rejected:,} rejected"
    )


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
def _finish(upload: Upload, status: str, message: str) -> None:
    upload.status, upload.message, upload.finished_at = status, message, timezone.now()
    upload.save(update_fields=["status", "message", "finished_at", "batch"])
    audit.record(f"declarations.upload.{status}", upload.uploaded_by, upload, {"message": message})


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
                "a finding can only be critical when an irregularity was found", "critical"
            )
        if self.revenue_recovered < 0:
            raise ResultRefused("revenue recovered cannot be negative", "revenue_recovered")
        if self.revenue_recovered > 0 and not self.fraud_found:
            raise ResultRefused(
                "revenue can only be recovered when an irregularity was found",
                "revenue_recovered",
            )
        today = timezone.localdate()
        day = self.inspected_on or today
        if day > today:
            raise ResultRefused(
                f"the inspection cannot be dated in the future (today is {today.isoformat()})",
                "inspected_on",
            )
        if day < declaration.declaration_date:
            raise ResultRefused(
                "the inspection cannot be dated before the declaration "
                f"({declaration.declaration_date.isoformat()})",
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
        raise ResultRefused(f"the notes are longer than {NOTES_MAX:,} characters", "notes")
    with transaction.atomic():
        locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if Inspection.objects.filter(declaration=locked).exists():
            raise ResultRefused(f"declaration {locked.number} already has a result")
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
        raise ResultRefused("say why the result is corrected", "reason")
    if len(reason) > REASON_MAX:
        raise ResultRefused(f"the reason is longer than {REASON_MAX:,} characters", "reason")
    if len(result.notes) > NOTES_MAX:
        raise ResultRefused(f"the notes are longer than {NOTES_MAX:,} characters", "notes")
    declaration = inspection.declaration
    result = result.checked(declaration)
    with transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        before = Result.of(locked)
        if before == result:
            raise ResultRefused("the correction changes nothing: the result already says this")
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
        return parse(saved.text, f"saved mapping {name}"), saved.text
    return named(name), ""


def resolve_mapping_or_file(name_or_path: str) -> tuple[ColumnMapping, str]:
    """For the command line only, where a path is the user's own: a saved or shipped mapping
    by name, else a mapping file by path."""
    if SavedMapping.objects.filter(name=name_or_path).exists():
        return mapping_named(name_or_path)
    return load_file_or_name(name_or_path), ""


def save_mapping(user: User, mapping: ColumnMapping) -> SavedMapping:
    if mapping.name in shipped():
        raise MappingRefused(f"{mapping.name!r} is the name of a shipped mapping; choose another")
    text = to_yaml(mapping)
    with transaction.atomic():
        if SavedMapping.objects.select_for_update().filter(name=mapping.name).exists():
            raise MappingRefused(f"a mapping named {mapping.name!r} exists already")
        saved = SavedMapping.objects.create(
            name=mapping.name, title=mapping.title, kind=mapping.kind, text=text, created_by=user
        )
        audit.record(
            "declarations.mapping.saved", user, saved, {"name": mapping.name, "kind": mapping.kind}
        )
    return saved
