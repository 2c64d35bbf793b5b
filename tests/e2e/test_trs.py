"""A statistician designs a Time Release Study in the browser, hands in an event log, runs
it, watches it finish and reads the report with its charts drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenlane.apps.accounts.roles import Role
from greenlane.apps.trs.models import Study
from tests import factories
from tests.apps.trs.test_studies import HEADER, ROWS
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"


def test_design_feed_run_and_read_a_study(
    live_server: object, browser: object, tmp_path: Path
) -> None:
    statistician = factories.user(Role.STATISTICIAN, factories.organisation("customs"))
    statistician.set_password(PASSWORD)
    statistician.save()
    events = tmp_path / "march-events.csv"
    events.write_text(HEADER + ROWS, encoding="utf-8")
    base = live_server.url  # type: ignore[attr-defined]
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, statistician.username, PASSWORD)

    page.get_by_role("link", name="Release studies").click()
    page.get_by_role("link", name="New study").click()
    page.get_by_label("Title").fill("March sea cargo")
    page.get_by_label("Release-time targets (hours)").fill("3, 6")
    page.get_by_label("Bootstrap replicates").fill("20")
    page.get_by_role("button", name="Create the study").click()
    page.get_by_label("Event log").set_input_files(str(events))
    page.get_by_role("button", name="Hand in").click()
    assert "march-events.csv added to the study" in page.content()
    page.get_by_role("button", name="Run the study").click()

    assert page.get_by_test_id("trs-status").inner_text() == "Done"
    assert page.get_by_test_id("trs-consignments").inner_text() == "4"
    assert page.get_by_test_id("trs-mean").inner_text() == "5.0 h"
    page.wait_for_selector("#chart-release-curve[data-drawn=yes]")
    assert page.locator("#chart-release-curve svg.marks").first.get_attribute("width") != "0"
    drawn = page.locator("figure.chart[data-drawn=yes]").count()
    assert drawn == page.locator("figure.chart").count() >= 4
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_role("link", name="TFA 7.6 publication summary").click()
    assert "5.0 hours" in page.get_by_test_id("summary-mean").inner_text()
    assert errors == []
    assert Study.objects.get().status == Study.Status.DONE
