"""Background ingestion of uploaded files."""

from __future__ import annotations

from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from greenlane import jobs
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import IngestBatch, Upload
from greenlane.core.risk.mapping import MappingError, named, parse
from greenlane.core.risk.readers import FileError


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


@jobs.background(
    "declarations.Upload",
    refused=(ingest.DuplicateFile, MappingError, FileError),
    fail=_failed,
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
