"""Receiving certificates of origin into an administration: the trust list with dates, the
bytes kept unchanged, rejection with reasons, idempotence, isolation, audit; pages, API and
command line."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader
from typer.testing import CliRunner

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.origin import services
from greenlane.apps.origin.models import OriginCertificate, TrustAnchor
from greenlane.cli import app
from greenlane.core.origin import document
from greenlane.core.origin.signature import sign
from tests import factories
from tests.core.origin.pki import Holder, Pki, example, make_pki, revocation_list

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture
def admin() -> object:
    return factories.user(Role.ADMINISTRATOR)


def signed_by(holder: Holder, **changes: object) -> bytes:
    data = document.CertificateData.model_validate(example(**changes))
    return sign(document.build(data), holder.key_pem, holder.certificate_pem)


def trust_root(admin: object, pki: Pki, **kwargs: object) -> TrustAnchor:
    return services.add_anchor(admin, "KR", pki.root.certificate_pem, **kwargs)  # type: ignore[arg-type]


def test_a_certificate_signed_under_a_trusted_root_is_received_with_its_bytes(
    admin: object, pki: Pki
) -> None:
    trust_root(admin, pki)
    data = signed_by(pki.authority)
    received = services.receive(admin, admin.organisation_id, data, "api")  # type: ignore[attr-defined]
    certificate = received.certificate
    assert received.created
    assert certificate.status == OriginCertificate.Status.RECEIVED
    assert certificate.english_reasons() == []
    assert (certificate.number, certificate.partner, certificate.agreement) == (
        "KR-CN-2026-000123", "KR", "KR-CN",
    )  # fmt: skip
    assert certificate.importer_id == "CN9131000012345678"
    certificate.refresh_from_db()
    assert bytes(certificate.document) == data
    assert certificate.sha256 == hashlib.sha256(data).hexdigest()
    event = AuditEvent.objects.get(action="origin.certificate.received")
    assert event.data["number"] == "KR-CN-2026-000123"


def test_the_same_bytes_twice_are_one_certificate(admin: object, pki: Pki) -> None:
    trust_root(admin, pki)
    data = signed_by(pki.authority)
    first = services.receive(admin, admin.organisation_id, data, "api")  # type: ignore[attr-defined]
    again = services.receive(admin, admin.organisation_id, data, "upload")  # type: ignore[attr-defined]
    assert not again.created
    assert again.certificate.pk == first.certificate.pk
    assert OriginCertificate.objects.count() == 1


def test_without_a_trust_list_for_the_partner_it_is_kept_and_rejected(
    admin: object, pki: Pki
) -> None:
    received = services.receive(admin, admin.organisation_id, signed_by(pki.authority), "api")  # type: ignore[attr-defined]
    assert received.certificate.status == OriginCertificate.Status.REJECTED
    assert received.certificate.english_reasons() == [
        "no trust list for KR: an administrator adds the partner's certificates first"
    ]
    assert AuditEvent.objects.filter(action="origin.certificate.rejected").count() == 1


def test_a_tampered_certificate_is_rejected_with_the_digest_reason(admin: object, pki: Pki) -> None:
    trust_root(admin, pki)
    tampered = signed_by(pki.authority).replace(b"84000.00", b"8400.00")
    certificate = services.receive(admin, admin.organisation_id, tampered, "api").certificate  # type: ignore[attr-defined]
    assert certificate.status == OriginCertificate.Status.REJECTED
    assert certificate.english_reasons()[0].startswith("digest mismatch")


def test_a_signature_after_the_root_was_retired_is_not_trusted_and_one_before_is(
    admin: object, pki: Pki
) -> None:
    anchor = trust_root(admin, pki, trusted_from=dt.date(2025, 1, 1))
    services.retire_anchor(admin, anchor.pk, dt.date(2026, 7, 1), "rotated to a new root")
    before = services.receive(
        admin,
        admin.organisation_id,
        signed_by(pki.authority, issue_date="2026-06-30"),
        "api",  # type: ignore[attr-defined]
    ).certificate
    after = services.receive(
        admin, admin.organisation_id, signed_by(pki.authority), "api"
    ).certificate  # type: ignore[attr-defined]
    assert before.status == OriginCertificate.Status.RECEIVED, before.english_reasons()
    assert after.status == OriginCertificate.Status.REJECTED
    assert after.english_reasons()[0].startswith("not trusted on the signing date:")
    assert "retired on 2026-07-01" in after.english_reasons()[0]


def test_a_revocation_list_must_come_from_the_partners_authority(admin: object, pki: Pki) -> None:
    trust_root(admin, pki)
    crl = revocation_list(
        pki.root, [(pki.revoked.certificate, dt.datetime(2026, 6, 1, tzinfo=dt.UTC), None)]
    )
    services.add_revocation_list(admin, "KR", crl.public_bytes(serialization.Encoding.PEM))
    rejected = services.receive(
        admin, admin.organisation_id, signed_by(pki.revoked), "api"
    ).certificate  # type: ignore[attr-defined]
    assert rejected.english_reasons()[0].startswith("certificate revoked:")
    stranger = revocation_list(pki.impostor, [])
    with pytest.raises(services.Refused, match="no certificate in KR's trust list signed"):
        services.add_revocation_list(admin, "KR", stranger.public_bytes(serialization.Encoding.DER))


def test_a_second_certificate_with_the_same_number_is_rejected(admin: object, pki: Pki) -> None:
    trust_root(admin, pki)
    services.receive(admin, admin.organisation_id, signed_by(pki.authority), "api")  # type: ignore[attr-defined]
    other = signed_by(pki.authority, remarks="sent again, changed")
    second = services.receive(admin, admin.organisation_id, other, "api").certificate  # type: ignore[attr-defined]
    assert second.status == OriginCertificate.Status.REJECTED
    assert "was received before with other content" in second.english_reasons()[0]


def test_trust_list_changes_are_refused_with_reasons(admin: object, pki: Pki) -> None:
    anchor = trust_root(admin, pki)
    with pytest.raises(services.Refused, match="already in KR's trust list"):
        trust_root(admin, pki)
    with pytest.raises(services.Refused, match="not an ISO 3166 country code"):
        services.add_anchor(admin, "ZZ", pki.authority.certificate_pem)
    with pytest.raises(services.Refused, match=r"not an X\.509 certificate"):
        services.add_anchor(admin, "KR", b"hello")
    with pytest.raises(services.Refused, match="one certificate per file"):
        services.add_anchor(admin, "CN", pki.root.certificate_pem + pki.authority.certificate_pem)
    with pytest.raises(services.Refused, match="before it was trusted"):
        services.retire_anchor(admin, anchor.pk, dt.date(2020, 1, 1), "typo")
    services.retire_anchor(admin, anchor.pk, dt.date(2026, 1, 1), "rotated")
    with pytest.raises(services.NotAllowed, match="already retired"):
        services.retire_anchor(admin, anchor.pk, dt.date(2026, 2, 1), "again")
    assert AuditEvent.objects.filter(action__startswith="origin.trust.").count() == 2


def test_another_administration_sees_none_of_it(admin: object, pki: Pki) -> None:
    trust_root(admin, pki)
    certificate = services.receive(
        admin, admin.organisation_id, signed_by(pki.authority), "api"
    ).certificate  # type: ignore[attr-defined]
    stranger = factories.user(Role.ADMINISTRATOR, factories.organisation(name="Other customs"))
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/origin/{certificate.pk}/").status_code == 404
    assert client.get(f"/origin/{certificate.pk}/document.xml").status_code == 404
    assert client.get(f"/api/v1/origin/certificates/{certificate.pk}").status_code == 404
    assert client.get("/api/v1/origin/certificates").json()["items"] == []
    assert client.get("/api/v1/origin/trust").json() == []
    # Its own list is separate: the same root is not "already" there.
    services.add_anchor(stranger, "KR", pki.root.certificate_pem)


def test_the_pages_receive_show_and_hand_back_the_file(admin: object, pki: Pki) -> None:
    client = Client()
    client.force_login(admin)  # type: ignore[arg-type]
    add = client.post(
        "/origin/trust/add",
        {
            "partner": "kr",
            "file": SimpleUploadedFile("root.pem", pki.root.certificate_pem),
            "label": "KCS root",
        },
    )
    assert add.status_code == 302
    assert "KCS root" in client.get("/origin/trust/").content.decode()
    data = signed_by(pki.authority)
    sent = client.post("/origin/receive", {"file": SimpleUploadedFile("co.xml", data)})
    certificate = OriginCertificate.objects.get()
    assert sent.url == f"/origin/{certificate.pk}/"
    page = client.get(sent.url).content.decode()
    assert "Hanbit Electronics Co., Ltd." in page
    assert "850760" in page
    assert certificate.sha256 in page
    download = client.get(f"/origin/{certificate.pk}/document.xml")
    assert b"".join(download) == data
    pdf = client.get(f"/origin/{certificate.pk}/certificate.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "KR-CN-2026-000123" in text
    assert "Lithium-ion battery packs for laptops" in text
    assert certificate.sha256 in text.replace("\n", "")
    listed = client.get("/origin/?status=received").content.decode()
    assert "KR-CN-2026-000123" in listed
    assert "KR-CN-2026-000123" not in client.get("/origin/?status=rejected").content.decode()


def test_a_rejected_certificate_shows_its_reasons_on_its_page(admin: object, pki: Pki) -> None:
    client = Client()
    client.force_login(admin)  # type: ignore[arg-type]
    client.post("/origin/receive", {"file": SimpleUploadedFile("co.xml", signed_by(pki.impostor))})
    page = client.get(f"/origin/{OriginCertificate.objects.get().pk}/").content.decode()
    assert "no trust list for KR" in page
    assert "its signature does not vouch for them" in page


def test_the_api_receives_and_answers_201_then_200(admin: object, pki: Pki) -> None:
    trust_root(admin, pki)
    client = Client()
    client.force_login(admin)  # type: ignore[arg-type]
    data = signed_by(pki.authority)
    first = client.post("/api/v1/origin/certificates", {"file": SimpleUploadedFile("co.xml", data)})
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "received"
    assert body["figures"]["items"][0]["hs_code"] == "850760"
    again = client.post("/api/v1/origin/certificates", {"file": SimpleUploadedFile("co.xml", data)})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    raw = client.get(f"/api/v1/origin/certificates/{body['id']}/document")
    assert b"".join(raw) == data


def test_the_command_line_adds_trust_and_receives(admin: object, pki: Pki, tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "root.pem").write_bytes(pki.root.certificate_pem)
    (tmp_path / "good.xml").write_bytes(signed_by(pki.authority))
    (tmp_path / "bad.xml").write_bytes(signed_by(pki.expired))
    name = admin.username  # type: ignore[attr-defined]
    added = runner.invoke(
        app, ["origin", "trust", "add", str(tmp_path / "root.pem"), "--partner", "KR", "--by", name]
    )
    assert added.exit_code == 0, added.output
    result = runner.invoke(
        app,
        ["origin", "receive", str(tmp_path / "good.xml"), str(tmp_path / "bad.xml"), "--by", name],
    )
    assert result.exit_code == 1
    assert "KR-CN-2026-000123 from KR recorded" in result.stdout
    assert "certificate expired" in result.stderr
    listed = runner.invoke(app, ["origin", "trust", "list", "--by", name], env={"COLUMNS": "200"})
    assert "KCS Origin Root CA" in listed.stdout
    assert json.dumps(
        sorted(OriginCertificate.objects.values_list("status", flat=True))
    ) == json.dumps(["received", "rejected"])


def test_the_reasons_are_read_in_the_readers_language_and_kept_in_english_for_machines(
    admin: object, pki: Pki
) -> None:
    trust_root(admin, pki)
    tampered = signed_by(pki.authority).replace(b"84000.00", b"8400.00")
    certificate = services.receive(admin, admin.organisation_id, tampered, "api").certificate  # type: ignore[attr-defined]
    english = "digest mismatch: the signed content was changed after it was signed"
    with translation.override("ko"):
        korean = gettext(english)
    assert korean != english
    client = Client()
    client.force_login(admin)  # type: ignore[arg-type]
    page = client.get(f"/origin/{certificate.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert korean in page
    api = client.get(
        f"/api/v1/origin/certificates/{certificate.pk}", HTTP_ACCEPT_LANGUAGE="ko"
    ).json()
    assert api["reasons"] == [korean]
    assert AuditEvent.objects.get(action="origin.certificate.rejected").data["reasons"] == [english]
