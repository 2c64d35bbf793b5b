"""The holder downloads its certificate as a PDF in the browser; the address in the PDF's QR
code opens the public verification page, which says valid (issue 18's acceptance)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from greenlane.apps.certification import documents
from greenlane.apps.certification.public import verification_url
from tests import factories
from tests.apps.certification.world import world
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"


def test_the_pdf_s_qr_code_opens_the_verification_page(
    live_server: Any, browser: Any, settings: Any, tmp_path: Any
) -> None:
    settings.SITE_URL = live_server.url  # what the QR code and the link in the PDF carry
    w = world()
    w.trader.set_password(PASSWORD)
    w.trader.save()
    _application, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    documents.make(certificate, w.decider, "issued")
    holder = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(holder, live_server.url, w.trader.username, PASSWORD)
    holder.goto(f"{live_server.url}/certificates/{certificate.pk}/")
    with holder.expect_download() as download:
        holder.get_by_test_id("certificate-pdf").click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    pdf = PdfReader(io.BytesIO(saved.read_bytes()))
    assert certificate.number in pdf.pages[0].extract_text()
    [address] = {a.get_object()["/A"]["/URI"] for a in pdf.pages[0]["/Annots"]}
    assert address == verification_url(certificate)
    assert address.startswith(f"{live_server.url}/verify/{certificate.number}/?code=")

    anyone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # a phone
    anyone.goto(address)
    verdict = anyone.get_by_test_id("verdict").inner_text()
    assert "Valid" in verdict
    assert "Not valid" not in verdict
