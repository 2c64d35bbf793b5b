"""Who may see which operators: the one place the operators app decides it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from greenlane.apps.accounts.roles import AEO_ROLES, CUSTOMS_ROLES, Role
from greenlane.apps.operators.models import Operator

#: Roles that work with operator records (inspection officers and statisticians do not).
OPERATOR_ROLES = AEO_ROLES | {Role.RISK_ANALYST, Role.TRADER, Role.CONSULTANT}


def visible_operators(user: Any) -> QuerySet[Operator]:
    """Customs sees every operator; a trader its own company; a consultant its active clients."""
    if not user.is_authenticated or not user.is_active:
        return Operator.objects.none()
    if user.role in CUSTOMS_ROLES:
        return Operator.objects.all()
    if user.role == Role.TRADER and user.organisation_id:
        return Operator.objects.filter(organisation_id=user.organisation_id)
    if user.role == Role.CONSULTANT and user.organisation_id:
        return Operator.objects.filter(
            consultant_access__consultancy_id=user.organisation_id,
            consultant_access__revoked_at__isnull=True,
        ).distinct()
    return Operator.objects.none()


def get_visible_operator(user: Any, pk: int) -> Operator:
    """The operator, or 404 when it does not exist *or* the user may not see it (no leak)."""
    return get_object_or_404(visible_operators(user), pk=pk)
