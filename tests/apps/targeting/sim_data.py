"""A small office whose inspections span four weeks: weapons (HS 93) are the frauds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

from greenlane.apps.operators.models import AeoAuthorisation
from tests import factories

START = date(2026, 1, 5)  # a Monday
WEEKS = 4
PER_DAY = 8


def inspected_month() -> dict[str, Any]:
    """Four weeks of inspected declarations at SEA1 (one in four a fraud); the importer
    ``certified`` holds the domestic AEO status from the third week."""
    plain = factories.operator(factories.organisation("operator"))
    certified = factories.operator(factories.organisation("operator"))
    AeoAuthorisation.objects.create(
        operator=certified, programme=settings.PROGRAMME, valid_from=START + timedelta(weeks=2)
    )
    n = 0
    for day in range(WEEKS * 7):
        for i in range(PER_DAY):
            n += 1
            fraud = n % 4 == 0
            declaration = factories.declaration(
                certified if i % 2 else plain,
                declaration_date=START + timedelta(days=day),
                hs6="930190" if fraud else "850440",
                customs_value=Decimal(1000 + 37 * n),
            )
            factories.inspection(declaration, fraud=fraud, revenue="250" if fraud else "0")
    return {"plain": plain, "certified": certified}


VALUES: dict[str, Any] = {
    "period_from": START,
    "period_to": START + timedelta(weeks=WEEKS, days=-1),
    "office_code": "",
    "inspection_rate": 0.3,
    "min_random_rate": 0.05,
    "exploration_share": 0.2,
    "aeo_reduction": 0.2,
    "seed": 1,
}
