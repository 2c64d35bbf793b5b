"""Certificates of origin in the API: receive one (verified on arrival), list and read what
one's administration received, fetch the bytes exactly as received, read the trust list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import Problem
from greenlane.api.pagination import Pages
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.origin import services
from greenlane.apps.origin.models import OriginCertificate
from greenlane.apps.origin.permissions import (
    RECEIVE_ROLES,
    VIEW_ROLES,
    visible_anchors,
    visible_certificates,
    visible_verifications,
)
from greenlane.apps.wording import all_translated

router = Router(tags=["certificates of origin"], auth=RoleAuth(VIEW_ROLES))


class CertificateOut(Schema):
    id: int
    number: str
    partner: str
    agreement: str
    issue_date: date | None
    exporter_id: str
    importer_id: str
    status: str
    reasons: list[str]
    signer: str
    signed_at: datetime | None
    sha256: str
    size: int
    channel: str
    received_at: datetime

    @staticmethod
    def resolve_reasons(obj: OriginCertificate) -> list[str]:
        """Why it was rejected, in the language of the request (Accept-Language)."""
        return all_translated(obj.reason_words())


class CertificateDetailOut(CertificateOut):
    figures: dict[str, Any]


class AnchorOut(Schema):
    id: int
    partner: str
    label: str
    subject: str
    serial: str
    fingerprint: str
    is_authority: bool
    not_before: datetime
    not_after: datetime
    trusted_from: date
    retired_on: date | None
    retired_reason: str


@router.get(
    "/certificates",
    response=list[CertificateOut],
    summary="Certificates of origin my administration received, newest first",
)
@paginate(Pages)
def certificates(request: AuthenticatedRequest, number: str = "", status: str = "") -> Any:
    found = visible_certificates(request.user).defer("document", "figures")
    if number:
        found = found.filter(number=number)
    if status:
        found = found.filter(status=status)
    return found


@router.post(
    "/certificates",
    response={200: CertificateDetailOut, 201: CertificateDetailOut, 400: Problem},
    auth=RoleAuth(RECEIVE_ROLES),
    summary="Receive a certificate of origin (UBL XML): verified and kept, or rejected with "
    "the reasons (201); the same bytes again answer the first record (200)",
)
def receive(request: AuthenticatedRequest, file: UploadedFile = File(...)) -> Status:
    received = services.receive(
        request.user,
        request.user.organisation_id,
        file.read(services.MAX_DOCUMENT_BYTES + 1),
        OriginCertificate.Channel.API,
    )
    return Status(201 if received.created else 200, received.certificate)


@router.get(
    "/certificates/{certificate_id}",
    response=CertificateDetailOut,
    summary="One certificate: the verification's outcome and the figures its signature covers",
)
def certificate(request: AuthenticatedRequest, certificate_id: Id) -> Any:
    return get_object_or_404(
        visible_certificates(request.user).defer("document"), pk=certificate_id
    )


@router.get(
    "/certificates/{certificate_id}/document",
    response={200: None},
    summary="The certificate's bytes exactly as received (their SHA-256 is in the record)",
)
def document(request: AuthenticatedRequest, certificate_id: Id) -> HttpResponse:
    found = get_object_or_404(visible_certificates(request.user), pk=certificate_id)
    response = HttpResponse(bytes(found.document), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{found.pk}-{found.sha256[:12]}.xml"'
    return response


@router.get("/trust", response=list[AnchorOut], summary="The trust list: partners' certificates")
def trust(request: AuthenticatedRequest) -> Any:
    return visible_anchors(request.user)


class VerificationOut(Schema):
    id: int
    certificate_id: int
    questions: str
    sent_on: date
    due_on: date
    due_from: str
    extended_to: date | None
    released_against_guarantee: bool
    outcome: str
    reply_on: date | None
    note: str


class VerificationIn(Schema):
    questions: str
    sent_on: date | None = None
    due_on: date | None = None
    released_against_guarantee: bool = False


class CloseIn(Schema):
    outcome: str
    reply_on: date | None = None
    note: str = ""


@router.get(
    "/verifications",
    response=list[VerificationOut],
    summary="Verification requests: those waiting for a reply first, by the day it is due",
)
@paginate(Pages)
def verifications(request: AuthenticatedRequest) -> Any:
    return visible_verifications(request.user).order_by("-outcome", "due_on", "pk")


@router.post(
    "/certificates/{certificate_id}/verifications",
    response={201: VerificationOut, 400: Problem, 409: Problem},
    auth=RoleAuth(RECEIVE_ROLES),
    summary="Ask the exporting side to confirm a certificate (the reply is due when the "
    "agreement says, else on due_on); 409 when one is already waiting",
)
def raise_verification(
    request: AuthenticatedRequest, certificate_id: Id, body: VerificationIn
) -> Status:
    found = get_object_or_404(visible_certificates(request.user).only("pk"), pk=certificate_id)
    made = services.raise_verification(request.user, found.pk, **body.model_dump())
    return Status(201, made)


@router.post(
    "/verifications/{verification_id}/close",
    response={200: VerificationOut, 400: Problem, 409: Problem},
    auth=RoleAuth(RECEIVE_ROLES),
    summary="Record the outcome: confirmed, not_confirmed (with a note) or no_reply (once late)",
)
def close_verification(request: AuthenticatedRequest, verification_id: Id, body: CloseIn) -> Any:
    found = get_object_or_404(visible_verifications(request.user), pk=verification_id)
    return services.close_verification(request.user, found.pk, **body.model_dump())
