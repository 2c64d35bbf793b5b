"""Who may read and receive certificates of origin, and who keeps the trust list: the one
place the origin app decides it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from greenlane.apps.accounts.roles import Role
from greenlane.apps.origin.models import (
    OriginCertificate,
    RevocationList,
    TrustAnchor,
    VerificationRequest,
)

#: Those who judge preference claims at clearance and in targeting read and receive
#: certificates; only an administrator changes whom the administration trusts.
VIEW_ROLES = frozenset({Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})
RECEIVE_ROLES = VIEW_ROLES
TRUST_ROLES = frozenset({Role.ADMINISTRATOR})


def _customs_user(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in VIEW_ROLES)


def visible_certificates(user: Any) -> QuerySet[OriginCertificate]:
    """The certificates the user's own customs administration received; nothing for others."""
    if not _customs_user(user):
        return OriginCertificate.objects.none()
    return OriginCertificate.objects.filter(organisation_id=user.organisation_id)


def visible_anchors(user: Any) -> QuerySet[TrustAnchor]:
    if not _customs_user(user):
        return TrustAnchor.objects.none()
    return TrustAnchor.objects.filter(organisation_id=user.organisation_id)


def visible_revocation_lists(user: Any) -> QuerySet[RevocationList]:
    if not _customs_user(user):
        return RevocationList.objects.none()
    return RevocationList.objects.filter(organisation_id=user.organisation_id)


def can_keep_trust(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in TRUST_ROLES)


def visible_verifications(user: Any) -> QuerySet[VerificationRequest]:
    if not _customs_user(user):
        return VerificationRequest.objects.none()
    return VerificationRequest.objects.filter(organisation_id=user.organisation_id)
