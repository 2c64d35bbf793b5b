from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Path, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import Problem
from greenlane.api.pagination import Pages
from greenlane.api.parser import MAX_INTEGER, Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations import rollback
from greenlane.apps.declarations.models import (
    Declaration,
    IngestBatch,
    Inspection,
    RejectedRow,
    Upload,
)
from greenlane.apps.declarations.permissions import INGEST_ROLES, RESULT_ROLES
from greenlane.apps.declarations.services import (
    Result,
    correct_inspection,
    progress_of,
    record_inspection,
    submit_upload,
)
from greenlane.apps.targeting.permissions import SCORE_ROLES
from greenlane.apps.wording import translated

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
    rolled_back_at: datetime | None = Field(description="null while what it brought is on record")
    rollback_reason: str
    rollback_counts: dict[str, int] = Field(description="what the rollback removed, by kind")


class RollbackIn(Schema):
    reason: str = Field(max_length=2000, description="why the file is rolled back")


class RejectedOut(Schema):
    row: int
    reason: str = Field(description="why the row was rejected, in the request's language")
    raw: dict[str, object]

    @staticmethod
    def resolve_reason(obj: RejectedRow) -> str:
        return translated(obj.reason)


def _upload_out(upload: Upload) -> UploadOut:
    done, total = progress_of(upload)
    return UploadOut(
        id=upload.pk,
        file_name=upload.original_name,
        mapping=upload.mapping_name,
        status=upload.status,
        message=translated(upload.message),
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


@router.post(
    "/batches/{batch_id}/rollback",
    response={200: BatchOut, 400: Problem, 409: Problem},
    auth=RoleAuth(rollback.ROLLBACK_ROLES),
    summary="Roll back an ingested file: its declarations, results and scores leave the record",
    description="Refused (409) while later work stands on the file: inspection results recorded "
    "on its declarations by officers or by another file, or corrected results. The batch stays, "
    "marked with who rolled it back, when, why and what was removed; the same file can then be "
    "ingested again.",
)
def rollback_batch(request: AuthenticatedRequest, batch_id: Id, body: RollbackIn) -> IngestBatch:
    return rollback.roll_back(
        get_object_or_404(IngestBatch, pk=batch_id), request.user, body.reason
    )


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


class ResultIn(Schema):
    """An inspection result: nothing critical and nothing recovered without an irregularity,
    dated neither in the future nor before the declaration (today when not given)."""

    fraud_found: bool
    critical: bool = False
    revenue_recovered: Decimal = Field(default=Decimal(0), ge=0, max_digits=16, decimal_places=2)
    inspected_on: date | None = None
    notes: str = Field(default="", max_length=5000)

    def result(self) -> Result:
        return Result(
            self.fraud_found, self.critical, self.revenue_recovered, self.notes, self.inspected_on
        )


class CorrectionIn(ResultIn):
    reason: str = Field(min_length=1, max_length=2000, description="why the result changes")


class CorrectionOut(Schema):
    corrected_at: datetime
    corrected_by: str | None
    reason: str
    before: dict[str, object]
    after: dict[str, object]


class InspectionOut(Schema):
    declaration_id: int
    number: str
    inspected_on: date
    fraud_found: bool
    critical: bool
    revenue_recovered: Decimal
    notes: str
    corrections: list[CorrectionOut]


class ResultProblem(Schema):
    detail: str
    field: str | None = None


def _inspection_out(inspection: Inspection) -> InspectionOut:
    corrections = inspection.corrections.select_related("corrected_by")
    return InspectionOut(
        declaration_id=inspection.declaration_id,
        number=inspection.declaration.number,
        inspected_on=inspection.inspected_on,
        fraud_found=inspection.fraud_found,
        critical=inspection.critical,
        revenue_recovered=inspection.revenue_recovered,
        notes=inspection.notes,
        corrections=[
            CorrectionOut(
                corrected_at=c.corrected_at,
                corrected_by=c.corrected_by.username if c.corrected_by else None,
                reason=c.reason,
                before=c.before,
                after=c.after,
            )
            for c in corrections
        ],
    )


def _inspection(declaration_id: int) -> Inspection:
    return get_object_or_404(
        Inspection.objects.select_related("declaration"), declaration_id=declaration_id
    )


@router.get(
    "/{declaration_id}/inspection",
    response=InspectionOut,
    auth=RoleAuth(SCORE_ROLES),
    summary="A declaration's inspection result in force, with its corrections",
)
def get_inspection(request: AuthenticatedRequest, declaration_id: Id) -> InspectionOut:
    return _inspection_out(_inspection(declaration_id))


@router.post(
    "/{declaration_id}/inspection",
    response={201: InspectionOut, 400: ResultProblem},
    auth=RoleAuth(RESULT_ROLES),
    summary="Record a declaration's inspection result (a label for the next training)",
)
def post_inspection(request: AuthenticatedRequest, declaration_id: Id, body: ResultIn) -> Status:
    declaration = get_object_or_404(Declaration, pk=declaration_id)
    result = body.result()
    inspection = record_inspection(
        declaration, request.user, fraud_found=result.fraud_found, critical=result.critical,
        revenue_recovered=result.revenue_recovered, notes=result.notes,
        inspected_on=result.inspected_on,
    )  # fmt: skip
    return Status(201, _inspection_out(inspection))


@router.post(
    "/{declaration_id}/inspection/corrections",
    response={201: InspectionOut, 400: ResultProblem},
    auth=RoleAuth(RESULT_ROLES),
    summary="Correct a recorded result, with the reason; the values replaced are kept",
)
def post_correction(
    request: AuthenticatedRequest, declaration_id: Id, body: CorrectionIn
) -> Status:
    inspection = _inspection(declaration_id)
    correct_inspection(inspection, request.user, body.result(), body.reason)
    inspection.refresh_from_db()
    return Status(201, _inspection_out(inspection))
