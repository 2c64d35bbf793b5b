"""Who reads and who writes a thread (docs/decisions/0026).

The company's side (its traders, and the consultants it lets act for it) and the customs
validator in charge write; decision officers read, because the thread is part of the file
they decide on; nobody else reads it: not an administrator, not another validator.
"""

from __future__ import annotations

from typing import Any

from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification import services as certification
from greenlane.apps.certification.models import Application, Certificate
from greenlane.apps.correspondence.models import Side
from greenlane.apps.operators.models import ValidatorAssignment
from greenlane.core.certification.lifecycle import Actor

Thing = Application | Certificate


def side_of(user: Any, thing: Thing) -> str | None:
    """The side ``user`` writes on (company or customs), or None when they may not write."""
    if not getattr(user, "is_active", False):
        return None
    if isinstance(thing, Application):
        if Actor.OPERATOR in certification.actors(user, thing):
            return Side.COMPANY
        if user.role == Role.VALIDATOR and thing.validator_id == user.pk:
            return Side.CUSTOMS
        return None
    if Actor.OPERATOR in certification.certificate_actors(user, thing):
        return Side.COMPANY
    if user.role == Role.VALIDATOR and _validates(user, thing):
        return Side.CUSTOMS
    return None


def _validates(user: Any, certificate: Certificate) -> bool:
    """The validator of the application that gave the certificate, or one assigned now."""
    return certificate.application.validator_id == user.pk or (
        ValidatorAssignment.objects.filter(
            operator_id=certificate.operator_id, validator=user, ended_at__isnull=True
        ).exists()
    )


def may_read(user: Any, thing: Thing) -> bool:
    if not getattr(user, "is_active", False):
        return False
    return user.role == Role.DECISION_OFFICER or side_of(user, thing) is not None


def customs_writers(thing: Thing) -> list[Any]:
    """The validators who answer on ``thing`` (told when the company writes)."""
    if isinstance(thing, Application):
        return [thing.validator] if thing.validator_id else []
    found = {
        a.validator.pk: a.validator
        for a in ValidatorAssignment.objects.filter(
            operator_id=thing.operator_id, ended_at__isnull=True
        ).select_related("validator")
    }
    if thing.application.validator_id:
        found.setdefault(thing.application.validator_id, thing.application.validator)
    return list(found.values())
