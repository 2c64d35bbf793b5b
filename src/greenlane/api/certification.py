"""AEO applications and their transitions; certificates; public verification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import Problem
from greenlane.api.parser import Id
from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.assessments.models import SelfAssessment
from greenlane.apps.assessments.permissions import EDIT_ROLES, editable_operator
from greenlane.apps.certification import documents, mra, services
from greenlane.apps.certification.models import Application, Certificate, MutualRecognition
from greenlane.apps.certification.permissions import (
    VIEW_ROLES,
    visible_applications,
    visible_certificates,
)
from greenlane.apps.certification.public import (
    NOT_VERIFIED,
    public_status,
    register_entries,
    retry_after,
    verified,
)
from greenlane.web.certification import KEPT, document_file

router = Router(tags=["certification"], auth=RoleAuth(VIEW_ROLES))
public = Router(tags=["public"], auth=None)


class ApplicationOut(Schema):
    id: int
    number: str
    operator: int
    programme: str
    version: str
    tier: str
    stage: str
    revision: int
    validator: int | None
    submitted_at: datetime
    decided_tier: str
    eligibility: dict[str, Any]
    certificate: str | None


class ApplicationIn(Schema):
    operator: Id
    tier: str
    snapshot: Id


class TransitionIn(Schema):
    validator: Id | None = None
    question: str = ""
    answer: str = ""
    planned_on: date | None = None
    plan: str = ""
    reason: str = ""
    tier: str = ""
    note: str = ""


class CertificateOut(Schema):
    number: str
    holder: str
    country: str
    programme: str
    tier: str
    status: str
    valid_from: date
    valid_to: date | None
    valid: bool


class CertificateTransitionIn(Schema):
    reason: str = ""
    until: date | None = None


def _out(a: Application) -> dict[str, Any]:
    certificate = Certificate.objects.filter(application=a).values_list("number", flat=True).first()
    eligibility = services.shown_eligibility(a.eligibility) if a.eligibility else a.eligibility
    return {
        "id": a.pk, "number": a.number, "operator": a.operator_id, "programme": a.programme,
        "version": a.version, "tier": a.tier, "stage": a.stage, "revision": a.revision,
        "validator": a.validator_id, "submitted_at": a.submitted_at, "decided_tier": a.decided_tier,
        "eligibility": eligibility, "certificate": certificate,
    }  # fmt: skip


@router.get(
    "/applications", response=list[ApplicationOut], summary="Applications the caller may see"
)
def list_applications(request: AuthenticatedRequest, stage: str = "") -> list[dict[str, Any]]:
    found = visible_applications(request.user).order_by("-submitted_at")
    if stage:
        found = found.filter(stage=stage)
    return [_out(a) for a in found[:500]]


@router.post(
    "/applications",
    auth=RoleAuth(EDIT_ROLES),
    response={201: ApplicationOut, 400: Problem, 404: Problem},
    summary="Apply for a tier of the administration's programme with a submitted self-test",
)
def create_application(request: AuthenticatedRequest, body: ApplicationIn) -> Status:
    operator = editable_operator(request.user, body.operator)
    snapshot = SelfAssessment.objects.filter(pk=body.snapshot, operator=operator).first()
    application = services.apply(operator, request.user, body.tier, snapshot)
    return Status(201, _out(application))


@router.get("/applications/{application_id}", response=ApplicationOut, summary="One application")
def get_application(request: AuthenticatedRequest, application_id: Id) -> dict[str, Any]:
    return _out(get_object_or_404(visible_applications(request.user), pk=application_id))


@router.post(
    "/applications/{application_id}/transitions/{name}",
    response={200: ApplicationOut, 400: Problem, 409: Problem},
    summary="Take a transition (assign, request_information, provide_information, "
    "plan_site_visit, recommend, return_to_validator, approve, reject, withdraw)",
    description="409 when the transition is not possible now or not for the caller; nothing "
    "changes then.",
)
def application_transition(
    request: AuthenticatedRequest, application_id: Id, name: str, body: TransitionIn
) -> Status:
    application = get_object_or_404(visible_applications(request.user), pk=application_id)
    data: dict[str, Any] = body.dict(exclude={"validator"}, exclude_unset=True)
    if body.validator is not None:
        data["validator"] = User.objects.filter(pk=body.validator).first()
    services.transition(application, request.user, name, **data)
    return Status(200, _out(application))


@router.post(
    "/certificates/{certificate_id}/transitions/{name}",
    response={200: CertificateOut, 400: Problem, 409: Problem},
    summary="Suspend, reinstate, revoke or surrender a certificate",
)
def certificate_transition(
    request: AuthenticatedRequest, certificate_id: Id, name: str, body: CertificateTransitionIn
) -> Status:
    certificate = get_object_or_404(visible_certificates(request.user), pk=certificate_id)
    services.certificate_transition(certificate, request.user, name, body.reason, body.until)
    return Status(200, public_status(certificate))


class DocumentOut(Schema):
    version: int
    created_at: datetime
    reason: str = Field(description="what made it: issued, suspended, reinstated, revoked, ...")
    status: str = Field(description="the certificate's status it shows")
    size: int
    sha256: str


PDF = {
    200: {
        "description": "The PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/certificates/{certificate_id}/documents",
    response=list[DocumentOut],
    summary="The versions of a certificate's PDF, oldest first",
)
def list_documents(request: AuthenticatedRequest, certificate_id: Id) -> list[Any]:
    certificate = get_object_or_404(visible_certificates(request.user), pk=certificate_id)
    return list(certificate.documents.all())


@router.get(
    "/certificates/{certificate_id}/document",
    summary="The certificate as a PDF, as it stands now",
    description="Made at once, and kept as a version, for a certificate issued before "
    "documents were kept.",
    openapi_extra={"responses": PDF},
)
def current_document(request: AuthenticatedRequest, certificate_id: Id) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=certificate_id)
    return document_file(documents.current(certificate, request.user))


@router.get(
    "/certificates/{certificate_id}/documents/{version}",
    summary="One version of a certificate's PDF, as it was made",
    openapi_extra={"responses": PDF},
)
def document_version(
    request: AuthenticatedRequest, certificate_id: Id, version: Id
) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=certificate_id)
    return document_file(get_object_or_404(certificate.documents, version=version), KEPT)


@public.get(
    "/certificates/{number}",
    response={200: CertificateOut, 404: Problem, 429: Problem},
    summary="Public: is this certificate valid? Number and verification code (no login)",
    description="`code` is the verification code printed on the certificate (hyphens and case "
    "do not matter). A wrong or missing code answers 404 exactly like a number that does not "
    "exist. More than the allowed attempts from one client address in ten minutes answer 429 "
    "with `Retry-After` (seconds).",
)
def verify_certificate(
    request: HttpRequest,
    number: str,
    code: str = Query("", description="the verification code printed on the certificate"),
) -> Status | HttpResponse:
    wait = retry_after(request)
    if wait:
        response = JsonResponse({"detail": _("too many verification attempts")}, status=429)
        response["Retry-After"] = str(wait)
        return response
    certificate = verified(number, code)
    if certificate is None:
        return Status(404, {"detail": NOT_VERIFIED})
    return Status(200, public_status(certificate))


@public.get(
    "/register",
    response=list[CertificateOut],
    summary="Public: AEOs whose holders agreed to be listed (no login)",
)
def public_register(request: HttpRequest, q: str = "") -> list[dict[str, Any]]:
    return [public_status(c) for c in register_entries(q)[:1000]]


class RecognitionOut(Schema):
    programme: str
    tier: str
    role: str = Field(description="the holder's operator type, when known")
    holder: str
    basis: str
    benefits: list[str]
    valid_from: date
    valid_to: date | None


class PartyOut(Schema):
    economy: str = Field(description="ISO 3166 code, or EU")
    programme: str | None = Field(description="catalogue id; null when not encoded")
    tiers: list[str] = Field(description="which of this party's AEOs are covered; empty: all")
    roles: list[str] = Field(description="operator types covered; empty: every role")


class SourceOut(Schema):
    title: str
    url: str


class MraOut(Schema):
    id: int
    kind: str = Field(description="bilateral or plurilateral")
    name: str
    parties: list[PartyOut]
    partner_programme: str = Field(description="empty: the partner's programme is not encoded")
    partner_authority: str
    partner_tiers: list[str]
    partner_roles: list[str]
    signed_on: date | None
    signed_as_sourced: str = Field(description="YYYY[-MM[-DD]] or unknown, as the source says")
    effective_from: date | None = Field(description="null: no source gives the day")
    effective_to: date | None
    effective_as_sourced: str
    benefits: list[str]
    sources: list[SourceOut]
    checked_on: date | None
    data_id: str | None = Field(description="the record id in catalogue/mras.yaml, if seeded")
    notes: str


mra_router = Router(tags=["mutual recognition"], auth=RoleAuth(mra.VIEW_ROLES))


@mra_router.get("/", response=list[MraOut], summary="The MRAs on record, with scope and sources")
def mras(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    return [_mra(m) for m in MutualRecognition.objects.all()]


def _mra(m: MutualRecognition) -> dict[str, Any]:
    parties = [
        {"economy": p.get("economy") or "", "programme": p.get("programme"),
         "tiers": p.get("tiers") or [], "roles": p.get("roles") or []}
        for p in m.parties
    ]  # fmt: skip
    typed = [{"title": "", "url": m.reference_url}] if m.reference_url else []
    return {
        "id": m.pk, "kind": m.kind, "name": m.name, "parties": parties,
        "partner_programme": m.partner_programme, "partner_authority": m.partner_authority,
        "partner_tiers": m.partner_tiers, "partner_roles": m.partner_roles,
        "signed_on": m.signed_on, "signed_as_sourced": m.signed_text or "unknown",
        "effective_from": m.effective_from, "effective_to": m.effective_to,
        "effective_as_sourced": m.effective_text or "unknown", "benefits": m.benefits,
        "sources": m.sources or typed,
        "checked_on": m.checked_on, "data_id": m.data_id, "notes": m.notes,
    }  # fmt: skip


@mra_router.get(
    "/status",
    response=list[RecognitionOut],
    summary="Is the operator with this identifier a recognised AEO on a date (default today)?",
)
def recognised(request: AuthenticatedRequest, identifier: str, on: date | None = None) -> list[Any]:
    return list(mra.status(identifier, on or timezone.localdate()))
