"""Reading a company's confidential self-test is audited: evidence downloads by anyone, and
submitted snapshots read by customs (issue 16: neither was)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.operators import services as operator_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    operator = factories.operator(factories.organisation("operator"))
    trader = factories.user(Role.TRADER, operator.organisation)
    validator = factories.user(Role.VALIDATOR, factories.organisation("customs"))
    operator_services.assign_validator(operator, validator, None)
    factories.answered_draft(operator, trader)
    evidence = services.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload())
    first = services.submit(operator, trader)
    services.save_answer(operator, trader, "REC-SYSTEM", "partly", "")
    second = services.submit(operator, trader)
    return {"operator": operator, "trader": trader, "validator": validator,
            "evidence": evidence, "snapshots": (first, second)}  # fmt: skip


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reads(action: str) -> list[tuple[str, str, Any]]:
    return [
        (e.actor, e.subject_id, e.data.get("via") or e.data.get("file"))
        for e in AuditEvent.objects.filter(action=action).order_by("seq")
    ]


def test_it_audits_every_evidence_download_with_who_and_which_file(world: dict[str, Any]) -> None:
    evidence = world["evidence"]
    responses = [
        _as(u).get(f"/evidence/{evidence.pk}/") for u in (world["validator"], world["trader"])
    ]
    assert [r.status_code for r in responses] == [200, 200]
    assert _reads("assessments.evidence.downloaded") == [
        (world["validator"].username, str(evidence.pk), "evidence.pdf"),
        (world["trader"].username, str(evidence.pk), "evidence.pdf"),
    ]
    event = AuditEvent.objects.filter(action="assessments.evidence.downloaded").first()
    assert event is not None
    assert event.data["sha256"] == evidence.sha256
    assert audit.verify()[1] is None
    for response in responses:  # ends the request, which closes the database connection: last
        response.close()


def test_it_audits_customs_reading_a_snapshot_by_page_comparison_and_api(
    world: dict[str, Any],
) -> None:
    operator, (first, second) = world["operator"], world["snapshots"]
    officer = _as(world["validator"])
    base = f"/operators/{operator.pk}/self-tests"
    assert officer.get(f"{base}/{first.pk}/").status_code == 200
    assert officer.get(f"{base}/?before={first.pk}&after={second.pk}").status_code == 200
    assert officer.get(f"/api/v1/self-assessments/{second.pk}").status_code == 200
    assert _reads("assessments.snapshot.read") == [
        (world["validator"].username, str(first.pk), "page"),
        (world["validator"].username, str(first.pk), "comparison"),
        (world["validator"].username, str(second.pk), "comparison"),
        (world["validator"].username, str(second.pk), "api"),
    ]
    # The company reads its own self-tests without a trace in the log.
    own = _as(world["trader"])
    assert own.get(f"{base}/{first.pk}/").status_code == 200
    assert own.get(f"/api/v1/self-assessments/{first.pk}").status_code == 200
    assert len(_reads("assessments.snapshot.read")) == 4
