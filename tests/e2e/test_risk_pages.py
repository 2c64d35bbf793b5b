"""A risk analyst reads the highest scores and a declaration's reasons in the browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenlane import demo
from greenlane.apps.targeting import scoring, services
from greenlane.apps.targeting.models import Score
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_analyst_opens_the_top_score_and_reads_why(
    live_server: object, page: object, tmp_path: Path
) -> None:
    demo.seed(demo.demo_config(declarations=8_000, operators_=300), tmp_path)
    services.train()
    scoring.score_stored()
    top = Score.objects.order_by("-probability", "id").select_related("declaration").first()
    assert top is not None
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "analyst", demo.DEMO_PASSWORD)
    page.get_by_role("link", name="Risk scores").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name=top.declaration.number).click()  # type: ignore[attr-defined]
    shown = page.get_by_test_id("probability").first.inner_text()  # type: ignore[attr-defined]
    assert shown == f"{top.probability:.3f}"
    reasons = page.locator("ol.reasons li").all_inner_texts()  # type: ignore[attr-defined]
    assert reasons == [r["text"] for r in top.reasons]
