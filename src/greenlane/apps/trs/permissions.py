"""Who may read and run Time Release Studies: the one place the trs app decides it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from greenlane.apps.accounts.roles import CUSTOMS_ROLES, Role
from greenlane.apps.trs.models import Study

#: Every customs role reads its administration's studies (they are published figures in
#: the making); statisticians and administrators design, feed and run them.
VIEW_ROLES = CUSTOMS_ROLES
MANAGE_ROLES = frozenset({Role.STATISTICIAN, Role.ADMINISTRATOR})


def visible_studies(user: Any) -> QuerySet[Study]:
    """The studies of the user's own customs administration; nothing for anyone else."""
    if not user.is_authenticated or not user.is_active or user.role not in VIEW_ROLES:
        return Study.objects.none()
    return Study.objects.filter(organisation_id=user.organisation_id)


def can_manage(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in MANAGE_ROLES)
