"""Administration statistics: the pipeline, time per stage against the service standard,
certificates by programme and tier, and the share of MSMEs."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from greenlane.apps.certification.models import Application, ApplicationEvent, Certificate
from greenlane.apps.operators.models import MSME_CLASSES
from greenlane.core.certification import lifecycle
from greenlane.core.certification.lifecycle import OPEN_STAGES, Stage


def summary() -> dict[str, Any]:
    now = timezone.now()
    by_stage = dict(Application.objects.values_list("stage").annotate(n=Count("id")))
    events: dict[int, list[tuple[Any, str]]] = defaultdict(list)
    for app_id, at, stage in ApplicationEvent.objects.order_by("at", "pk").values_list(
        "application_id", "at", "to_stage"
    ):
        events[app_id].append((at, stage))
    per_stage: dict[str, list[float]] = defaultdict(list)
    decision_days = []
    for changes in events.values():
        for stage, days in lifecycle.stage_days(changes, now).items():
            per_stage[stage].append(days)
        if changes[-1][1] in (Stage.APPROVED, Stage.REJECTED):
            decision_days.append(lifecycle.service_days(changes, now))
    standard = settings.SERVICE_STANDARD_DAYS
    stages = [
        {
            "stage": stage.value,
            "applications": by_stage.get(stage.value, 0),
            "median_days": statistics.median(per_stage[stage]) if per_stage[stage] else None,
        }
        for stage in Stage
    ]
    certificates = Certificate.objects.all()
    by_tier = list(
        certificates.filter(status="active")
        .values("programme", "tier")
        .annotate(n=Count("id"))
        .order_by("programme", "tier")
    )
    active = certificates.filter(status="active")
    active_count = active.count()
    msme = active.filter(operator__size_class__in=MSME_CLASSES).count()
    return {
        "stages": stages,
        "open": sum(by_stage.get(s, 0) for s in OPEN_STAGES),
        "decided": len(decision_days),
        "median_decision_days": statistics.median(decision_days) if decision_days else None,
        "within_standard": sum(1 for d in decision_days if d <= standard),
        "standard": standard,
        "by_tier": by_tier,
        "active_certificates": active_count,
        "msme_certificates": msme,
        "msme_share": round(100 * msme / active_count, 1) if active_count else None,
    }
