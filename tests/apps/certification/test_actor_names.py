"""Traders and consultants see customs staff by role, never by login name (issue 16).

Login names are half of a credential and were the key to locking an account out; the
application timeline showed them to the trader.
"""

from __future__ import annotations

import pytest
from django.test import Client

from greenlane.apps.certification import services
from greenlane.apps.certification.models import Certificate

from .world import World, world

pytestmark = pytest.mark.django_db


def _page(user: object, url: str) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def w() -> World:
    return world()


def _decided(w: World) -> Certificate:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    services.transition(app, w.validator, "request_information", question="Your ledgers?")
    services.transition(app, w.trader, "provide_information", answer="Attached")
    for criterion in services.version_today().criteria:
        services.record_finding(
            app, w.validator, {"criterion": criterion.id, "result": "compliant"}
        )
    services.transition(app, w.validator, "recommend")
    services.transition(app, w.decider, "approve", reason="ok", tier="A")
    certificate = Certificate.objects.get(application=app)
    services.certificate_transition(certificate, w.decider, "suspend", "Critical finding", None)
    return certificate


def test_a_trader_sees_roles_not_customs_login_names(w: World) -> None:
    certificate = _decided(w)
    customs = (w.admin.username, w.validator.username, w.decider.username)
    for url in (
        f"/applications/{certificate.application_id}/",
        "/applications/",
        f"/certificates/{certificate.pk}/",
    ):
        page = _page(w.trader, url)
        assert not [name for name in customs if name in page], url
    timeline = _page(w.trader, f"/applications/{certificate.application_id}/")
    assert "AEO validator" in timeline
    assert "AEO decision officer" in timeline
    assert w.trader.username in timeline  # the trader's own organisation by name


def test_customs_staff_still_see_login_names(w: World) -> None:
    certificate = _decided(w)
    page = _page(w.admin, f"/applications/{certificate.application_id}/")
    assert w.validator.username in page
    assert w.decider.username in page
