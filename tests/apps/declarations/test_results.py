from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Inspection
from greenlane.apps.declarations.services import ResultRefused, record_inspection
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def declaration() -> object:
    return factories.declaration(factories.operator(), declaration_date=date(2025, 3, 1))


def test_an_officer_records_a_result_on_the_declaration_page(declaration: object) -> None:
    officer = factories.user("inspection_officer")
    client = Client()
    client.force_login(officer)
    page = client.get(f"/risk/declarations/{declaration.pk}/").content.decode()  # type: ignore[attr-defined]
    assert "Record the inspection result" in page
    response = client.post(
        f"/risk/declarations/{declaration.pk}/result/",  # type: ignore[attr-defined]
        {
            "fraud_found": "1",
            "critical": "on",
            "revenue_recovered": "1250.50",
            "inspected_on": "2025-03-03",
            "notes": "undervalued",
        },
    )
    assert response.status_code == 302
    result = Inspection.objects.get(declaration=declaration)
    assert result.fraud_found is True
    assert result.critical is True
    assert result.revenue_recovered == Decimal("1250.50")
    assert result.recorded_by == officer
    event = AuditEvent.objects.get(action="declarations.inspection.recorded")
    assert event.actor_id == officer.pk
    after = client.get(f"/risk/declarations/{declaration.pk}/").content.decode()  # type: ignore[attr-defined]
    assert "Record the inspection result" not in after
    assert "irregularity found (critical)" in after


def test_a_second_result_is_refused(declaration: object) -> None:
    officer = factories.user("inspection_officer")
    record_inspection(declaration, officer, fraud_found=False)  # type: ignore[arg-type]
    with pytest.raises(ResultRefused, match="already has a result"):
        record_inspection(declaration, officer, fraud_found=True)  # type: ignore[arg-type]
    assert Inspection.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fraud_found": False, "critical": True}, "only be critical"),
        ({"fraud_found": True, "revenue_recovered": Decimal(-1)}, "cannot be negative"),
        ({"fraud_found": True, "inspected_on": date(2025, 2, 1)}, "before the declaration"),
    ],
)
def test_impossible_results_are_refused(declaration: object, kwargs: dict, message: str) -> None:
    with pytest.raises(ResultRefused, match=message):
        record_inspection(declaration, factories.user("inspection_officer"), **kwargs)  # type: ignore[arg-type]
    assert not Inspection.objects.exists()


def test_a_refused_result_on_the_page_says_why(declaration: object) -> None:
    client = Client()
    client.force_login(factories.user("inspection_officer"))
    url = f"/risk/declarations/{declaration.pk}/"  # type: ignore[attr-defined]
    client.post(url + "result/", {"fraud_found": "0", "critical": "on", "revenue_recovered": "0"})
    page = client.get(url).content.decode()
    assert "only be critical" in page
    assert not Inspection.objects.exists()
