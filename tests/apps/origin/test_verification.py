"""Verification requests: asked, due when the agreement says (or when the officer sets where
it does not), extended once, closed with the outcome; audited; on the page and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.origin import services
from greenlane.apps.origin.models import OriginCertificate, VerificationRequest
from tests import factories
from tests.apps.origin.test_receiving import signed_by, trust_root
from tests.core.origin.pki import Pki, make_pki

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def analyst() -> object:
    return factories.user(Role.RISK_ANALYST)


def received(analyst: object, pki: Pki, **changes: object) -> OriginCertificate:
    admin = factories.user(Role.ADMINISTRATOR, analyst.organisation)  # type: ignore[attr-defined]
    if not services.trust_list(admin.organisation_id, "KR"):
        trust_root(admin, pki)
    return services.receive(
        admin, admin.organisation_id, signed_by(pki.authority, **changes), "api"
    ).certificate


def test_under_akfta_the_reply_is_due_in_two_months_as_korea_customs_says(
    analyst: object, pki: Pki
) -> None:
    certificate = received(analyst, pki, agreement="AKFTA")
    request = services.raise_verification(
        analyst, certificate.pk, "Confirm the producer of item 1.", dt.date(2025, 12, 31)
    )
    assert (request.due_on, request.due_from) == (dt.date(2026, 2, 28), "agreement")
    event = AuditEvent.objects.get(action="origin.verification.raised")
    assert event.data["due_on"] == "2026-02-28"


def test_under_rcep_the_reply_is_due_at_the_longest_the_agreement_allows(
    analyst: object, pki: Pki
) -> None:
    certificate = received(analyst, pki, agreement="RCEP")
    request = services.raise_verification(analyst, certificate.pk, "Q", dt.date(2026, 12, 1))
    assert request.due_on == dt.date(2026, 12, 1) + dt.timedelta(days=90)


def test_where_the_agreement_data_says_nothing_the_officer_sets_the_day(
    analyst: object, pki: Pki
) -> None:
    certificate = received(analyst, pki)  # KR-CN: the reply time is unknown
    with pytest.raises(services.Refused, match="set the day it is due"):
        services.raise_verification(analyst, certificate.pk, "Q", dt.date(2026, 12, 1))
    request = services.raise_verification(
        analyst, certificate.pk, "Q", dt.date(2026, 12, 1), due_on=dt.date(2027, 3, 1)
    )
    assert (request.due_on, request.due_from) == (dt.date(2027, 3, 1), "officer")
    with pytest.raises(services.NotAllowed, match="already has a request waiting"):
        services.raise_verification(analyst, certificate.pk, "Q2", due_on=dt.date(2027, 4, 1))


def test_a_rejected_certificate_is_not_verified(analyst: object, pki: Pki) -> None:
    admin = factories.user(Role.ADMINISTRATOR, analyst.organisation)  # type: ignore[attr-defined]
    rejected = services.receive(admin, admin.organisation_id, signed_by(pki.impostor), "api")
    with pytest.raises(services.NotAllowed, match="backs no claim"):
        services.raise_verification(
            analyst, rejected.certificate.pk, "Q", due_on=dt.date(2099, 1, 1)
        )


def test_the_reply_time_is_extended_once_and_no_reply_is_recorded_only_when_late(
    analyst: object, pki: Pki
) -> None:
    certificate = received(analyst, pki)
    today = dt.date.today()
    request = services.raise_verification(
        analyst,
        certificate.pk,
        "Q",
        today - dt.timedelta(days=100),
        due_on=today - dt.timedelta(days=10),
    )
    services.extend_verification(
        analyst, request.pk, today + dt.timedelta(days=5), "asked for time"
    )
    with pytest.raises(services.NotAllowed, match="extended once already"):
        services.extend_verification(analyst, request.pk, today + dt.timedelta(days=50), "again")
    with pytest.raises(services.NotAllowed, match="not late yet"):
        services.close_verification(analyst, request.pk, "no_reply", None)
    with pytest.raises(services.Refused, match="say what the reply found"):
        services.close_verification(analyst, request.pk, "not_confirmed", today)
    closed = services.close_verification(
        analyst, request.pk, "not_confirmed", today, "the producer makes no batteries"
    )
    assert (closed.outcome, closed.reply_on) == ("not_confirmed", today)
    assert "the producer makes no batteries" in closed.note
    with pytest.raises(services.NotAllowed, match="closed"):
        services.close_verification(analyst, request.pk, "confirmed", today)
    actions = list(
        AuditEvent.objects.filter(action__startswith="origin.verification.").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "origin.verification.raised", "origin.verification.extended", "origin.verification.closed",
    ]  # fmt: skip


def test_a_late_request_without_reply_is_closed_as_such(analyst: object, pki: Pki) -> None:
    certificate = received(analyst, pki)
    today = dt.date.today()
    request = services.raise_verification(
        analyst,
        certificate.pk,
        "Q",
        today - dt.timedelta(days=200),
        due_on=today - dt.timedelta(days=1),
    )
    closed = services.close_verification(analyst, request.pk, "no_reply", today)
    assert (closed.outcome, closed.reply_on) == ("no_reply", None)


def test_the_page_raises_and_closes_a_request(analyst: object, pki: Pki) -> None:
    certificate = received(analyst, pki, agreement="AKFTA")
    client = Client()
    client.force_login(analyst)  # type: ignore[arg-type]
    page = client.get(f"/origin/{certificate.pk}/").content.decode()
    assert "Ask the exporting side to verify" in page
    today = dt.date.today()
    raised = client.post(
        f"/origin/{certificate.pk}/verification",
        {"questions": "Send the cost statement.", "sent_on": today.isoformat(),
         "released_against_guarantee": "on"},
    )  # fmt: skip
    assert raised.status_code == 302
    request = VerificationRequest.objects.get()
    assert request.released_against_guarantee
    listed = client.get("/origin/verifications/").content.decode()
    assert certificate.number in listed
    client.post(
        f"/origin/verifications/{request.pk}/close",
        {"outcome": "confirmed", "reply_on": today.isoformat()},
    )
    request.refresh_from_db()
    assert request.outcome == "confirmed"
    assert "Origin confirmed" in client.get(f"/origin/{certificate.pk}/").content.decode()


def test_the_api_raises_and_closes_a_request_and_refuses_a_second(
    analyst: object, pki: Pki
) -> None:
    certificate = received(analyst, pki, agreement="RCEP")
    client = Client()
    client.force_login(analyst)  # type: ignore[arg-type]
    url = f"/api/v1/origin/certificates/{certificate.pk}/verifications"
    first = client.post(
        url, {"questions": "Q", "sent_on": "2026-12-01"}, content_type="application/json"
    )
    assert first.status_code == 201, first.content
    assert first.json()["due_on"] == "2027-03-01"
    second = client.post(url, {"questions": "Q"}, content_type="application/json")
    assert second.status_code == 409
    closed = client.post(
        f"/api/v1/origin/verifications/{first.json()['id']}/close",
        {"outcome": "confirmed", "reply_on": dt.date.today().isoformat()},
        content_type="application/json",
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["outcome"] == "confirmed"
    assert client.get("/api/v1/origin/verifications").json()["items"][0]["outcome"] == "confirmed"


def test_another_administration_cannot_touch_the_request(analyst: object, pki: Pki) -> None:
    certificate = received(analyst, pki, agreement="AKFTA")
    request = services.raise_verification(analyst, certificate.pk, "Q")
    stranger = factories.user(Role.RISK_ANALYST, factories.organisation(name="Elsewhere"))
    client = Client()
    client.force_login(stranger)
    assert (
        client.post(
            f"/origin/verifications/{request.pk}/close", {"outcome": "confirmed"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/origin/{certificate.pk}/verification", {"questions": "x"}).status_code == 404
    )
    with pytest.raises(services.Refused, match="no such verification request"):
        services.close_verification(stranger, request.pk, "confirmed", dt.date.today())


@pytest.mark.parametrize(
    ("agreement", "sent_on", "due_on"),
    [("AKFTA", "9999-12-31", None), ("RCEP", "9999-12-31", None), ("KR-CN", "9999-12-30", None)],
)
def test_a_day_in_the_future_or_past_the_calendar_is_refused_not_a_crash(
    analyst: object, pki: Pki, agreement: str, sent_on: str, due_on: str | None
) -> None:
    certificate = received(analyst, pki, agreement=agreement)
    client = Client()
    client.force_login(analyst)  # type: ignore[arg-type]
    answer = client.post(
        f"/api/v1/origin/certificates/{certificate.pk}/verifications",
        {"questions": "Q", "sent_on": sent_on, "due_on": due_on},
        content_type="application/json",
    )
    assert answer.status_code == 400, answer.content
    assert not VerificationRequest.objects.exists()
