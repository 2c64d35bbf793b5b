"""Pages of certificates of origin: those received (hand one in, read one, fetch its bytes)
and the trust list they are checked against (add a partner's certificate, retire one, add a
revocation list)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.origin import services
from greenlane.apps.origin.models import OriginCertificate, VerificationRequest
from greenlane.apps.origin.permissions import (
    RECEIVE_ROLES,
    TRUST_ROLES,
    VIEW_ROLES,
    can_keep_trust,
    visible_anchors,
    visible_certificates,
    visible_revocation_lists,
    visible_verifications,
)
from greenlane.apps.wording import all_translated
from greenlane.web.context import limit
from greenlane.web.keyset import Keyset
from greenlane.web.middleware import takes_files
from greenlane.web.refusals import shown

PAGES = Keyset(("-received_at", "-id"))


class ReceiveForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Certificate of origin"),
        help_text=gettext_lazy("UBL XML, as the partner's customs or authority sent it"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit(self.fields["file"], "origin")


class FilterForm(forms.Form):
    number = forms.CharField(required=False, label=gettext_lazy("Number"))
    status = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any")), *OriginCertificate.Status.choices],
    )


class AnchorForm(forms.Form):
    partner = forms.CharField(
        max_length=2,
        label=pgettext_lazy("economy that issues certificates of origin", "Partner"),
        help_text=gettext_lazy("ISO 3166 code, e.g. KR"),
    )
    file = forms.FileField(
        label=pgettext_lazy("an X.509 certificate", "Certificate"),
        help_text=gettext_lazy("The partner's root or issuing authority certificate (PEM or DER)"),
    )
    trusted_from = forms.DateField(
        required=False,
        label=gettext_lazy("Trusted from"),
        help_text=gettext_lazy("Empty: from the certificate's own start"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    label = forms.CharField(required=False, max_length=200, label=gettext_lazy("Label"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit(self.fields["file"], "origin")


class RetireForm(forms.Form):
    on = forms.DateField(
        label=gettext_lazy("Retired on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(max_length=500, label=gettext_lazy("Why"))


class RevocationForm(forms.Form):
    partner = forms.CharField(
        max_length=2, label=pgettext_lazy("economy that issues certificates of origin", "Partner")
    )
    file = forms.FileField(label=gettext_lazy("Revocation list (CRL, PEM or DER)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit(self.fields["file"], "origin")


class VerificationForm(forms.Form):
    questions = forms.CharField(
        label=gettext_lazy("Questions to the exporting side"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What to confirm, and the documents to send"),
    )
    sent_on = forms.DateField(
        label=gettext_lazy("Sent on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_on = forms.DateField(
        required=False,
        label=gettext_lazy("Reply due on"),
        help_text=gettext_lazy("Only where the agreement data gives no time for the reply"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    released_against_guarantee = forms.BooleanField(
        required=False, label=gettext_lazy("Goods released against a guarantee meanwhile")
    )


class ExtendForm(forms.Form):
    to = forms.DateField(
        label=gettext_lazy("Reply now due on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(max_length=500, label=gettext_lazy("Why"))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            c for c in VerificationRequest.Outcome.choices
            if c[0] != VerificationRequest.Outcome.PENDING
        ],
    )  # fmt: skip
    reply_on = forms.DateField(
        required=False,
        label=gettext_lazy("Reply received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        required=False,
        label=gettext_lazy("What the reply found"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@require_safe
@role_required(VIEW_ROLES)
def certificate_list(request: AuthenticatedRequest) -> HttpResponse:
    filters = FilterForm(request.GET or None)
    found = visible_certificates(request.user).defer("document", "figures")
    if filters.is_valid():
        if filters.cleaned_data["number"]:
            found = found.filter(number=filters.cleaned_data["number"].strip())
        if filters.cleaned_data["status"]:
            found = found.filter(status=filters.cleaned_data["status"])
    return render(
        request,
        "origin/list.html",
        {
            "page": PAGES.page(found, request),
            "filters": filters,
            "form": ReceiveForm() if request.user.role in RECEIVE_ROLES else None,
        },
    )


@require_POST
@role_required(RECEIVE_ROLES)
@takes_files("origin")
def certificate_receive(request: AuthenticatedRequest) -> HttpResponse:
    form = ReceiveForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the certificate's file."))
        return redirect("origin_list")
    with shown(request):
        upload = form.cleaned_data["file"]
        received = services.receive(
            request.user,
            request.user.organisation_id,
            upload.read(services.MAX_DOCUMENT_BYTES + 1),
            OriginCertificate.Channel.UPLOAD,
        )
        certificate = received.certificate
        if not received.created:
            messages.info(request, _("This very file was received before: here is its record."))
        elif certificate.status == OriginCertificate.Status.REJECTED:
            messages.error(request, _("The certificate was kept, and rejected: see the reasons."))
        else:
            messages.success(
                request, _("The certificate's signature and signer hold; it is recorded.")
            )
        return redirect("origin_detail", pk=certificate.pk)
    return redirect("origin_list")


@require_safe
@role_required(VIEW_ROLES)
def certificate_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user).defer("document"), pk=pk)
    context = _shown(certificate)
    verifications = [
        (v, _request_forms(v) if request.user.role in RECEIVE_ROLES else None)
        for v in certificate.verifications.select_related("raised_by", "closed_by")
    ]
    may_raise = (
        request.user.role in RECEIVE_ROLES
        and certificate.status != OriginCertificate.Status.REJECTED
        and not any(v.outcome == VerificationRequest.Outcome.PENDING for v, _f in verifications)
    )
    return render(
        request,
        "origin/detail.html",
        {
            **context,
            "verifications": verifications,
            "today": timezone.localdate(),
            "verification_form": VerificationForm(initial={"sent_on": timezone.localdate()})
            if may_raise
            else None,
        },
    )


def _shown(certificate: OriginCertificate) -> dict[str, Any]:
    """What the page and the PDF show of a certificate: the reasons in the reader's language,
    the parties and goods as the signature covers them (or as the document says, marked)."""
    figures = certificate.figures or {}
    parties = [
        (_("Exporter"), figures.get("exporter")),
        (_("Importer"), figures.get("importer")),
        (_("Issuing authority"), figures.get("issuer")),
    ]
    issue = {
        "original": _("original"),
        "retroactive": _("issued retroactively"),
        "replacement": _("replacement"),
    }
    figures = {**figures, "status": issue.get(figures.get("status") or "", figures.get("status"))}
    return {
        "certificate": certificate,
        "reasons": all_translated(certificate.reason_words()),
        "figures": figures,
        "parties": [(role, party) for role, party in parties if party],
    }


@require_safe
@role_required(VIEW_ROLES)
def certificate_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A readable PDF of the certificate (the signed original stays the XML file)."""
    import weasyprint

    certificate = get_object_or_404(visible_certificates(request.user).defer("document"), pk=pk)
    html = render_to_string(
        "origin/certificate_pdf.html",
        {**_shown(certificate), "printed": True, "printed_at": timezone.now()},
        request=request,
    )
    response = HttpResponse(bytes(weasyprint.HTML(string=html).write_pdf()), "application/pdf")
    name = f"{certificate.number or certificate.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _request_forms(request: VerificationRequest) -> dict[str, forms.Form] | None:
    if request.outcome != VerificationRequest.Outcome.PENDING:
        return None
    prefix = f"id_request_{request.pk}_%s"
    return {
        "extend": ExtendForm(auto_id=prefix.replace("request", "extend")),
        "close": CloseForm(auto_id=prefix.replace("request", "close")),
    }


@require_POST
@role_required(RECEIVE_ROLES)
def verification_raise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user).only("pk"), pk=pk)
    form = VerificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the questions and the day the request is sent."))
        return redirect("origin_detail", pk=certificate.pk)
    with shown(request):
        services.raise_verification(request.user, certificate.pk, **form.cleaned_data)
        messages.success(request, _("The verification request is recorded."))
    return redirect("origin_detail", pk=certificate.pk)


def _verification(request: AuthenticatedRequest, pk: int) -> VerificationRequest:
    return get_object_or_404(visible_verifications(request.user), pk=pk)


@require_POST
@role_required(RECEIVE_ROLES)
def verification_extend(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _verification(request, pk)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new day and the reason."))
        return redirect("origin_detail", pk=found.certificate_id)
    with shown(request):
        services.extend_verification(request.user, found.pk, **form.cleaned_data)
        messages.success(request, _("The reply is now due later."))
    return redirect("origin_detail", pk=found.certificate_id)


@require_POST
@role_required(RECEIVE_ROLES)
def verification_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _verification(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the outcome."))
        return redirect("origin_detail", pk=found.certificate_id)
    with shown(request):
        services.close_verification(request.user, found.pk, **form.cleaned_data)
        messages.success(request, _("The outcome is recorded."))
    return redirect("origin_detail", pk=found.certificate_id)


@require_safe
@role_required(VIEW_ROLES)
def verification_list(request: AuthenticatedRequest) -> HttpResponse:
    found = visible_verifications(request.user).select_related("certificate")
    pending = found.filter(outcome=VerificationRequest.Outcome.PENDING)
    return render(
        request,
        "origin/verifications.html",
        {
            "pending": pending,
            "closed": found.exclude(outcome=VerificationRequest.Outcome.PENDING).order_by(
                "-sent_on", "-pk"
            )[:100],
            "today": timezone.localdate(),
        },
    )


@require_safe
@role_required(VIEW_ROLES)
def certificate_document(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(visible_certificates(request.user), pk=pk)
    response = HttpResponse(bytes(certificate.document), content_type="application/xml")
    name = f"{certificate.number or certificate.pk}-{certificate.sha256[:12]}.xml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
@role_required(VIEW_ROLES)
def trust(request: AuthenticatedRequest) -> HttpResponse:
    keeper = can_keep_trust(request.user)
    today = timezone.localdate()
    anchors = [
        (a, RetireForm(auto_id=f"id_retire_{a.pk}_%s", initial={"on": today}) if keeper else None)
        for a in visible_anchors(request.user)
    ]
    return render(
        request,
        "origin/trust.html",
        {
            "anchors": anchors,
            "crls": visible_revocation_lists(request.user).defer("der"),
            "anchor_form": AnchorForm() if keeper else None,
            "crl_form": RevocationForm() if keeper else None,
        },
    )


@require_POST
@role_required(TRUST_ROLES)
@takes_files("origin")
def trust_add(request: AuthenticatedRequest) -> HttpResponse:
    form = AnchorForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Give the partner and the certificate's file."))
        return redirect("origin_trust")
    with shown(request):
        data = form.cleaned_data
        anchor = services.add_anchor(
            request.user,
            data["partner"],
            data["file"].read(1 << 20),
            data["trusted_from"],
            data["label"],
        )
        messages.success(
            request,
            _("%(subject)s is trusted for %(partner)s.")
            % {"subject": anchor.subject, "partner": anchor.partner},
        )
    return redirect("origin_trust")


@require_POST
@role_required(TRUST_ROLES)
def trust_retire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day and the reason."))
        return redirect("origin_trust")
    with shown(request):
        anchor = services.retire_anchor(
            request.user, pk, form.cleaned_data["on"], form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("%(subject)s is retired from %(day)s.")
            % {"subject": anchor.subject, "day": anchor.retired_on},
        )
    return redirect("origin_trust")


@require_POST
@role_required(TRUST_ROLES)
@takes_files("origin")
def trust_crl(request: AuthenticatedRequest) -> HttpResponse:
    form = RevocationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Give the partner and the revocation list's file."))
        return redirect("origin_trust")
    with shown(request):
        recorded = services.add_revocation_list(
            request.user, form.cleaned_data["partner"], form.cleaned_data["file"].read(1 << 22)
        )
        messages.success(
            request, _("Revocation list of %(issuer)s recorded.") % {"issuer": recorded.issuer}
        )
    return redirect("origin_trust")
