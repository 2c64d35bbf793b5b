"""Ids in the certification pages' forms that name no object: a refusal naming the field,
not a 500 (issue 16), and nothing saved."""

from __future__ import annotations

import pytest
from django.test import Client

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import services
from greenlane.apps.certification.models import Application, SelfReview
from tests import factories

from .world import World, world

pytestmark = pytest.mark.django_db

NOT_IDS = ["abc", "0", "-1", "9223372036854775808", "1.5", "\u0661"]  # the last: an Arabic 1


@pytest.fixture
def w() -> World:
    return world()


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("value", NOT_IDS)
def test_it_refuses_a_validator_that_is_not_an_id(w: World, value: str) -> None:
    application = services.apply(w.operator, w.trader, "A", w.snapshot)
    before = AuditEvent.objects.filter(action__startswith="certification.").count()
    response = _as(w.admin).post(
        f"/applications/{application.pk}/transitions/assign", {"validator": value}
    )
    assert response.status_code == 400
    assert "choose an AEO validator" in response.content.decode()
    application.refresh_from_db()
    assert (application.stage, application.validator) == ("submitted", None)
    assert AuditEvent.objects.filter(action__startswith="certification.").count() == before


@pytest.mark.parametrize("value", NOT_IDS)
def test_it_refuses_a_self_review_snapshot_that_is_not_an_id(w: World, value: str) -> None:
    _, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    review = factories.due_review(certificate)
    response = _as(w.trader).post(
        f"/certificates/{certificate.pk}/reviews/{review.pk}/submit", {"snapshot": value}
    )
    assert response.status_code == 400
    assert "choose a self-test snapshot submitted since" in response.content.decode()
    assert SelfReview.objects.get(pk=review.pk).submitted_at is None
    assert Application.objects.count() == 1
