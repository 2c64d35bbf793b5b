"""What anyone may know about a certificate: holder, programme, tier, status, validity.

Two ways in, decision record 0015: the register lists the certificates whose holders agreed to
be listed; anyone else's certificate answers only to its number *and* the verification code
printed on it, and a wrong pair answers exactly like a number that does not exist. Attempts are
counted per client address in the shared cache, so guessing codes is slow on every process.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop, pgettext_lazy

from greenlane.apps.accounts import limits
from greenlane.apps.certification import codes
from greenlane.apps.certification.models import Certificate, certificate_status_label
from greenlane.core.criteria.loader import shipped

#: In English for the API; a page shows it translated (``gettext(NOT_VERIFIED)``).
NOT_VERIFIED = gettext_noop("No certificate matches this number and verification code.")
#: The public status of an active certificate whose validity has ended.
EXPIRED = pgettext_lazy("status of a certificate", "expired")


def expired(certificate: Certificate) -> bool:
    return certificate.valid_to is not None and certificate.valid_to < timezone.localdate()


def public_status(certificate: Certificate) -> dict[str, Any]:
    """Nothing private: no findings, no self-test, no identifiers beyond the holder's name."""
    status = (
        "expired" if expired(certificate) and certificate.status == "active" else certificate.status
    )
    programmes = shipped().programmes
    title = (
        programmes[certificate.programme].title
        if certificate.programme in programmes
        else certificate.programme
    )
    return {
        "number": certificate.number,
        "holder": certificate.operator.name,
        "country": certificate.operator.country,
        "programme": title,
        "tier": certificate.tier,
        "status": status,
        "valid_from": certificate.valid_from,
        "valid_to": certificate.valid_to,
        "valid": status == "active",
    }


def status_label(status: str) -> Any:
    """A public status (``public_status(...)["status"]``) as a reader sees it."""
    return EXPIRED if status == "expired" else certificate_status_label(status)


def verification_url(certificate: Certificate) -> str:
    """The public check of ``certificate``, with its number and code: the address its QR code
    carries, on the page and on the PDF alike. Absolute, under ``GREENLANE_SITE_URL``, since
    documents are made in services, where there is no request to take the host from."""
    path = reverse("verify_number", args=[certificate.number])
    query = urlencode({"code": codes.formatted(certificate.verification_code)})
    return f"{settings.SITE_URL}{path}?{query}"


def register_entries(q: str = "") -> QuerySet[Certificate]:
    """Certificates whose holders agreed to be listed, optionally matching a name or number."""
    certificates = Certificate.objects.filter(public_consent=True).select_related("operator")
    if q:
        certificates = certificates.filter(Q(number__iexact=q) | Q(operator__name__icontains=q))
    return certificates.order_by("operator__name", "number")


def verified(number: str, code: str) -> Certificate | None:
    """The certificate with this number and code, or None; nothing tells the two misses apart."""
    number, code = number.strip().upper(), codes.normalise(code)
    if not number or not code or "\x00" in number:  # PostgreSQL refuses NUL in text
        return None
    found = Certificate.objects.filter(number=number, verification_code=code)
    return found.select_related("operator").first()


def retry_after(request: HttpRequest) -> int:
    """Count one verification attempt from the request's client address; while the address is
    over ``VERIFICATION_ATTEMPTS`` per ``VERIFICATION_WINDOW`` seconds, the seconds to wait
    (else 0). A fixed window per address in the cache every process shares."""
    return limits.retry_after(
        f"verify-attempts:{get_client_ip_address(request) or 'unknown'}",
        settings.VERIFICATION_ATTEMPTS,
        settings.VERIFICATION_WINDOW,
    )
