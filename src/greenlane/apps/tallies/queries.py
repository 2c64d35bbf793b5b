"""Figures read from the running totals: what pages show about all declarations on record,
at a cost that follows the calendar (days x offices) rather than the number of declarations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet, Sum

from greenlane.apps.tallies.models import (
    DeclarationTally,
    ImporterTally,
    InspectionTally,
    ScoreTally,
)


@dataclass(frozen=True)
class Inspections:
    inspections: int
    irregularities: int
    critical: int
    revenue_recovered: Decimal


def declarations() -> int:
    return int(DeclarationTally.objects.aggregate(n=Sum("declarations"))["n"] or 0)


def by_office_and_mode() -> list[dict[str, Any]]:
    """Declarations per office and mode: ``office_code``, ``transport_mode``, ``n``."""
    return list(
        DeclarationTally.objects.values("office_code", "transport_mode")
        .annotate(n=Sum("declarations"))
        .filter(n__gt=0)
        .order_by("office_code", "transport_mode")
    )


def offices() -> list[str]:
    """The offices of the declarations on record."""
    return list(
        DeclarationTally.objects.values_list("office_code", flat=True)
        .annotate(n=Sum("declarations"))
        .filter(n__gt=0)
        .order_by("office_code")
    )


def newest_day() -> date | None:
    """The newest declaration date on record."""
    newest: date | None = DeclarationTally.objects.filter(declarations__gt=0).aggregate(
        d=Max("day")
    )["d"]
    return newest


def _inspections(since: date | None) -> QuerySet[InspectionTally]:
    rows = InspectionTally.objects.all()
    return rows.filter(day__gte=since) if since else rows


def inspections(since: date | None = None) -> Inspections:
    """Results recorded (inspected on ``since`` or later: None, all)."""
    sums = _inspections(since).aggregate(
        n=Sum("inspections"), hits=Sum("irregularities"), critical=Sum("critical"),
        cents=Sum("revenue_recovered_cents"),
    )  # fmt: skip
    return Inspections(
        int(sums["n"] or 0),
        int(sums["hits"] or 0),
        int(sums["critical"] or 0),
        Decimal(int(sums["cents"] or 0)) / 100,
    )


def inspections_by_office(since: date | None = None) -> list[dict[str, Any]]:
    """Per office of the declaration: ``office_code``, ``n``, ``hits``."""
    return list(
        _inspections(since)
        .values("office_code")
        .annotate(n=Sum("inspections"), hits=Sum("irregularities"))
        .filter(n__gt=0)
        .order_by("office_code")
    )


def importers() -> int:
    """Importers with a declaration on record."""
    return ImporterTally.objects.filter(declarations__gt=0).count()


def declarations_of(importer_codes: QuerySet[Any] | list[str]) -> int:
    """Declarations lodged by the importers named (a subquery of codes, or a list)."""
    n = ImporterTally.objects.filter(importer_code__in=importer_codes).aggregate(
        n=Sum("declarations")
    )["n"]
    return int(n or 0)


def scores(version: Any) -> int:
    """How many declarations ``version`` has scored."""
    found = ScoreTally.objects.filter(model_version=version).values_list("scores", flat=True)
    return int(next(iter(found), 0))
