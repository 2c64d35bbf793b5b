"""The inspection queue over the API: what waits for a check (filtered as on the page) and
its assignment to inspection officers.

No ``from __future__ import annotations`` here: django-ninja builds the query-parameter model
from the view's annotations and needs the schema classes themselves, not their names."""

from datetime import date

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from greenlane.api.auth import RoleAuth
from greenlane.api.openapi import Problem
from greenlane.api.pagination import Pages, known_count
from greenlane.api.parser import Id
from greenlane.api.risk import ScoreOut
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.tallies import queries as tallies
from greenlane.apps.targeting import queue
from greenlane.apps.targeting.models import ChannelDecision, ModelVersion, Score
from greenlane.apps.targeting.permissions import SCORE_ROLES
from greenlane.apps.wording import all_translated
from greenlane.core.errors import Refused

router = Router(tags=["inspections"])


class ListQuery(Schema):
    """What the scores list and the queue keep; an absent field filters nothing."""

    office: str = Field(default="", max_length=10)
    date_from: date | None = None
    date_to: date | None = None
    hs: str = Field(default="", pattern=r"^\d{0,6}$", description="the start of the HS code")
    importer: str = Field(default="", max_length=40)
    score_min: float | None = Field(default=None, ge=0, le=1)
    score_max: float | None = Field(default=None, ge=0, le=1)


class QueueQuery(ListQuery):
    channel: str = Field(default="", pattern="^(|red|yellow)$")
    assignee: str = Field(
        default="", max_length=150, description='"me", "none" or an officer\'s username'
    )


class WaitingOut(Schema):
    id: int
    number: str
    declaration_date: date
    office_code: str
    importer_code: str
    channel: str
    score: float
    revenue_at_stake: float
    reasons: list[str] = Field(
        description="rule hits first, then the model's reasons, in the request's language"
    )
    assigned_to: str | None = Field(default=None, alias="assigned_to.username")

    @staticmethod
    def resolve_reasons(obj: ChannelDecision) -> list[str]:
        return all_translated(obj.reasons)


class AssignIn(Schema):
    decisions: list[Id] = Field(min_length=1, max_length=1000, description="ids from the queue")
    to: str | None = Field(
        default=None, description="an inspection officer's username; null hands them back"
    )


class AssignOut(Schema):
    changed: int


@router.get(
    "/queue",
    response=list[WaitingOut],
    auth=RoleAuth(SCORE_ROLES),
    summary="Declarations sent to a check that still wait for a result, oldest first",
)
@paginate(Pages)
def list_waiting(
    request: AuthenticatedRequest, filters: QueueQuery = Query(...)
) -> list[ChannelDecision]:
    chosen = queue.Filter(**filters.model_dump())
    return queue.waiting(chosen, request.user)  # type: ignore[return-value]


@router.post(
    "/queue/assignments",
    response={200: AssignOut, 400: Problem, 403: Problem},
    auth=RoleAuth(queue.ASSIGNERS),
    summary="Hand waiting declarations to an inspection officer of your organisation",
)
def assign(request: AuthenticatedRequest, body: AssignIn) -> AssignOut:
    to = None
    if body.to:
        to = queue.officers(request.user).filter(username=body.to).first()
        if to is None:
            raise Refused(
                _("%(name)s is not an active inspection officer of your organisation")
                % {"name": body.to},
                "to",
            )
    return AssignOut(changed=queue.assign(body.decisions, to, request.user))


@router.get(
    "/scores",
    response=list[ScoreOut],
    auth=RoleAuth(SCORE_ROLES),
    summary="Scores of the active model, highest first",
    tags=["risk"],
)
@paginate(Pages)
def list_scores(request: AuthenticatedRequest, filters: ListQuery = Query(...)) -> list[Score]:
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is None:
        return []
    values = filters.model_dump()
    if not any(v not in ("", None) for v in values.values()):
        known_count(request, tallies.scores(active))  # all of them: no need to count
    chosen = queue.Filter(**values)
    return queue.scores(chosen, active).select_related("model_version")  # type: ignore[return-value]
