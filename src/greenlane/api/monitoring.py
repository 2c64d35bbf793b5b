"""AEO risk monitoring in the API: the alert queue and an operator's own indicators."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Router, Schema

from greenlane.api.auth import RoleAuth
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.monitoring.models import Alert
from greenlane.apps.monitoring.permissions import OPERATOR_VIEW_ROLES, QUEUE_ROLES
from greenlane.apps.operators.permissions import get_visible_operator
from greenlane.web.monitoring import operator_figures

router = Router(tags=["AEO monitoring"])


class AlertOut(Schema):
    id: int
    operator: str
    rule: str
    rules_version: date
    severity: str
    #: In the request's language (an alert raised before titles were stored as words: as
    #: it was written).
    title: str
    #: What raised the alert, in one sentence in the request's language; empty on older ones.
    summary: str
    status: str
    details: dict[str, Any]
    raised_at: datetime

    @staticmethod
    def resolve_operator(obj: Alert) -> str:
        return obj.operator.code

    @staticmethod
    def resolve_title(obj: Alert) -> str:
        return obj.shown_title

    @staticmethod
    def resolve_summary(obj: Alert) -> str:
        return obj.shown_summary


class WindowOut(Schema):
    as_of: date
    window_days: int
    figures: dict[str, Any]


@router.get(
    "/alerts",
    response=list[AlertOut],
    auth=RoleAuth(QUEUE_ROLES),
    summary="Alerts, newest first (status: open, acknowledged, dismissed, reassessment)",
)
def alerts(request: AuthenticatedRequest, status: str | None = None) -> Any:
    found = Alert.objects.select_related("operator")
    return (found.filter(status=status) if status else found)[:1000]


@router.get(
    "/operators/{operator_id}/indicators",
    response=list[WindowOut],
    auth=RoleAuth(OPERATOR_VIEW_ROLES),
    summary="An operator's indicators per run and window, with anonymous peer figures",
)
def operator_indicators(request: AuthenticatedRequest, operator_id: Id) -> Any:
    operator = get_visible_operator(request.user, operator_id)
    return [
        {"as_of": run["as_of"], "window_days": w["window_days"], "figures": w}
        for run in operator_figures(operator)
        for w in run["windows"]
    ]
