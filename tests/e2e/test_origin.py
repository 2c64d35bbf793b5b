"""An administrator trusts a partner's root in the browser; a risk analyst hands in two
certificates of origin, reads what verification found in each, and asks the exporting side
to verify one, then records the answer."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from greenlane.apps.origin.models import OriginCertificate
from greenlane.core.origin import document
from greenlane.core.origin.signature import sign
from tests import factories
from tests.core.origin.pki import example, make_pki
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_root_is_trusted_and_certificates_are_received_and_judged(
    live_server: object, page: object, browser: object, tmp_path: Path
) -> None:
    pki = make_pki()
    base = live_server.url  # type: ignore[attr-defined]
    customs = factories.organisation()
    admin = factories.user("administrator", customs, username="root-keeper")
    analyst = factories.user("risk_analyst", customs, username="ana")
    (tmp_path / "root.pem").write_bytes(pki.root.certificate_pem)
    signed = sign(
        document.build(document.CertificateData.model_validate(example())),
        pki.authority.key_pem,
        pki.authority.certificate_pem,
    )
    (tmp_path / "good.xml").write_bytes(signed)
    (tmp_path / "changed.xml").write_bytes(signed.replace(b"Hanbit", b"Hanbyt"))

    keeper = browser.new_page()  # type: ignore[attr-defined]
    try:
        log_in(keeper, base, admin.username, factories.PASSWORD)
        keeper.goto(f"{base}/origin/trust/")
        form = keeper.get_by_test_id("origin-trust-add")
        form.get_by_label("Partner").fill("KR")
        form.get_by_label("Certificate:", exact=True).set_input_files(str(tmp_path / "root.pem"))
        form.get_by_label("Label").fill("KCS origin root")
        form.get_by_role("button", name="Trust this certificate").click()
        anchors = keeper.get_by_test_id("origin-anchors").inner_text()
        assert "KCS origin root" in anchors
        assert "Authority (vouches for what it issued)" in anchors
    finally:
        keeper.close()

    # The analyst's pages are checked for accessibility by the ``page`` fixture.
    log_in(page, base, analyst.username, factories.PASSWORD)
    page.get_by_role("link", name="Origin").click()  # type: ignore[attr-defined]
    receive = page.get_by_test_id("origin-receive")  # type: ignore[attr-defined]
    receive.get_by_label("Certificate of origin").set_input_files(str(tmp_path / "good.xml"))
    receive.get_by_role("button", name="Receive and verify").click()
    status = page.get_by_test_id("origin-status")  # type: ignore[attr-defined]
    assert status.inner_text().startswith("Received, verified")
    items = page.get_by_test_id("origin-items").inner_text()  # type: ignore[attr-defined]
    assert "Lithium-ion battery packs for laptops" in items

    # The Korea-China data gives no time for a reply: the officer sets it.
    today = date.today()
    ask = page.get_by_test_id("origin-verification-raise")  # type: ignore[attr-defined]
    ask.get_by_label("Questions to the exporting side").fill("Send the cost statement of item 1.")
    ask.get_by_label("Reply due on").fill((today + timedelta(days=90)).isoformat())
    ask.get_by_role("button", name="Send the request").click()
    request = page.get_by_test_id("origin-verification")  # type: ignore[attr-defined]
    assert request.inner_text().startswith("Waiting for the reply")
    request.locator("summary", has_text="Record the outcome").click()
    answer = page.get_by_test_id("origin-verification-close")  # type: ignore[attr-defined]
    answer.get_by_label("Outcome").select_option("confirmed")
    answer.get_by_label("Reply received on").fill(today.isoformat())
    answer.get_by_role("button", name="Record the outcome").click()
    assert page.get_by_test_id("origin-verification").inner_text().startswith("Origin confirmed")  # type: ignore[attr-defined]

    page.get_by_role("link", name="All certificates of origin").click()  # type: ignore[attr-defined]
    receive = page.get_by_test_id("origin-receive")  # type: ignore[attr-defined]
    receive.get_by_label("Certificate of origin").set_input_files(str(tmp_path / "changed.xml"))
    receive.get_by_role("button", name="Receive and verify").click()
    assert page.get_by_test_id("origin-status").inner_text().startswith("Rejected")  # type: ignore[attr-defined]
    reasons = page.get_by_test_id("origin-reasons").inner_text()  # type: ignore[attr-defined]
    assert "digest mismatch: the signed content was changed after it was signed" in reasons
    page.goto(f"{base}/origin/trust/")  # type: ignore[attr-defined]
    assert "KCS origin root" in page.get_by_test_id("origin-anchors").inner_text()  # type: ignore[attr-defined]
    assert sorted(OriginCertificate.objects.values_list("status", flat=True)) == [
        "received",
        "rejected",
    ]
