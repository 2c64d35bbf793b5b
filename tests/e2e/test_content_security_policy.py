"""Representative pages, each opened by the role that uses it, load under the
Content-Security-Policy with nothing blocked: no console error, no ``securitypolicyviolation``
event, and every chart drawn (Vega runs through its interpreter, its styles come from a file)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from greenlane import demo
from greenlane.apps.targeting import scoring, services
from greenlane.apps.trs.models import Study
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Registered before any script of the page runs; read back after each visit.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
));
"""
TICKS = "() => [...document.querySelectorAll('[data-chart] svg text')].map((t) => t.textContent)"
ALL_DRAWN = """() => {
  const charts = document.querySelectorAll("[data-chart]");
  return [...charts].every((n) => n.getAttribute("data-drawn") === "yes");
}"""


def _log_in(page: object, base: str, username: str) -> None:
    log_in(page, base, username, demo.DEMO_PASSWORD)


def _check(page: object, console: list[str], charts: int = 0) -> None:
    """Nothing blocked on the page now open, and at least ``charts`` charts drawn."""
    url = page.url  # type: ignore[attr-defined]
    if charts:
        page.wait_for_function(ALL_DRAWN, timeout=20_000)  # type: ignore[attr-defined]
        drawn = page.locator("[data-chart][data-drawn=yes] svg").count()  # type: ignore[attr-defined]
        assert drawn >= charts, url
    violations = page.evaluate("window.__violations")  # type: ignore[attr-defined]
    assert violations == [], url
    assert console == [], url


def test_pages_load_under_the_policy_with_nothing_blocked(
    live_server: object, page: object, tmp_path: Path
) -> None:
    demo.seed(demo.demo_config(declarations=8_000, operators_=300), tmp_path)
    version = services.train()
    scoring.score_stored()
    study = Study.objects.get(status=Study.Status.DONE)
    base = live_server.url  # type: ignore[attr-defined]
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.add_init_script(LISTEN)  # type: ignore[attr-defined]

    page.goto(f"{base}/login/")  # type: ignore[attr-defined]
    _check(page, console)
    _log_in(page, base, "trader")
    _check(page, console)
    page.goto(f"{base}/self-test/")  # type: ignore[attr-defined]
    page.wait_for_url("**/self-test/")  # type: ignore[attr-defined]
    _check(page, console)
    page.get_by_role("button", name="Log out").click()  # type: ignore[attr-defined]

    _log_in(page, base, "statistician")
    page.goto(f"{base}/trs/{study.pk}/")  # type: ignore[attr-defined]
    _check(page, console, charts=4)
    page.goto(f"{base}/trs/{study.pk}/summary/")  # type: ignore[attr-defined]
    _check(page, console)  # its inline style is allowed by its hash
    page.goto(f"{base}/")  # type: ignore[attr-defined]  # the summary stands alone: no menu
    page.get_by_role("button", name="Log out").click()  # type: ignore[attr-defined]

    _log_in(page, base, "analyst")
    page.goto(f"{base}/risk/models/{version.version}/")  # type: ignore[attr-defined]
    _check(page, console, charts=1)
    assert page.get_by_test_id("drift-chart").count() == 1  # type: ignore[attr-defined]
    english_ticks = page.evaluate(TICKS)  # type: ignore[attr-defined]
    # The chart's own numbers are written in the reader's way (chart_locale): 0,2 in Spanish.
    page.context.add_cookies([{"name": "greenlane_language", "value": "es", "url": base}])  # type: ignore[attr-defined]
    page.goto(f"{base}/risk/models/{version.version}/")  # type: ignore[attr-defined]
    _check(page, console, charts=1)
    assert page.locator("html").get_attribute("lang") == "es"  # type: ignore[attr-defined]
    spanish_ticks = page.evaluate(TICKS)  # type: ignore[attr-defined]
    assert [t for t in english_ticks if re.fullmatch(r"\d+\.\d+", t)], english_ticks
    assert [t for t in spanish_ticks if re.fullmatch(r"\d+,\d+", t)], spanish_ticks
    assert not [t for t in spanish_ticks if re.fullmatch(r"\d+\.\d+", t)], spanish_ticks
    page.context.add_cookies([{"name": "greenlane_language", "value": "en", "url": base}])  # type: ignore[attr-defined]
    page.goto(f"{base}/risk/what-if/")  # type: ignore[attr-defined]
    _check(page, console, charts=1)
    page.goto(f"{base}/risk/simulations/")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Queue the simulation").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/risk/simulations/*/")  # type: ignore[attr-defined]
    _check(page, console, charts=3)
    page.goto(f"{base}/api/v1/docs")  # type: ignore[attr-defined]
    _check(page, console)
    page.goto(f"{base}/api/v1/console")  # type: ignore[attr-defined]
    page.wait_for_selector(".swagger-ui .info")  # type: ignore[attr-defined]
    _check(page, console)
