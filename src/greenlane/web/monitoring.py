"""Pages of AEO risk monitoring: the validators' alert queue and a company's own indicators."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.monitoring import services
from greenlane.apps.monitoring.models import Alert, Indicator, Run
from greenlane.apps.monitoring.permissions import OPERATOR_VIEW_ROLES, QUEUE_ROLES, RUN_ROLES
from greenlane.apps.operators.permissions import get_visible_operator
from greenlane.apps.wording import translated
from greenlane.web.refusals import shown

OPEN = (Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED)


@require_safe
@role_required(QUEUE_ROLES)
def alert_list(request: AuthenticatedRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    alerts = Alert.objects.select_related("operator", "handled_by")
    alerts = alerts.filter(status__in=OPEN) if show == "open" else alerts
    return render(
        request,
        "monitoring/alert_list.html",
        {
            "alerts": alerts[:500],
            "show": show,
            "runs": Run.objects.all()[:5],
            # The page refreshes itself while a run is under way (its progress bar moves).
            "running": Run.objects.filter(
                status__in=(Run.Status.QUEUED, Run.Status.RUNNING)
            ).exists(),
            "can_run": request.user.role in RUN_ROLES,
        },
    )


@require_safe
@role_required(QUEUE_ROLES)
def alert_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.select_related("operator", "application"), pk=pk)
    return render(request, "monitoring/alert_detail.html", {"alert": alert})


ACTIONS = {
    "acknowledge": lambda alert, user, text: services.acknowledge(alert, user, text),
    "dismiss": lambda alert, user, text: services.dismiss(alert, user, text),
    "reassess": lambda alert, user, text: services.reassess(alert, user, text),
}
#: What the page says once an action went through, each in full.
DONE = {
    "acknowledge": gettext_lazy("Alert acknowledged."),
    "dismiss": gettext_lazy("Alert dismissed."),
    "reassess": gettext_lazy("Reassessment opened."),
}


@require_POST
@role_required(QUEUE_ROLES)
def alert_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    handler = ACTIONS.get(action)
    if handler is None:
        messages.error(request, _("Unknown action %(action)s.") % {"action": repr(action)})
        return redirect("alert_detail", pk=alert.pk)
    text = request.POST.get("reason") or request.POST.get("note") or ""
    with shown(request):
        handler(alert, request.user, text)
        messages.success(request, str(DONE[action]))
    return redirect("alert_detail", pk=alert.pk)


@require_POST
@role_required(RUN_ROLES)
def run_now(request: AuthenticatedRequest) -> HttpResponse:
    record = services.request_run(timezone.localdate(), request.user)
    messages.success(
        request,
        _("Monitoring run of %(day)s queued.")
        % {"day": date_format(record.as_of, "SHORT_DATE_FORMAT")},
    )
    return redirect("alert_list")


@require_safe
@role_required(QUEUE_ROLES)
def run_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    record = get_object_or_404(Run, pk=pk)
    return JsonResponse(
        {
            "status": record.status,
            "progress": record.progress,
            "message": translated(record.message),
        }
    )


#: Pooled peer figures are shown to a company only when at least this many peers make them
#: up: with one or two, the pool would give a competitor's own figures away.
MIN_PEERS = 3


#: Kept with the figures for the alert rules, never shown: ``last_detection`` is the internal
#: id of a declaration (the cause that raises an alert once), not a figure (issue 16).
INTERNAL = frozenset({"last_detection"})


def for_the_company(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures a company may see: its own, and its peers' pooled only when anonymous."""
    anonymous = figures.get("peers", 0) >= MIN_PEERS
    return {
        k: (None if k.startswith("peer_") and not anonymous else v)
        for k, v in figures.items()
        if k not in INTERNAL
    }


def operator_figures(operator: Any) -> list[dict[str, Any]]:
    """The operator's indicators per day (newest first; the latest run of a day), each window
    with its peers' pooled figures (hidden when there are too few peers to stay anonymous)."""
    rows = (
        Indicator.objects.filter(operator=operator, run__status=Run.Status.DONE)
        .select_related("run")
        .order_by("-run__as_of", "-run__pk", "window_days")
    )
    out: dict[Any, dict[str, Any]] = {}
    runs_of_day: dict[Any, int] = {}
    for row in rows[:120]:
        day = row.run.as_of
        if runs_of_day.setdefault(day, row.run_id) != row.run_id:
            continue  # an earlier run of the same day
        entry = out.setdefault(day, {"as_of": day, "windows": []})
        entry["windows"].append(for_the_company(row.figures))
    return list(out.values())


@require_safe
@role_required(OPERATOR_VIEW_ROLES)
def operator_monitoring(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    operator = get_visible_operator(request.user, pk)
    runs = operator_figures(operator)
    return render(
        request,
        "monitoring/operator.html",
        {"operator": operator, "latest": runs[0] if runs else None, "trend": runs},
    )
