"""Public verification needs the certificate's number *and* its printed code (issue 16, item 6).

Numbers are sequential, so the number alone must reveal nothing: not the holder, not whether
such a certificate exists. Decision record 0015.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from greenlane.apps.certification import codes, services
from greenlane.apps.certification.models import Certificate
from tests import factories

from .world import World, approved, world

pytestmark = pytest.mark.django_db
API = "/api/v1/public/certificates"


@pytest.fixture
def w() -> World:
    return world()


def _certificate(w: World, *, status: str = "active") -> Certificate:
    _, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    if status != "active":
        Certificate.objects.filter(pk=certificate.pk).update(status=status)
        certificate.refresh_from_db()
    return certificate


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_it_gives_every_certificate_its_own_unguessable_code(w: World) -> None:
    first = _certificate(w)
    other = factories.operator(factories.organisation("operator"))
    _, second = factories.certified(other, w.snapshot, w.decider)
    assert codes.normalise(first.verification_code) == first.verification_code
    assert len(first.verification_code) == codes.LENGTH
    assert first.verification_code != second.verification_code
    assert codes.normalise(codes.formatted(first.verification_code).lower()) == (
        first.verification_code
    )


def test_an_issued_certificate_gets_a_code(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    assert re.fullmatch(r"KR-AEO-\d{4}-\d{6}", certificate.number)
    assert codes.normalise(certificate.verification_code)


def test_sequential_numbers_without_the_code_reveal_nothing(w: World) -> None:
    """The reproduction: anonymous GETs of every number returned holder, tier and status."""
    certificate = _certificate(w, status="revoked")
    anonymous = Client()
    for response in (
        anonymous.get(f"{API}/{certificate.number}"),
        anonymous.get(f"{API}/{certificate.number}?code=AAAA-AAAA-AAAA"),
        anonymous.get(f"/verify/{certificate.number}/"),
        anonymous.get(f"/verify/?number={certificate.number}&code=AAAAAAAAAAAA"),
    ):
        body = response.content.decode()
        assert w.operator.name not in body
        assert "revoked" not in body
        assert "Valid" not in body
    assert anonymous.get(f"{API}/{certificate.number}").status_code == 404


def test_an_existing_and_a_missing_number_answer_the_same(w: World) -> None:
    certificate = _certificate(w)
    missing = "KR-AEO-2026-999999"
    anonymous = Client()
    for template in (f"{API}/{{}}?code=AAAA-AAAA-AAAA", f"{API}/{{}}", "/verify/{}/?code=ABCD"):
        here = anonymous.get(template.format(certificate.number))
        there = anonymous.get(template.format(missing))
        assert here.status_code == there.status_code
        assert here.content.decode().replace(certificate.number, missing) == there.content.decode()


def test_the_qr_code_is_not_a_public_oracle(w: World) -> None:
    certificate = _certificate(w)
    assert Client().get(f"/verify/{certificate.number}/qr.svg").status_code == 404
    qr = _as(w.trader).get(f"/certificates/{certificate.pk}/qr.svg")
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    page = _as(w.trader).get(f"/certificates/{certificate.pk}/").content.decode()
    printed = codes.formatted(certificate.verification_code)
    assert printed in page
    assert f"/verify/{certificate.number}/?code={printed}" in page


def test_with_the_code_anyone_verifies_and_learns_nothing_private(w: World) -> None:
    certificate = _certificate(w)
    printed = codes.formatted(certificate.verification_code)
    anonymous = Client()
    page = anonymous.get(f"/verify/{certificate.number}/?code={printed}")
    assert page.status_code == 200
    assert "Valid" in page.content.decode()
    assert w.operator.name in page.content.decode()
    assert w.operator.code not in page.content.decode()  # not even the customs identifier
    typed = anonymous.get(
        "/verify/", {"number": certificate.number.lower(), "code": printed.lower().replace("-", "")}
    )
    assert typed.status_code == 200
    data = anonymous.get(f"{API}/{certificate.number}", {"code": printed}).json()
    assert set(data) == {
        "number", "holder", "country", "programme", "tier", "status", "valid_from", "valid_to",
        "valid",
    }  # fmt: skip
    assert data["valid"] is True
    assert data["holder"] == w.operator.name


def test_a_revoked_certificate_still_verifies_as_revoked_with_its_code(w: World) -> None:
    certificate = _certificate(w, status="revoked")
    data = (
        Client().get(f"{API}/{certificate.number}", {"code": certificate.verification_code}).json()
    )
    assert (data["status"], data["valid"]) == ("revoked", False)


def test_anonymous_attempts_are_rate_limited_per_client_address(w: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VERIFICATION_ATTEMPTS = 3
    cache.clear()
    certificate = _certificate(w)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(3):
        assert attacker.get(f"{API}/KR-AEO-2026-{n:06d}", {"code": "AAAA"}).status_code == 404
    refused = attacker.get(f"{API}/{certificate.number}", {"code": certificate.verification_code})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    page = attacker.get(f"/verify/{certificate.number}/", {"code": certificate.verification_code})
    assert page.status_code == 429
    assert page["Retry-After"]
    someone_else = Client(REMOTE_ADDR="198.51.100.9")
    allowed = someone_else.get(
        f"{API}/{certificate.number}", {"code": certificate.verification_code}
    )
    assert allowed.status_code == 200
    cache.clear()


def test_the_register_still_lists_consenting_holders_without_a_code(w: World) -> None:
    certificate = _certificate(w)
    services.set_public_consent(certificate, w.trader, True)
    data = Client().get("/api/v1/public/register").json()
    assert [row["number"] for row in data] == [certificate.number]
