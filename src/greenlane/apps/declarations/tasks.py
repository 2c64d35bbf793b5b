"""Background ingestion of uploaded files."""

from __future__ import annotations

from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from greenlane import jobs
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import Upload
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
    with transaction.atomic():
        result = ingest.ingest(
            Path(upload.file.path),
            mapping,
            actor=upload.uploaded_by,
            file_name=upload.original_name,
            progress=lambda done, total: cache.set(progress_key(upload.pk), (done, total), 3600),
        )
        upload.batch = result.batch
        _finish(
            upload,
            Upload.Status.DONE,
            f"{result.rows_read:,} rows read: {result.rows_accepted:,} accepted, "
            f"{result.rows_rejected:,} rejected",
        )


@transaction.atomic
def _finish(upload: Upload, status: str, message: str) -> None:
    upload.status, upload.message, upload.finished_at = status, message, timezone.now()
    upload.save(update_fields=["status", "message", "finished_at", "batch"])
    audit.record(f"declarations.upload.{status}", upload.uploaded_by, upload, {"message": message})
