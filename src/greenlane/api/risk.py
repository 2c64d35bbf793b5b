from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import Problem
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import retraining, services
from greenlane.apps.targeting.models import ModelVersion, Score
from greenlane.apps.targeting.permissions import MODEL_ROLES, SCORE_ROLES
from greenlane.apps.wording import translated

router = Router(tags=["risk"])


class ModelOut(Schema):
    version: int
    is_active: bool
    created_at: datetime
    training_from: date
    training_to: date
    labelled_rows: int
    metrics: dict[str, float]
    feature_schema: list[str]
    library_versions: dict[str, str]
    artifact_sha256: str
    comparison: dict[str, Any] = Field(
        description="champion/challenger: this version and the one active when it was compared, "
        "on the same held-out inspected declarations"
    )


class PromoteIn(Schema):
    reason: str = Field(default="", max_length=2000)


class DriftWeekOut(Schema):
    week: date
    scored: int
    mean: float | None
    shares: list[float]
    psi: float | None
    status: str
    inspected: int
    hits: int
    hit_rate: float | None
    hit_low: float | None
    hit_high: float | None
    hit_below_reference: bool


class DriftOut(Schema):
    version: int
    reference: dict[str, Any]
    weeks: list[DriftWeekOut]
    shifted_weeks: list[date]
    low_hit_weeks: list[date]


class ReasonOut(Schema):
    feature: str
    text: str = Field(description="the reason in the request's language (Accept-Language)")
    weight: float

    @staticmethod
    def resolve_text(obj: dict[str, Any]) -> str:
        return translated(obj)


class ScoreOut(Schema):
    declaration_id: int
    declaration_number: str = Field(alias="declaration.number")
    model_version: int = Field(alias="model_version.version")
    probability: float
    revenue_at_stake: float
    reasons: list[ReasonOut] = Field(
        description="empty where not computed yet (scoring in bulk leaves them out); a "
        "declaration's own score (GET /risk/declarations/{id}/score) always has them"
    )


@router.get(
    "/models",
    response=list[ModelOut],
    auth=RoleAuth(MODEL_ROLES),
    summary="Model versions, newest first",
)
def list_models(request: AuthenticatedRequest) -> list[ModelVersion]:
    return list(ModelVersion.objects.all()[:100])


@router.post(
    "/models/{version}/promote",
    response={200: ModelOut, 409: Problem},
    auth=RoleAuth(MODEL_ROLES),
    summary="Make a version the one that scores (after its comparison with the active one)",
)
def promote_model(request: AuthenticatedRequest, version: Id, body: PromoteIn) -> ModelVersion:
    item = get_object_or_404(ModelVersion, version=version)
    return retraining.promote(item, request.user, body.reason)


class RollbackIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, description="why, kept in the audit log")


@router.post(
    "/models/{version}/rollback",
    response={200: ModelOut, 409: Problem},
    auth=RoleAuth(MODEL_ROLES),
    summary="Make an earlier active version the active one again (scores it lacks follow)",
)
def rollback_model(request: AuthenticatedRequest, version: Id, body: RollbackIn) -> ModelVersion:
    item = get_object_or_404(ModelVersion, version=version)
    return retraining.roll_back(item, request.user, body.reason)


@router.get(
    "/models/{version}/drift",
    response={200: DriftOut, 409: Problem},
    auth=RoleAuth(MODEL_ROLES),
    summary="Week by week: score distribution against the training reference, and hit rate",
)
def model_drift(
    request: AuthenticatedRequest, version: Id, weeks: Annotated[int, Field(ge=1, le=104)] = 12
) -> dict[str, Any]:
    item = get_object_or_404(ModelVersion, version=version)
    if not item.reference:
        raise HttpError(
            409,
            _("v%(version)s kept no reference distribution: train a new version")
            % {"version": version},
        )
    return retraining.drift(item, weeks=weeks)


@router.get(
    "/declarations/{declaration_id}/score",
    response={200: ScoreOut, 409: Problem},
    auth=RoleAuth(SCORE_ROLES),
    summary="A declaration's score by the active model, with reasons",
)
def get_score(request: AuthenticatedRequest, declaration_id: Id) -> Score:
    declaration = get_object_or_404(Declaration, pk=declaration_id)
    item = get_object_or_404(
        Score.objects.select_related("declaration", "model_version"),
        declaration=declaration,
        model_version__is_active=True,
    )
    return services.ensure_reasons(item)
