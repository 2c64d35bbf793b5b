"""What anyone may know about a certificate: holder, programme, tier, status, validity."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from greenlane.apps.certification.models import Certificate
from greenlane.core.criteria.loader import shipped


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


def register_entries(q: str = "") -> QuerySet[Certificate]:
    """Certificates whose holders agreed to be listed, optionally matching a name or number."""
    certificates = Certificate.objects.filter(public_consent=True).select_related("operator")
    if q:
        certificates = certificates.filter(Q(number__iexact=q) | Q(operator__name__icontains=q))
    return certificates.order_by("operator__name", "number")
