"""Applications, their review and decision, certificates, and public verification."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.accounts.roles import AEO_ROLES, Role
from greenlane.apps.assessments.models import SelfAssessment
from greenlane.apps.assessments.permissions import EDIT_ROLES, editable_operator
from greenlane.apps.certification import codes, documents, services, statistics
from greenlane.apps.certification.models import (
    Application,
    Certificate,
    CertificateDocument,
    Finding,
    SelfReview,
    stage_label,
)
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
    status_label,
    verification_url,
    verified,
)
from greenlane.apps.certification.public import expired as _expired
from greenlane.apps.correspondence import services as correspondence
from greenlane.apps.wording import said
from greenlane.core.certification import lifecycle
from greenlane.core.certification.lifecycle import APPLICATION, CERTIFICATE, NotAllowed
from greenlane.core.errors import Refused
from greenlane.web.correspondence import thread_of, timeline
from greenlane.web.exports import file_missing
from greenlane.web.middleware import takes_files
from greenlane.web.params import optional_date, optional_id
from greenlane.web.refusals import refusal


@role_required(EDIT_ROLES)
def application_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Apply for a tier with a submitted self-test; eligibility is checked and explained."""
    operator = editable_operator(request.user, pk)
    version = services.version_today()
    snapshots = list(
        operator.self_assessments.filter(status=SelfAssessment.Status.SUBMITTED).order_by(
            "-submitted_at"
        )
    )
    error, field, check = "", "", None
    tier = request.POST.get("tier") or request.GET.get("tier") or version.tiers[0].id
    chosen = next((s for s in snapshots if str(s.pk) == request.POST.get("snapshot")), None)
    if request.method == "POST":
        try:
            if chosen is None:
                raise services.Refused(_("choose a submitted self-test snapshot"), "snapshot")
            check = services.shown_eligibility(services.eligibility(operator, chosen, tier))
            if request.POST.get("action") == "apply":
                application = services.apply(operator, request.user, tier, chosen)
                messages.success(
                    request,
                    _("Application %(number)s submitted.") % {"number": application.number},
                )
                return redirect("application_detail", pk=application.pk)
        except services.Refused as exc:
            error, field = said(exc), exc.field
    context = {
        "operator": operator,
        "programme": services.programme(),
        "version": version,
        "snapshots": snapshots,
        "tier": tier,
        "chosen": chosen,
        "check": check,
        "error": error,
        "field": field,
    }
    return render(
        request, "certification/application_new.html", context, status=400 if error else 200
    )


@require_safe
@role_required(VIEW_ROLES)
def application_list(request: AuthenticatedRequest) -> HttpResponse:
    applications = (
        visible_applications(request.user)
        .select_related("operator", "validator")
        .prefetch_related("events")
    )
    stage = request.GET.get("stage", "")
    if stage:
        applications = applications.filter(stage=stage)
    if request.GET.get("mine") and request.user.role == Role.VALIDATOR:
        applications = applications.filter(validator=request.user)
    page = Paginator(applications.order_by("-submitted_at"), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(a, services.service_days(a, now)) for a in page]
    return render(
        request,
        "certification/application_list.html",
        {
            "page": page,
            "rows": rows,
            "stage": stage,
            "stages": [(s.value, stage_label(s.value)) for s in lifecycle.Stage],
            "standard": settings.SERVICE_STANDARD_DAYS,
        },
    )


def _application(request: AuthenticatedRequest, pk: int) -> Application:
    return get_object_or_404(
        visible_applications(request.user).select_related("operator", "validator", "snapshot"),
        pk=pk,
    )


@require_safe
@role_required(VIEW_ROLES)
def application_detail(
    request: AuthenticatedRequest, pk: int, status: int = 200, error: str = ""
) -> HttpResponse:
    application = _application(request, pk)
    return _render_detail(request, application, status, error)


def _render_detail(
    request: AuthenticatedRequest, application: Application, status: int = 200, error: str = ""
) -> HttpResponse:
    version = services.version_of(application)
    findings = {(f.criterion, f.stage): f for f in application.findings.all()}
    criteria = [
        {
            "criterion": c,
            "review": findings.get((c.id, "document_review")),
            "site": findings.get((c.id, "site_validation")),
        }
        for c in version.criteria
    ]
    actors = services.actors(request.user, application)
    thread = thread_of(request.user, application)
    context = {
        "application": application,
        "eligibility": services.shown_eligibility(application.eligibility or {}),
        "version": version,
        "criteria": criteria,
        "timeline": timeline(application.events.select_related("actor"), thread),
        "thread": thread,
        "requests": application.information_requests.all(),
        "visit": getattr(application, "site_visit", None),
        "certificate": Certificate.objects.filter(application=application).first(),
        "available": _available(request, application),
        "is_validator": lifecycle.Actor.VALIDATOR in actors,
        "validators": User.objects.filter(role=Role.VALIDATOR, is_active=True).order_by("username"),
        "service_days": services.service_days(application, timezone.now()),
        "standard": settings.SERVICE_STANDARD_DAYS,
        "results": Finding.Result.choices,
        "severities": Finding.Severity.choices,
        "tiers": [t.id for t in version.tiers],
        "error": error,
        "final": FINAL_APPLICATION,
    }
    return render(request, "certification/application_detail.html", context, status=status)


def _available(request: AuthenticatedRequest, application: Application) -> set[str]:
    """The steps the person may take on the application now."""
    actors = services.actors(request.user, application)
    return {t.name for t in lifecycle.available(APPLICATION, application.stage, actors)}


@require_POST
@takes_files("evidence")  # the answer to a request for information may bring files
@role_required(VIEW_ROLES)
def application_transition(request: AuthenticatedRequest, pk: int, name: str) -> HttpResponse:
    application = _application(request, pk)
    data: dict[str, Any] = {
        k: request.POST.get(k, "") for k in ("question", "answer", "plan", "reason", "tier", "note")
    }
    if "validator" in request.POST:
        chosen = optional_id(request.POST.get("validator"))
        data["validator"] = User.objects.filter(pk=chosen).first() if chosen else None
    if "planned_on" in request.POST:
        data["planned_on"] = optional_date(request.POST.get("planned_on"))
    if (
        name in FINAL_APPLICATION
        and request.POST.get("confirm") != "yes"
        and name in _available(request, application)  # else the service says why not
    ):
        return _render_detail(
            request,
            application,
            400,
            _not_done(FINAL_APPLICATION[name]),
        )
    files = request.FILES.getlist("files")
    if name == "provide_information" and files:  # the answer and its files, together
        refused = refusal(correspondence.answer, request.user, application, data["answer"], files)
    else:
        refused = refusal(services.transition, application, request.user, name, **data)
    if refused:
        return _render_detail(request, application, refused.status, said(refused))
    messages.success(request, _done(APPLICATION[name]))
    return redirect("application_detail", pk=application.pk)


@require_POST
@role_required({Role.VALIDATOR})
def finding_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    data = request.POST.dict()
    data["deadline"] = optional_date(request.POST.get("deadline"))
    if refused := refusal(services.record_finding, application, request.user, data):
        words = said(refused)
        if not isinstance(refused, NotAllowed):  # about the input: say which criterion's
            words = f"{data.get('criterion')}: {words}"
        return _render_detail(request, application, refused.status, words)
    return redirect(reverse("application_detail", args=[application.pk]) + "#findings")


@require_POST
@role_required({Role.VALIDATOR})
def finding_close(request: AuthenticatedRequest, pk: int, finding: int) -> HttpResponse:
    application = _application(request, pk)
    item = get_object_or_404(Finding, pk=finding, application=application)
    note = request.POST.get("closure_note", "")
    if refused := refusal(services.close_finding, item, request.user, note):
        return _render_detail(request, application, refused.status, said(refused))
    return redirect(reverse("application_detail", args=[application.pk]) + "#findings")


@require_POST
@role_required({Role.VALIDATOR})
def site_report(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    visited_on = optional_date(request.POST.get("visited_on"))
    report = request.POST.get("report", "")
    if refused := refusal(services.file_site_report, application, request.user, visited_on, report):
        return _render_detail(request, application, refused.status, said(refused))
    messages.success(request, _("On-site validation report filed."))
    return redirect(reverse("application_detail", args=[application.pk]) + "#visit")


# --------------------------------------------------------------------------- certificates


@require_safe
@role_required(VIEW_ROLES)
def certificate_list(request: AuthenticatedRequest) -> HttpResponse:
    certificates = visible_certificates(request.user).select_related("operator")
    q = request.GET.get("q", "").strip()
    if q:
        certificates = certificates.filter(Q(number__iexact=q) | Q(operator__name__icontains=q))
    page = Paginator(certificates, 50).get_page(request.GET.get("page"))
    return render(request, "certification/certificate_list.html", {"page": page, "q": q})


@require_safe
@role_required(VIEW_ROLES)
def certificate_detail(
    request: AuthenticatedRequest, pk: int, status: int = 200, error: str = ""
) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    return _render_certificate(request, certificate, status, error)


def _render_certificate(
    request: AuthenticatedRequest, certificate: Certificate, status: int = 200, error: str = ""
) -> HttpResponse:
    actors = services.certificate_actors(request.user, certificate)
    thread = thread_of(request.user, certificate)
    context = {
        "certificate": certificate,
        "timeline": timeline(certificate.events.select_related("actor"), thread),
        "thread": thread,
        "available": [
            (step, step_label(step), FINAL.get(step.name))
            for step in lifecycle.available(CERTIFICATE, certificate.status, actors)
        ],
        "can_consent": lifecycle.Actor.OPERATOR in actors,
        "can_reassess": lifecycle.Actor.DECIDER in actors
        and certificate.status in ("active", "suspended"),
        "reviews": certificate.reviews.all(),
        "today": timezone.localdate(),
        "snapshots": certificate.operator.self_assessments.filter(
            status=SelfAssessment.Status.SUBMITTED
        ).order_by("-submitted_at")[:10]
        if lifecycle.Actor.OPERATOR in actors
        else [],
        "error": error,
        "expired": _expired(certificate),
        "verification_code": codes.formatted(certificate.verification_code),
        "verification_url": verification_url(certificate),
        "documents": certificate.documents.order_by("-version"),
    }
    return render(request, "certification/certificate_detail.html", context, status=status)


#: Certificate steps that cannot be undone, and what they do: the page asks for a tick first.
#: Application steps with no way back, and what they do, for the tick box that confirms them.
FINAL_APPLICATION = {
    "reject": gettext_lazy(
        "the application ends: the company is told the reasons and must apply anew to be "
        "considered again."
    ),
    "withdraw": gettext_lazy(
        "the application ends here: customs stops its review, and only a new "
        "application can start it again."
    ),
}
FINAL = {
    "revoke": gettext_lazy(
        "the certificate ends for good: the operator loses its AEO status and benefits "
        "at once, the public register shows it as revoked, and only a new application can "
        "bring them back."
    ),
    "surrender": gettext_lazy(
        "the certificate ends for good: the company loses its AEO status and "
        "benefits at once, the public register shows it as surrendered, and only a new "
        "application can bring them back."
    ),
}


#: The steps' names on buttons and in messages (the lifecycle's own labels, in core, stay
#: English; these are the same words, translated).
STEP_LABELS = {
    "assign": gettext_lazy("Assign a validator"),
    "request_information": gettext_lazy("Request information"),
    "provide_information": gettext_lazy("Answer the request"),
    "plan_site_visit": gettext_lazy("Plan the on-site validation"),
    "recommend": gettext_lazy("Send to decision"),
    "return_to_validator": gettext_lazy("Return to the validator"),
    "approve": gettext_lazy("Approve and issue the certificate"),
    "reject": gettext_lazy("Reject"),
    "withdraw": gettext_lazy("Withdraw the application"),
    "suspend": gettext_lazy("Suspend"),
    "reinstate": gettext_lazy("Reinstate"),
    "revoke": gettext_lazy("Revoke"),
    "surrender": gettext_lazy("Surrender voluntarily"),
}


def step_label(step: lifecycle.Transition) -> Any:
    """A step's name as the reader sees it (the lifecycle's label for a step not listed)."""
    return STEP_LABELS.get(step.name, step.label)


def _not_done(consequence: Any) -> str:
    """The error of a final step sent without its tick."""
    return _("Not done: tick the box to confirm — %(consequence)s") % {"consequence": consequence}


def _done(step: lifecycle.Transition) -> str:
    """The message after a step."""
    return _("%(step)s: done.") % {"step": step_label(step)}


@require_POST
@role_required(VIEW_ROLES)
def certificate_transition(request: AuthenticatedRequest, pk: int, name: str) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    reason, until = request.POST.get("reason", ""), optional_date(request.POST.get("until"))
    if name in FINAL and request.POST.get("confirm") != "yes":
        return _render_certificate(request, certificate, 400, _not_done(FINAL[name]))
    if refused := refusal(
        services.certificate_transition, certificate, request.user, name, reason, until
    ):
        return _render_certificate(request, certificate, refused.status, said(refused))
    messages.success(request, _done(CERTIFICATE[name]))
    return redirect("certificate_detail", pk=certificate.pk)


STATISTICS_ROLES = frozenset(AEO_ROLES | {Role.STATISTICIAN})


@require_safe
@role_required(STATISTICS_ROLES)
def certification_statistics(request: AuthenticatedRequest) -> HttpResponse:
    organisation = request.user.organisation
    data = statistics.summary(organisation.country if organisation else None)
    return render(request, "certification/statistics.html", {"s": data})


# --------------------------------------------------------------------------- public


@require_POST
@role_required(VIEW_ROLES)
def certificate_consent(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    consent = request.POST.get("consent") == "yes"
    if refused := refusal(services.set_public_consent, certificate, request.user, consent):
        return _render_certificate(request, certificate, refused.status, said(refused))
    messages.success(request, _("Your choice about the public register is saved."))
    return redirect("certificate_detail", pk=certificate.pk)


@require_POST
@role_required(VIEW_ROLES)
def certificate_reassess(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    try:  # not ``refusal``: the page goes on with the application it opened
        application = services.open_reassessment(
            certificate, request.user, request.POST.get("reason", "")
        )
    except Refused as exc:
        return _render_certificate(request, certificate, exc.status, said(exc))
    messages.success(request, _("Reassessment %(number)s opened.") % {"number": application.number})
    return redirect("application_detail", pk=application.pk)


@require_POST
@role_required(VIEW_ROLES)
def self_review_submit(request: AuthenticatedRequest, pk: int, review: int) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    item = get_object_or_404(SelfReview, pk=review, certificate=certificate)
    chosen = optional_id(request.POST.get("snapshot"))
    snapshot = SelfAssessment.objects.filter(pk=chosen).first() if chosen else None
    if refused := refusal(services.submit_self_review, item, request.user, snapshot):
        return _render_certificate(request, certificate, refused.status, said(refused))
    messages.success(request, _("Self-review %(period)s handed in.") % {"period": item.period})
    return redirect("certificate_detail", pk=certificate.pk)


def register(request: HttpRequest) -> HttpResponse:
    """Public: the AEOs whose holders agreed to be listed, with status and validity."""
    q = request.GET.get("q", "").strip()
    found = register_entries(q)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    rows = [_shown(public_status(c)) for c in page]
    return render(request, "certification/register.html", {"page": page, "rows": rows, "q": q})


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    """A public status with its status as the reader sees it (``status`` stays the code)."""
    return entry | {"status_label": status_label(entry["status"])}


def verify(request: HttpRequest, number: str = "") -> HttpResponse:
    """Public: anyone holding a certificate checks it by its number and the verification code
    printed on it (or by scanning its QR code, which carries both). Decision record 0015."""
    number = (number or request.GET.get("number", "")).strip().upper()
    code = request.GET.get("code", "").strip()
    context: dict[str, Any] = {"number": number, "code": code, "found": None}
    if not (number and code):
        return render(request, "certification/verify.html", context)
    wait = retry_after(request)
    if wait:
        context["error"] = _("Too many checks from your address; try again later.")
        response = render(request, "certification/verify.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    certificate = verified(number, code)
    if certificate is None:
        context["error"] = _(NOT_VERIFIED)
        return render(request, "certification/verify.html", context, status=404)
    context["found"] = _shown(public_status(certificate))
    return render(request, "certification/verify.html", context)


@require_safe
@role_required(VIEW_ROLES)
def certificate_qr(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The QR code printed on the certificate: the verification page with number and code."""
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    out = io.BytesIO()
    documents.qr_code(verification_url(certificate)).save(out, kind="svg", scale=4, border=2)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


#: A version never changes; the current one may be replaced by the next change.
KEPT, CURRENT = "private, max-age=86400, immutable", "private, no-cache"


@require_safe
@role_required(VIEW_ROLES)
def certificate_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The certificate as a PDF, as it stands (made now if it was issued before documents
    were kept): for its holder, the holder's consultant and customs AEO staff."""
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    return document_file(documents.current(certificate, request.user))


@require_safe
@role_required(VIEW_ROLES)
def certificate_document(request: AuthenticatedRequest, pk: int, version: int) -> HttpResponse:
    """One version of the certificate's PDF, as it was made (never changed since)."""
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    return document_file(get_object_or_404(certificate.documents, version=version), KEPT)


def document_file(document: CertificateDocument, cache: str = CURRENT) -> HttpResponse:
    """A version of a certificate's PDF as a download (the API's too). Read whole: a few tens
    of kilobytes, and no file is left open for a client that never reads to the end."""
    name = f"{document.certificate.number}-v{document.version}.pdf"
    try:
        with document.file.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type="application/pdf")
    except FileNotFoundError:
        return file_missing(name)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = cache
    return response
