"""Self-assessments: answers, submission, readiness and gaps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import Problem
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.assessments import services
from greenlane.apps.assessments.models import SelfAssessment
from greenlane.apps.assessments.permissions import (
    EDIT_ROLES,
    READ_ROLES,
    editable_operator,
    visible_assessments,
)

router = Router(tags=["self-assessments"], auth=RoleAuth(READ_ROLES))
EDIT = RoleAuth(EDIT_ROLES)


class AssessmentOut(Schema):
    id: int
    operator: int
    status: str
    created_at: datetime
    submitted_at: datetime | None
    best_tiers: dict[str, str | None]


class AnswerOut(Schema):
    requirement: str
    answer: str | None
    comment: str


class AnswerIn(Schema):
    answer: str = ""
    comment: str = ""


def _summary(a: SelfAssessment) -> dict[str, Any]:
    tiers = {p["programme"]: p["best_tier"] for p in (a.result or {}).get("programmes", [])}
    return {
        "id": a.pk,
        "operator": a.operator_id,
        "status": a.status,
        "created_at": a.created_at,
        "submitted_at": a.submitted_at,
        "best_tiers": tiers,
    }


@router.get("", response=list[AssessmentOut], summary="Self-assessments the caller may see")
def list_assessments(
    request: AuthenticatedRequest, operator: Id | None = None
) -> list[dict[str, Any]]:
    found = visible_assessments(request.user).order_by("-created_at")
    if operator is not None:
        found = found.filter(operator_id=operator)
    return [_summary(a) for a in found[:500]]


@router.get("/{assessment_id}", summary="One self-assessment: answers, readiness and ranked gaps")
def get_assessment(request: AuthenticatedRequest, assessment_id: Id) -> dict[str, Any]:
    assessment = get_object_or_404(visible_assessments(request.user), pk=assessment_id)
    if not assessment.is_draft:
        services.snapshot_read([assessment], request.user, "api")
    answers = [
        {"requirement": a.requirement, "answer": a.answer or None, "comment": a.comment}
        for a in assessment.answers.all()
    ]
    result = services.evaluate(assessment.operator, assessment)
    return _summary(assessment) | {
        "answers": answers,
        "profile": assessment.profile,
        "result": services.shown(result),
    }


@router.get(
    "/operators/{operator_id}/draft",
    auth=EDIT,
    summary="Readiness and gaps of the operator's current self-test, computed now",
)
def draft_readiness(request: AuthenticatedRequest, operator_id: Id) -> dict[str, Any]:
    operator = editable_operator(request.user, operator_id)
    return services.shown(services.evaluate(operator, services.draft_of(operator)))


@router.put(
    "/operators/{operator_id}/draft/answers/{requirement}",
    auth=EDIT,
    response={200: AnswerOut, 400: Problem},
    summary="Save one answer (met, partly, not_met, na; empty: not answered)",
)
def put_answer(
    request: AuthenticatedRequest, operator_id: Id, requirement: str, body: AnswerIn
) -> Status:
    operator = editable_operator(request.user, operator_id)
    row = services.save_answer(operator, request.user, requirement, body.answer, body.comment)
    out = {"requirement": row.requirement, "answer": row.answer or None, "comment": row.comment}
    return Status(200, out)


@router.post(
    "/operators/{operator_id}/draft/submit",
    auth=EDIT,
    response={200: AssessmentOut, 400: Problem},
    summary="Freeze the current self-test into a snapshot",
)
def submit(request: AuthenticatedRequest, operator_id: Id) -> Status:
    operator = editable_operator(request.user, operator_id)
    snapshot = services.submit(operator, request.user)
    return Status(200, _summary(snapshot))
