from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Inspection, InspectionCorrection, in_english
from greenlane.apps.declarations.services import (
    Result,
    ResultRefused,
    correct_inspection,
    record_inspection,
)
from greenlane.apps.targeting import data
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
        ({"fraud_found": True, "inspected_on": date(2030, 1, 1)}, "in the future"),
        ({"fraud_found": False, "revenue_recovered": Decimal(10)}, "only be recovered"),
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


def test_a_result_dated_tomorrow_is_refused_on_the_page(declaration: object) -> None:
    client = Client()
    client.force_login(factories.user("inspection_officer"))
    url = f"/risk/declarations/{declaration.pk}/"  # type: ignore[attr-defined]
    tomorrow = timezone.localdate() + timedelta(days=1)
    when = {"fraud_found": "0", "revenue_recovered": "0", "inspected_on": tomorrow.isoformat()}
    client.post(url + "result/", when)
    assert "cannot be dated in the future" in client.get(url).content.decode()
    assert not Inspection.objects.exists()


def test_a_correction_keeps_the_original_and_training_learns_the_corrected_value(
    declaration: object,
) -> None:
    officer, supervisor = factories.user("inspection_officer"), factories.user("administrator")
    first = record_inspection(
        declaration, officer, fraud_found=True, revenue_recovered=Decimal(500),  # type: ignore[arg-type]
        inspected_on=date(2025, 3, 2), notes="undervalued",
    )  # fmt: skip
    labels = data.frame()
    assert labels["fraud"].tolist() == [True]
    correct_inspection(
        first, supervisor, Result(False, inspected_on=date(2025, 3, 2)), "invoice was genuine"
    )
    correct_inspection(
        first, officer, Result(True, False, Decimal(80), "duty short", date(2025, 3, 4)),
        "a second look found a small shortfall",
    )  # fmt: skip
    first.refresh_from_db()
    assert (first.fraud_found, first.revenue_recovered, first.inspected_on) == (
        True, Decimal(80), date(2025, 3, 4),
    )  # fmt: skip
    one, two = InspectionCorrection.objects.order_by("id")
    assert one.before == {
        "fraud_found": True,
        "critical": False,
        "revenue_recovered": "500.00",
        "notes": "undervalued",
        "inspected_on": "2025-03-02",
    }  # fmt: skip  (the result as first recorded)
    assert one.after["fraud_found"] is False
    assert two.before == one.after
    assert (one.corrected_by, one.reason) == (supervisor, "invoice was genuine")
    events = AuditEvent.objects.filter(action="declarations.inspection.corrected").order_by("seq")
    assert [e.data["reason"] for e in events] == [one.reason, two.reason]
    assert events[0].data["before"] == one.before
    assert events[1].actor_id == officer.pk
    labels = data.frame()
    assert (labels["fraud"].tolist(), labels["revenue_recovered"].tolist()) == ([True], [80.0])


@pytest.mark.parametrize(
    ("result", "reason", "message"),
    [
        (Result(True, revenue_recovered=Decimal(5)), "  ", "say why"),
        (Result(False, revenue_recovered=Decimal(5)), "typo", "only be recovered"),
        (Result(True, inspected_on=date(2030, 1, 1)), "typo", "in the future"),
        (Result(False, inspected_on=date(2025, 3, 1)), "typo", "changes nothing"),
        (Result(True), "x" * 2_001, "reason is longer than 2,000"),
        (Result(True, notes="n" * 5_001), "typo", "notes are longer than 5,000"),
    ],
)
def test_a_correction_that_does_not_hold_is_refused_and_changes_nothing(
    declaration: object, result: Result, reason: str, message: str
) -> None:
    officer = factories.user("inspection_officer")
    inspection = record_inspection(
        declaration,
        officer,
        fraud_found=False,
        inspected_on=date(2025, 3, 1),  # type: ignore[arg-type]
    )
    with pytest.raises(ResultRefused, match=message):
        correct_inspection(inspection, officer, result, reason)
    inspection.refresh_from_db()
    assert (inspection.fraud_found, inspection.revenue_recovered) == (False, Decimal(0))
    assert not InspectionCorrection.objects.exists()
    assert not AuditEvent.objects.filter(action="declarations.inspection.corrected").exists()


def test_an_officer_corrects_a_result_on_the_declaration_page(declaration: object) -> None:
    officer = factories.user("inspection_officer")
    record_inspection(declaration, officer, fraud_found=False, inspected_on=date(2025, 3, 1))  # type: ignore[arg-type]
    client = Client()
    client.force_login(officer)
    url = f"/risk/declarations/{declaration.pk}/"  # type: ignore[attr-defined]
    page = client.get(url).content.decode()
    assert "Correct this result" in page
    assert "Corrections of the result" not in page
    no_reason = {"fraud_found": "1", "revenue_recovered": "120", "inspected_on": "2025-03-02"}
    client.post(url + "result/correct/", no_reason)
    assert "Reason for the correction: This field is required." in client.get(url).content.decode()
    assert not InspectionCorrection.objects.exists()
    response = client.post(url + "result/correct/", {**no_reason, "reason": "lab result came back"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Result corrected" in page
    assert "lab result came back" in page
    assert "irregularity found, 120" in page
    assert Inspection.objects.get().fraud_found is True


def test_a_file_of_results_that_do_not_hold_together_is_rejected_row_by_row(
    tmp_path: object,
) -> None:
    from pathlib import Path

    from greenlane.apps.declarations import ingest
    from greenlane.core.risk import mapping

    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    operator = factories.operator()
    for n in ("R1", "R2", "R3", "R4"):
        factories.declaration(operator, number=n, declaration_date=date(2025, 3, 1))
    path = Path(str(tmp_path)) / "results.csv"
    path.write_text(
        "declaration_number,fraud_found,critical,inspected_on,revenue_recovered\n"
        "R1,1,0,2025-03-02,100\n"
        f"R2,0,0,{tomorrow},0\n"
        "R3,0,0,2025-03-02,10\n"
        "R4,1,0,2025-02-01,0\n"
    )
    result = ingest.ingest(path, mapping.named("greenlane-inspections"))
    assert (result.batch.rows_accepted, result.batch.rows_rejected) == (1, 3)
    reasons = dict(result.batch.rejected_rows.values_list("row", "reason"))
    assert "in the future" in in_english(reasons[2])
    assert "more than 0 but fraud says no irregularity" in in_english(reasons[3])
    assert "before the declaration date on record" in in_english(reasons[4])
    assert list(Inspection.objects.values_list("declaration__number", flat=True)) == ["R1"]


def test_a_result_is_recorded_and_corrected_through_the_api(declaration: object) -> None:
    officer = factories.user("inspection_officer")
    client = Client()
    client.force_login(officer)
    base = f"/api/v1/declarations/{declaration.pk}/inspection"  # type: ignore[attr-defined]
    assert client.get(base).status_code == 404  # not inspected yet
    nonsense = client.post(
        base, {"fraud_found": False, "revenue_recovered": "10"}, content_type="application/json"
    )
    assert nonsense.status_code == 400
    assert nonsense.json()["field"] == "revenue_recovered"
    made = client.post(
        base,
        {"fraud_found": True, "revenue_recovered": "300.50", "inspected_on": "2025-03-02"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert (made.json()["revenue_recovered"], made.json()["corrections"]) == ("300.50", [])
    future = client.post(
        base + "/corrections",
        {"fraud_found": True, "inspected_on": "2030-01-01", "reason": "typo"},
        content_type="application/json",
    )
    assert (future.status_code, future.json()["field"]) == (400, "inspected_on")
    corrected = client.post(
        base + "/corrections",
        {"fraud_found": False, "inspected_on": "2025-03-02", "reason": "invoice was genuine"},
        content_type="application/json",
    )
    assert corrected.status_code == 201, corrected.content
    answer = client.get(base).json()
    assert answer["fraud_found"] is False
    assert [c["reason"] for c in answer["corrections"]] == ["invoice was genuine"]
    assert answer["corrections"][0]["before"]["revenue_recovered"] == "300.50"
    assert answer["corrections"][0]["corrected_by"] == officer.username
