"""The certificate as a document: a PDF made at issue and on every change, kept version by version.

Each version is rendered (WeasyPrint, ``certification/certificate_pdf.html``) inside the
transaction of the change it shows, so the list of versions and the certificate's state cannot
disagree, and it is never changed or removed. Its QR code carries ``public.verification_url``,
the same address as the QR code on the certificate's page. Decision record 0026.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.certification import codes
from greenlane.apps.certification.models import Certificate, CertificateDocument, CertificateEvent
from greenlane.apps.certification.public import verification_url
from greenlane.core.criteria.loader import shipped

Reason = CertificateDocument.Reason

#: The document made for each certificate transition (``lifecycle.CERTIFICATE``).
TRANSITION_REASONS = {
    "suspend": Reason.SUSPENDED,
    "reinstate": Reason.REINSTATED,
    "revoke": Reason.REVOKED,
    "surrender": Reason.SURRENDERED,
}
#: The document of a new certificate, by the kind of application that led to it.
ISSUE_REASONS = {
    "new": Reason.ISSUED,
    "renewal": Reason.RENEWED,
    "reassessment": Reason.REASSESSED,
}
#: What the PDF of a certificate no longer in force says, large, above everything else.
NOT_VALID = {
    "suspended": _("This certificate is suspended: while it is, it gives no AEO status."),
    "revoked": _("This certificate is revoked: it is no longer valid."),
    "surrendered": _("This certificate was surrendered by its holder: it is no longer valid."),
    "superseded": _("This certificate was replaced by a newer one: it is no longer valid."),
}
QR_SCALE = 4  # pixels per module of the QR code's image
QR_BORDER = 4  # modules of quiet zone around it, as the QR standard asks


def qr_code(url: str) -> segno.QRCode:
    """The QR code of ``url`` as printed (the page's SVG and the PDF's image alike)."""
    return segno.make(url, error="m")


def _titles(certificate: Certificate) -> tuple[str, str, str]:
    """The programme's title, the tier's title and the issuing authority, from the catalogue
    version the certificate was granted under (ids where the catalogue no longer has them)."""
    programme = shipped().programmes.get(certificate.programme)
    if programme is None:
        return certificate.programme, certificate.tier, settings.AUTHORITY_NAME
    version = programme.version_named(certificate.application.version)
    tiers = {t.id: t.title for t in version.tiers} if version else {}
    authority = settings.AUTHORITY_NAME or programme.authority
    return programme.title, tiers.get(certificate.tier, certificate.tier), authority


def _status_since(certificate: Certificate) -> date | None:
    """The day the certificate took its present status by a transition (None: since issue)."""
    last = certificate.events.order_by("-at", "-pk").first()
    return timezone.localdate(last.at) if last and last.to_status == certificate.status else None


def context(document: CertificateDocument) -> dict[str, Any]:
    """What the PDF shows: the certificate as it stands when ``document`` is made."""
    certificate = document.certificate
    programme, tier, authority = _titles(certificate)
    url = verification_url(certificate)
    return {
        "document": document,
        "certificate": certificate,
        "holder": certificate.operator,
        "programme": programme,
        "tier": tier,
        "authority": authority,
        "not_valid": NOT_VALID.get(certificate.status, ""),
        "since": _status_since(certificate),
        "made_on": timezone.localdate(document.created_at),
        "verification_code": codes.formatted(certificate.verification_code),
        "verification_url": url,
        "qr": qr_code(url).png_data_uri(scale=QR_SCALE, border=QR_BORDER),
    }


def render(document: CertificateDocument) -> bytes:
    import weasyprint

    # An official document: in the administration's language, whoever's action made it.
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("certification/certificate_pdf.html", context(document))
    return bytes(weasyprint.HTML(string=html).write_pdf())


def make(
    certificate: Certificate, user: User, reason: str, event: CertificateEvent | None = None
) -> CertificateDocument:
    """Render the certificate as the database now holds it and keep that as its next version,
    audited. Joins the transaction of the change it shows: if that is rolled back, so is the
    version (its file stays behind, referenced by nothing)."""
    with transaction.atomic():
        certificate = Certificate.objects.select_related("operator", "application").get(
            pk=certificate.pk
        )
        last = certificate.documents.aggregate(last=Max("version"))["last"] or 0
        document = CertificateDocument(
            certificate=certificate, version=last + 1, reason=reason, event=event,
            status=certificate.status, certificate_revision=certificate.revision,
            created_by=user, created_at=timezone.now(),
        )  # fmt: skip
        pdf = render(document)
        document.size, document.sha256 = len(pdf), hashlib.sha256(pdf).hexdigest()
        document.file.save(f"{certificate.number}-v{document.version}.pdf", ContentFile(pdf))
        audit.record(
            "certification.certificate.document_made",
            user,
            certificate,
            {"version": document.version, "reason": reason, "status": document.status,
             "sha256": document.sha256},
        )  # fmt: skip
    return document


def _showing(certificate: Certificate) -> CertificateDocument | None:
    """The newest version if it shows the certificate as it stands (its revision)."""
    newest = certificate.documents.order_by("-version").first()
    if newest is None or newest.certificate_revision != certificate.revision:
        return None
    return newest


def current(certificate: Certificate, user: User) -> CertificateDocument:
    """The newest version. A certificate issued before documents were kept has none that
    shows it as it stands: one is made now, by ``user``, and audited like any other."""
    found = _showing(certificate)
    if found is not None:
        return found
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        return _showing(locked) or make(locked, user, Reason.REQUESTED)
