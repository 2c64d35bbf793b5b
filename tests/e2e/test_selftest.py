"""A trader completes a self-test in the browser, attaches evidence and downloads the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services
from greenlane.apps.assessments.models import SelfAssessment
from greenlane.core.criteria.loader import shipped
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"


def test_a_trader_completes_a_self_test_and_downloads_the_pdf(
    live_server: object, page: object, tmp_path: Path
) -> None:
    operator = factories.operator(factories.organisation("operator"))
    trader = factories.user(Role.TRADER, operator.organisation, username="tess")
    trader.set_password(PASSWORD)
    trader.save()
    base = live_server.url  # type: ignore[attr-defined]
    p = page
    log_in(p, base, "tess", PASSWORD)
    p.get_by_role("link", name="Self-test").click()  # type: ignore[attr-defined]

    requirements = shipped().baseline.requirements
    for req in requirements:
        answer = "Partly met" if req.id == "SEC-IT" else "Met"
        box = p.locator(f"#req-{req.id}")  # type: ignore[attr-defined]
        box.get_by_label(answer, exact=True).check()
        box.get_by_text("Saved").wait_for()  # autosaved, no button pressed
    comment = p.locator("#comment-SEC-IT")  # type: ignore[attr-defined]
    comment.fill("MFA for the customs software is planned")
    status = p.get_by_test_id("status-SEC-IT")  # type: ignore[attr-defined]
    status.get_by_text("Not saved yet").wait_for()
    status.get_by_text("Saved").wait_for()  # after a pause in typing
    assert p.get_by_test_id("progress").inner_text().startswith(f"{len(requirements)} of")  # type: ignore[attr-defined]

    evidence = tmp_path / "it-policy.pdf"
    evidence.write_bytes(factories.MINIMAL_PDF)
    p.get_by_label("Requirement").select_option("SEC-IT")  # type: ignore[attr-defined]
    p.get_by_label("File").set_input_files(str(evidence))  # type: ignore[attr-defined]
    p.get_by_role("button", name="Attach").click()  # type: ignore[attr-defined]
    p.locator("#req-SEC-IT").get_by_role("link", name="it-policy.pdf").wait_for()  # type: ignore[attr-defined]

    p.get_by_test_id("submit").click()  # type: ignore[attr-defined]
    p.get_by_test_id("report").wait_for()  # type: ignore[attr-defined]
    gaps = p.get_by_test_id("gaps").inner_text()  # type: ignore[attr-defined]
    assert "SEC-IT" in gaps
    snapshot = SelfAssessment.objects.get(status="submitted")
    assert services.answers_of(snapshot)["SEC-IT"] == "partly"
    assert snapshot.answers.get(requirement="SEC-IT").comment.startswith("MFA")

    with p.expect_download() as download_info:  # type: ignore[attr-defined]
        p.get_by_test_id("pdf").click()  # type: ignore[attr-defined]
    target = tmp_path / "report.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    assert target.stat().st_size > 5000
