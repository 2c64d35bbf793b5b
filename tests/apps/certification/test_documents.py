"""The certificate as a document (issue 18, point 6): an official PDF made at issue and on every
change, each version kept as it was, whose QR code leads to the public verification page."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.conf import settings
from django.test import Client, override_settings
from pypdf import PdfReader

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import codes, documents, services
from greenlane.apps.certification.models import (
    Certificate,
    CertificateDocument,
    DocumentKept,
)
from greenlane.apps.certification.public import verification_url
from greenlane.apps.operators import services as operator_services
from tests import factories

from .world import World, approved, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


@pytest.fixture
def certificate(w: World) -> Certificate:
    return Certificate.objects.get(application=approved(w))


def _bytes(document: CertificateDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def _text(pdf: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


# --------------------------------------------------------------------------- versions


def test_issuing_a_certificate_makes_version_1_audited(certificate: Certificate) -> None:
    [document] = certificate.documents.all()
    assert (document.version, document.reason, document.status) == (1, "issued", "active")
    assert document.certificate_revision == certificate.revision
    pdf = _bytes(document)
    assert pdf.startswith(b"%PDF")
    assert (document.size, document.sha256) == (len(pdf), hashlib.sha256(pdf).hexdigest())
    made = AuditEvent.objects.get(action="certification.certificate.document_made")
    assert made.subject_id == str(certificate.pk)
    assert made.data == {"version": 1, "reason": "issued", "status": "active",
                         "sha256": document.sha256}  # fmt: skip


def test_every_change_makes_the_next_version_and_leaves_the_earlier_ones_as_they_were(
    w: World, certificate: Certificate
) -> None:
    first = _bytes(certificate.documents.get())
    services.certificate_transition(certificate, w.decider, "suspend", "late self-review")
    services.certificate_transition(certificate, w.decider, "reinstate")
    services.certificate_transition(certificate, w.decider, "revoke", "fraud")
    kept = list(certificate.documents.order_by("version"))
    assert [(d.version, d.reason, d.status) for d in kept] == [
        (1, "issued", "active"), (2, "suspended", "suspended"), (3, "reinstated", "active"),
        (4, "revoked", "revoked"),
    ]  # fmt: skip
    assert [d.event.transition for d in kept[1:] if d.event] == ["suspend", "reinstate", "revoke"]
    assert _bytes(kept[0]) == first
    assert all(hashlib.sha256(_bytes(d)).hexdigest() == d.sha256 for d in kept)
    assert len({d.file.name for d in kept}) == 4


def test_a_reassessment_supersedes_the_old_certificate_with_a_document_for_each(
    w: World, certificate: Certificate
) -> None:
    reassessment = services.open_reassessment(certificate, w.decider, "monitoring alert")
    services.transition(reassessment, w.admin, "assign", validator=w.validator)
    for criterion in services.version_today().criteria:
        services.record_finding(
            reassessment, w.validator, {"criterion": criterion.id, "result": "compliant"}
        )
    services.transition(reassessment, w.validator, "recommend")
    services.transition(reassessment, w.decider, "approve", reason="ok", tier="A")
    old = certificate.documents.order_by("version")
    assert [(d.reason, d.status) for d in old] == [("issued", "active"),
                                                   ("superseded", "superseded")]  # fmt: skip
    new = Certificate.objects.get(application=reassessment).documents.get()
    assert (new.version, new.reason) == (1, "reassessed")


def test_a_change_whose_document_cannot_be_made_does_not_happen(
    w: World, certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One transaction: the versions and the certificate's state never disagree."""

    def broken(document: CertificateDocument) -> bytes:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(documents, "render", broken)
    with pytest.raises(RuntimeError):
        services.certificate_transition(certificate, w.decider, "suspend", "late")
    certificate.refresh_from_db()
    assert certificate.status == "active"
    assert not certificate.events.exists()
    assert certificate.documents.count() == 1


def test_a_version_is_never_changed_or_deleted(certificate: Certificate) -> None:
    document = certificate.documents.get()
    document.status = "revoked"
    with pytest.raises(DocumentKept):
        document.save()
    with pytest.raises(DocumentKept):
        document.delete()


# --------------------------------------------------------------------------- what it says


def test_the_pdf_names_holder_programme_tier_validity_authority_and_code(
    w: World, certificate: Certificate
) -> None:
    text = _text(_bytes(certificate.documents.get()))
    for expected in (
        w.operator.name, w.operator.code, "Korea AEO programme", "AEO grade A",
        f"Valid from {certificate.valid_from:%Y-%m-%d}",
        f"Valid to {certificate.valid_to:%Y-%m-%d}", "Korea Customs Service (KCS)",
        certificate.number, codes.formatted(certificate.verification_code), "Status active",
    ):  # fmt: skip
        assert expected in text
    assert "SUSPENDED" not in text
    assert "no longer valid" not in text


def test_a_suspended_certificate_s_pdf_says_so_above_all_else(
    w: World, certificate: Certificate
) -> None:
    services.certificate_transition(certificate, w.decider, "suspend", "late self-review")
    text = _text(_bytes(certificate.documents.get(version=2)))
    assert "SUSPENDED since" in text
    assert "it gives no AEO status" in text
    assert text.index("SUSPENDED since") < text.index(w.operator.name)
    assert "late self-review" not in text  # the reason is not printed, as on the public page


@override_settings(AUTHORITY_NAME="Seoul Main Customs")
def test_the_issuing_authority_is_the_setting_when_there_is_one(
    certificate: Certificate, w: World
) -> None:
    document = documents.make(certificate, w.decider, "requested")
    assert "Seoul Main Customs" in _text(_bytes(document))


def _qr_modules(pdf: bytes) -> list[list[bool]]:
    """The dark and light modules of the PDF's QR code, read from the middle of each module's
    square of pixels in the embedded image."""
    [picture] = PdfReader(io.BytesIO(pdf)).pages[0].images
    pixels = picture.image.convert("L")  # type: ignore[union-attr]
    scale = documents.QR_SCALE
    middle = range(scale // 2, pixels.width, scale)
    return [[pixels.getpixel((x, y)) < 128 for x in middle] for y in middle]  # type: ignore[operator]


def test_the_pdf_s_qr_code_leads_to_the_verification_page_which_says_valid(
    certificate: Certificate,
) -> None:
    pdf = _bytes(certificate.documents.get())
    url = verification_url(certificate)
    code = codes.formatted(certificate.verification_code)
    assert url == f"{settings.SITE_URL}/verify/{certificate.number}/?code={code}"
    expected = [
        [bool(m) for m in row]
        for row in documents.qr_code(url).matrix_iter(border=documents.QR_BORDER)
    ]
    assert _qr_modules(pdf) == expected  # the printed code is the code of that address
    links = [a.get_object()["/A"]["/URI"] for a in PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]]
    assert set(links) == {url}
    page = Client().get(url.removeprefix(settings.SITE_URL))
    assert page.status_code == 200
    assert page.context["found"]["number"] == certificate.number
    assert page.context["found"]["valid"] is True


def test_the_page_s_qr_code_carries_the_same_address(w: World, certificate: Certificate) -> None:
    out = io.BytesIO()
    documents.qr_code(verification_url(certificate)).save(out, kind="svg", scale=4, border=2)
    assert _as(w.trader).get(f"/certificates/{certificate.pk}/qr.svg").content == out.getvalue()


# --------------------------------------------------------------------------- downloads


def test_the_holder_downloads_the_current_pdf_and_every_earlier_version(
    w: World, certificate: Certificate
) -> None:
    services.certificate_transition(certificate, w.decider, "suspend", "late")
    trader = _as(w.trader)
    current = trader.get(f"/certificates/{certificate.pk}/certificate.pdf")
    assert current.status_code == 200
    assert current["Content-Type"] == "application/pdf"
    assert current["Content-Disposition"] == (f'attachment; filename="{certificate.number}-v2.pdf"')
    assert current["Cache-Control"].startswith("private")
    assert current.content == _bytes(certificate.documents.get(version=2))
    first = trader.get(f"/certificates/{certificate.pk}/documents/1.pdf")
    assert first.content == _bytes(certificate.documents.get(version=1))
    assert first["Cache-Control"].startswith("private")
    assert trader.get(f"/certificates/{certificate.pk}/documents/3.pdf").status_code == 404


def test_a_version_whose_file_is_missing_is_said_plainly_not_a_server_error(
    w: World, certificate: Certificate
) -> None:
    document = certificate.documents.get(version=1)
    document.file.storage.delete(document.file.name)  # a restore without the media folder
    answer = _as(w.trader).get(f"/certificates/{certificate.pk}/documents/1.pdf")
    assert answer.status_code == 404
    assert "is missing from the server's stored files" in answer.content.decode()


def test_the_holder_s_consultant_and_customs_download_it_others_do_not(
    w: World, certificate: Certificate
) -> None:
    consultancy = factories.organisation("consultancy")
    operator_services.grant_consultant_access(w.operator, consultancy, None)
    stranger = factories.user(Role.TRADER, factories.organisation("operator"))
    path = f"/certificates/{certificate.pk}/certificate.pdf"
    for user, status in (
        (factories.user(Role.CONSULTANT, consultancy), 200), (w.validator, 200),
        (w.decider, 200), (stranger, 404),
        (factories.user(Role.RISK_ANALYST, factories.organisation("customs")), 403),
    ):  # fmt: skip
        response = _as(user).get(path)
        if status == 200:
            assert response.content.startswith(b"%PDF")
        assert response.status_code == status, user.role
    assert Client().get(path).status_code == 302


def test_a_certificate_issued_before_documents_were_kept_gets_one_on_first_download(
    w: World,
) -> None:
    _, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    assert not certificate.documents.exists()
    for _ in range(2):
        response = _as(w.trader).get(f"/certificates/{certificate.pk}/certificate.pdf")
        assert response.content.startswith(b"%PDF")
    document = certificate.documents.get()  # one, not one per download
    assert (document.version, document.reason, document.created_by) == (1, "requested", w.trader)
    made = AuditEvent.objects.get(action="certification.certificate.document_made")
    assert made.actor_id == w.trader.pk


def test_a_certificate_changed_without_a_document_gets_one_when_asked(
    w: World, certificate: Certificate
) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(status="suspended", revision=5)
    certificate.refresh_from_db()
    document = documents.current(certificate, w.decider)
    assert (document.version, document.reason, document.status) == (2, "requested", "suspended")
    assert documents.current(certificate, w.decider) == document


def test_the_certificate_page_lists_the_versions(w: World, certificate: Certificate) -> None:
    services.certificate_transition(certificate, w.decider, "suspend", "late")
    page = _as(w.trader).get(f"/certificates/{certificate.pk}/").content.decode()
    assert f"/certificates/{certificate.pk}/certificate.pdf" in page
    for version in (1, 2):
        assert f"/certificates/{certificate.pk}/documents/{version}.pdf" in page
    assert 'data-testid="documents"' in page


def test_the_api_lists_and_serves_the_versions(w: World, certificate: Certificate) -> None:
    services.certificate_transition(certificate, w.decider, "suspend", "late")
    api = _as(w.trader)
    base = f"/api/v1/certification/certificates/{certificate.pk}"
    listed = api.get(f"{base}/documents").json()
    assert [(d["version"], d["reason"], d["status"]) for d in listed] == [
        (1, "issued", "active"), (2, "suspended", "suspended"),
    ]  # fmt: skip
    current = api.get(f"{base}/document")
    assert current["Content-Type"] == "application/pdf"
    assert hashlib.sha256(current.content).hexdigest() == listed[1]["sha256"]
    first = api.get(f"{base}/documents/1")
    assert hashlib.sha256(first.content).hexdigest() == listed[0]["sha256"]
    stranger = _as(factories.user(Role.TRADER, factories.organisation("operator")))
    assert stranger.get(f"{base}/document").status_code == 404
