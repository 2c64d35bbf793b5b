"""Figures read from the running totals: what pages show about all declarations on record,
at a cost that follows the calendar (days x offices) rather than the number of declarations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Max, Q, QuerySet, Sum

from greenlane.apps.tallies.models import (
    DeclarationTally,
    ImporterCount,
    ImporterTally,
    InspectionTally,
    OfficeInspectionTally,
    OfficeTally,
    PartyInspectionTally,
    PartyTally,
    ScoreTally,
)


@dataclass(frozen=True)
class Inspections:
    inspections: int
    irregularities: int
    critical: int
    revenue_recovered: Decimal


def declarations() -> int:
    return int(OfficeTally.objects.aggregate(n=Sum("declarations"))["n"] or 0)


def by_office_and_mode() -> list[dict[str, Any]]:
    """Declarations per office and mode: ``office_code``, ``transport_mode``, ``n``."""
    return list(
        OfficeTally.objects.filter(declarations__gt=0)
        .values("office_code", "transport_mode", n=F("declarations"))
        .order_by("office_code", "transport_mode")
    )


def offices() -> list[str]:
    """The offices of the declarations on record."""
    return list(
        OfficeTally.objects.filter(declarations__gt=0)
        .values_list("office_code", flat=True)
        .distinct()
        .order_by("office_code")
    )


def newest_day() -> date | None:
    """The newest declaration date on record."""
    newest: date | None = DeclarationTally.objects.filter(declarations__gt=0).aggregate(
        d=Max("day")
    )["d"]
    return newest


def _inspections(since: date | None) -> QuerySet[InspectionTally] | QuerySet[OfficeInspectionTally]:
    """Since a day, the per-day tally; over the whole record, the per-office one."""
    if since is None:
        return OfficeInspectionTally.objects.all()
    return InspectionTally.objects.filter(day__gte=since)


def inspections(since: date | None = None) -> Inspections:
    """Results recorded (inspected on ``since`` or later: None, all)."""
    return _summed(_inspections(since))


def _summed(rows: QuerySet[Any]) -> Inspections:
    sums = rows.aggregate(
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
    """Importers with a declaration on record (one row, whatever their number)."""
    found = ImporterCount.objects.values_list("importers", flat=True)
    return int(next(iter(found), 0))


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


@dataclass(frozen=True)
class PartyFigures:
    declarations: int
    inspections: Inspections


def parties(codes: list[str]) -> PartyFigures:
    """The declarations that name one of ``codes`` as importer or as declarant (each once),
    and their inspection results: a company's own figures, read from a row per pair of
    importer and declarant it trades with."""
    named = Q(importer_code__in=codes) | Q(declarant_code__in=codes)
    total = PartyTally.objects.filter(named).aggregate(n=Sum("declarations"))["n"]
    return PartyFigures(int(total or 0), _summed(PartyInspectionTally.objects.filter(named)))
