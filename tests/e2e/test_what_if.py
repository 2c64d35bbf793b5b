"""A risk analyst moves the what-if slider and reads what the rate would have caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenlane import demo
from greenlane.apps.targeting import scoring, services
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_analyst_moves_the_inspection_rate(
    live_server: object, page: object, tmp_path: Path
) -> None:
    demo.seed(demo.demo_config(declarations=8_000, operators_=300), tmp_path)
    services.train()
    scoring.score_stored()
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "analyst", demo.DEMO_PASSWORD)
    page.get_by_role("link", name="What-if").click()  # type: ignore[attr-defined]
    page.wait_for_selector("#chart-what-if[data-drawn=yes]")  # type: ignore[attr-defined]
    # The export links stay folded in the chart's menu, not laid over its legend and points.
    menu = page.locator("#chart-what-if details")  # type: ignore[attr-defined]
    assert menu.count() == 1
    assert not page.locator("#chart-what-if .vega-actions a").first.is_visible()  # type: ignore[attr-defined]
    menu.locator("summary").click()
    assert page.locator("#chart-what-if .vega-actions a").first.is_visible()  # type: ignore[attr-defined]
    menu.locator("summary").click()
    at_five = page.get_by_test_id("what-if-inspected").inner_text()  # type: ignore[attr-defined]
    page.get_by_test_id("what-if-slider").fill("20")  # type: ignore[attr-defined]
    assert page.get_by_test_id("what-if-percent").input_value() == "20"  # type: ignore[attr-defined]
    at_twenty = page.get_by_test_id("what-if-inspected").inner_text()  # type: ignore[attr-defined]
    assert int(at_twenty.replace(",", "")) > int(at_five.replace(",", ""))
    live = page.get_by_test_id("what-if-frauds-share").inner_text()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Show").click()  # type: ignore[attr-defined]
    page.wait_for_selector("#chart-what-if[data-drawn=yes]")  # type: ignore[attr-defined]
    # The server computes the same figures the page showed as the slider moved.
    assert page.get_by_test_id("what-if-inspected").inner_text() == at_twenty  # type: ignore[attr-defined]
    assert page.get_by_test_id("what-if-frauds-share").inner_text() == live  # type: ignore[attr-defined]
