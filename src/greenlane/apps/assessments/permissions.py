"""Who may see and change self-tests, evidence and action plans: decided here only."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from greenlane.apps.accounts.roles import AEO_ROLES, Role
from greenlane.apps.assessments.models import Evidence, SelfAssessment
from greenlane.apps.operators.models import Operator, ValidatorAssignment
from greenlane.apps.operators.permissions import visible_operators

#: Roles that fill in self-tests: the operator itself and its consultant.
EDIT_ROLES = frozenset({Role.TRADER, Role.CONSULTANT})
#: Roles that read self-tests: customs AEO staff read submitted snapshots, never drafts.
READ_ROLES = EDIT_ROLES | AEO_ROLES


def editable_operator(user: Any, pk: int) -> Operator:
    """The operator whose self-test ``user`` may fill in, or 404 (no leak of existence)."""
    if user.role not in EDIT_ROLES:
        raise Http404
    operator = visible_operators(user).filter(pk=pk).first()
    if operator is None:
        raise Http404
    return operator


def visible_assessments(user: Any) -> QuerySet[SelfAssessment]:
    operators = visible_operators(user)
    assessments = SelfAssessment.objects.filter(operator__in=operators)
    if user.role in EDIT_ROLES:
        return assessments
    if user.role in AEO_ROLES:
        return assessments.filter(status=SelfAssessment.Status.SUBMITTED)
    return SelfAssessment.objects.none()


def readable_operator(user: Any, pk: int) -> Operator:
    operator = visible_operators(user).filter(pk=pk).first()
    if operator is None or user.role not in READ_ROLES:
        raise Http404
    return operator


def can_read_evidence(user: Any, evidence: Evidence) -> bool:
    """The operator and its consultant; the validators assigned to the operator, for evidence
    of a submitted self-test only (a draft is the company's own working copy); nobody else."""
    operator = evidence.assessment.operator
    if user.role in EDIT_ROLES:
        return visible_operators(user).filter(pk=operator.pk).exists()
    if user.role == Role.VALIDATOR and not evidence.assessment.is_draft:
        return ValidatorAssignment.objects.filter(
            Q(ended_at__isnull=True), operator=operator, validator=user
        ).exists()
    return False
