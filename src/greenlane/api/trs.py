"""Time Release Studies in the API: the studies of one's administration and their results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from greenlane.api.auth import RoleAuth
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.trs import services
from greenlane.apps.trs.models import Study
from greenlane.apps.trs.permissions import VIEW_ROLES, visible_studies
from greenlane.apps.wording import translated

router = Router(tags=["time release studies"], auth=RoleAuth(VIEW_ROLES))


class StudyOut(Schema):
    id: int
    title: str
    scope: str
    period_start: date | None
    period_end: date | None
    sample_design: str
    engine: str
    status: str
    message: str
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_message(obj: Study) -> str:
        """What the last run said, in the language of the request (Accept-Language)."""
        return translated(services.message(obj))


class StudyResultOut(StudyOut):
    result: dict[str, Any] | None


@router.get("/studies", response=list[StudyOut], summary="The studies of my administration")
def studies(request: AuthenticatedRequest) -> Any:
    return visible_studies(request.user)


@router.get(
    "/studies/{study_id}",
    response=StudyResultOut,
    summary="One study with its result document (metrics, AEO effect, input accounting)",
)
def study(request: AuthenticatedRequest, study_id: Id) -> Any:
    return get_object_or_404(visible_studies(request.user), pk=study_id)
