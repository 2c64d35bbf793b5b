"""A risk analyst hands in the KCS file in the browser and reads the ingest report."""

from __future__ import annotations

import pytest

from greenlane.apps.declarations.models import Declaration, IngestBatch, Upload
from tests import factories
from tests.e2e.conftest import log_in
from tests.shared_data import kcs_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_hands_in_a_file_and_reads_the_report(live_server: object, page: object) -> None:
    kcs_valid = kcs_file("valid.csv")
    analyst = factories.user("risk_analyst", username="ana")
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, analyst.username, factories.PASSWORD)
    page.get_by_role("link", name="Ingests").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Hand in a file").click()  # type: ignore[attr-defined]
    page.get_by_label("File", exact=True).set_input_files(str(kcs_valid))  # type: ignore[attr-defined]
    page.get_by_label("Mapping", exact=True).select_option("kcs")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Upload and check").click()  # type: ignore[attr-defined]

    assert page.get_by_test_id("status").inner_text() == "Done"  # type: ignore[attr-defined]
    assert "8,134 rows read" in page.get_by_test_id("message").inner_text()  # type: ignore[attr-defined]
    assert page.locator("#bar").get_attribute("value") == "8134"  # type: ignore[attr-defined]
    page.get_by_role("link", name="Ingest report").click()  # type: ignore[attr-defined]
    batch = IngestBatch.objects.get()
    shown = page.locator('[data-figure="rows_accepted"]').inner_text()  # type: ignore[attr-defined]
    assert int(shown.replace(",", "")) == batch.rows_accepted == Declaration.objects.count()


def test_a_file_over_the_limit_is_refused_in_the_browser_with_its_size(
    live_server: object, page: object, settings: object, tmp_path: object
) -> None:
    from pathlib import Path

    settings.MAX_UPLOAD_MB = 1  # type: ignore[attr-defined]
    big = Path(str(tmp_path)) / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 600_000)  # 2.3 MB
    analyst = factories.user("risk_analyst", username="ana")
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, analyst.username, factories.PASSWORD)
    page.goto(f"{base}/declarations/uploads/new/")  # type: ignore[attr-defined]
    field = page.get_by_label("File", exact=True)  # type: ignore[attr-defined]
    field.set_input_files(str(big))
    message = field.evaluate("input => input.validationMessage")
    assert message == "big.csv is 2.3 MB; the limit is 1 MB"
    page.get_by_role("button", name="Upload and check").click()  # type: ignore[attr-defined]
    assert page.url == f"{base}/declarations/uploads/new/"  # type: ignore[attr-defined]
    assert not Upload.objects.exists()  # nothing was sent
    # A file within the limit clears the message.
    small = Path(str(tmp_path)) / "small.csv"
    small.write_bytes(b"a,b\n1,2\n")
    field.set_input_files(str(small))
    assert field.evaluate("input => input.validationMessage") == ""
