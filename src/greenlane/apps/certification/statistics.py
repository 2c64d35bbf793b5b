"""Administration statistics: the pipeline, time per stage against the service standard,
certificates by programme and tier, and the share of MSMEs."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from greenlane.apps.certification.models import (
    Application,
    ApplicationEvent,
    Certificate,
    stage_label,
)
from greenlane.apps.operators.models import MSME_CLASSES, in_force
from greenlane.core.certification import lifecycle
from greenlane.core.certification.lifecycle import OPEN_STAGES, Stage

#: The stage chart: pixels per row and for the longest bar.
ROW_PX, BAR_PX = 24, 360


def summary(country: str | None = None) -> dict[str, Any]:
    """The figures of the statistics page; ``country``: the administration's, whose own AEOs
    are counted (partners' AEOs under an MRA are not)."""
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
            "label": stage_label(stage.value),
            "applications": by_stage.get(stage.value, 0),
            "median_days": statistics.median(per_stage[stage]) if per_stage[stage] else None,
        }
        for stage in Stage
    ]
    longest = max((row["median_days"] or 0 for row in stages), default=0)
    for i, row in enumerate(stages):  # the chart: one bar a stage, the longest BAR_PX long
        row["y"] = i * ROW_PX
        row["width"] = round(BAR_PX * (row["median_days"] or 0) / longest) if longest else 0
    # AEOs are counted from their status in force, as every page counts them; the
    # certificates issued here are a part of it (statuses recorded from a register have none).
    held = in_force(timezone.localdate(), country)
    by_tier = list(
        held.values("programme", "tier")
        .annotate(n=Count("id"), certified_here=Count("certificate"))
        .order_by("programme", "tier")
    )
    aeos = held.values("operator_id").distinct().count()
    active_count = Certificate.objects.filter(status="active").count()
    msme = (
        held.filter(operator__size_class__in=MSME_CLASSES).values("operator_id").distinct().count()
    )
    return {
        "stages": stages,
        "chart_height": ROW_PX * len(stages),
        "open": sum(by_stage.get(s, 0) for s in OPEN_STAGES),
        "decided": len(decision_days),
        "median_decision_days": statistics.median(decision_days) if decision_days else None,
        "within_standard": sum(1 for d in decision_days if d <= standard),
        "standard": standard,
        "by_tier": by_tier,
        "aeos": aeos,
        "active_certificates": active_count,
        "msme_aeos": msme,
        "msme_share": round(100 * msme / aeos, 1) if aeos else None,
    }
