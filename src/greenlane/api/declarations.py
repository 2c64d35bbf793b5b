from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import File, Form, Path, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from greenlane.api.auth import RoleAuth
from greenlane.api.pagination import Pages
from greenlane.api.parser import MAX_INTEGER, Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations.models import IngestBatch, RejectedRow, Upload
from greenlane.apps.declarations.permissions import INGEST_ROLES
from greenlane.apps.declarations.services import progress_of, submit_upload

router = Router(tags=["declarations"], auth=RoleAuth(INGEST_ROLES))


class UploadOut(Schema):
    id: int
    file_name: str
    mapping: str
    status: str
    message: str
    rows_done: int
    rows_expected: int | None
    batch_id: int | None


class BatchOut(Schema):
    id: int
    kind: str
    file_name: str
    sha256: str
    file_format: str
    mapping: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    inspections: int
    created_at: datetime


class RejectedOut(Schema):
    row: int
    reason: str
    raw: dict[str, object]


def _upload_out(upload: Upload) -> UploadOut:
    done, total = progress_of(upload)
    return UploadOut(
        id=upload.pk,
        file_name=upload.original_name,
        mapping=upload.mapping_name,
        status=upload.status,
        message=upload.message,
        rows_done=done,
        rows_expected=total,
        batch_id=upload.batch_id,
    )


@router.post(
    "/uploads", response={202: UploadOut}, summary="Hand in a file to ingest in the background"
)
def create_upload(
    request: AuthenticatedRequest, file: UploadedFile = File(...), mapping: str = Form("kcs")
) -> Status:
    upload = submit_upload(request.user, file, mapping)
    return Status(202, _upload_out(upload))


@router.get("/uploads/{upload_id}", response=UploadOut, summary="Status and progress of an upload")
def get_upload(request: AuthenticatedRequest, upload_id: Id) -> UploadOut:
    return _upload_out(get_object_or_404(Upload.objects.select_related("batch"), pk=upload_id))


@router.get("/batches", response=list[BatchOut], summary="Ingested files, newest first")
@paginate(Pages)
def list_batches(request: AuthenticatedRequest) -> list[IngestBatch]:
    return IngestBatch.objects.all()  # type: ignore[return-value]


@router.get("/batches/{batch_id}", response=BatchOut, summary="One ingest report")
def get_batch(request: AuthenticatedRequest, batch_id: Id) -> IngestBatch:
    return get_object_or_404(IngestBatch, pk=batch_id)


@router.get(
    "/batches/{batch_id}/rejected", response=list[RejectedOut], summary="Rejected rows with reasons"
)
@paginate(Pages)
def list_rejected(
    request: AuthenticatedRequest,
    # paginate's wrapper resolves annotations in its own module, where Id is unknown
    batch_id: int = Path(..., ge=1, le=MAX_INTEGER),
) -> list[RejectedRow]:
    batch = get_object_or_404(IngestBatch, pk=batch_id)
    return batch.rejected_rows.order_by("row")  # type: ignore[return-value]
