"""Who may see applications and certificates (who may act is decided by the lifecycle)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from greenlane.apps.accounts.roles import AEO_ROLES
from greenlane.apps.assessments.permissions import EDIT_ROLES
from greenlane.apps.certification.models import Application, Certificate
from greenlane.apps.operators.permissions import visible_operators

#: Roles that see applications: the operator side (own company) and customs AEO staff (all).
VIEW_ROLES = EDIT_ROLES | AEO_ROLES


def visible_applications(user: Any) -> QuerySet[Application]:
    if user.role in AEO_ROLES:
        return Application.objects.all()
    if user.role in EDIT_ROLES:
        return Application.objects.filter(operator__in=visible_operators(user))
    return Application.objects.none()


def visible_certificates(user: Any) -> QuerySet[Certificate]:
    if user.role in AEO_ROLES:
        return Certificate.objects.all()
    if user.role in EDIT_ROLES:
        return Certificate.objects.filter(operator__in=visible_operators(user))
    return Certificate.objects.none()
