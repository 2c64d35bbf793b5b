"""A person logs in as each demo role in a real browser and sees its home page with figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Max, Q

from greenlane import demo
from greenlane.apps.accounts.models import User
from greenlane.apps.declarations.models import Declaration, Inspection
from greenlane.apps.operators.models import ConsultantAccess, Operator
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _own_declarations(user: User) -> int:
    code = Operator.objects.get(organisation=user.organisation).code
    return Declaration.objects.filter(Q(importer_code=code) | Q(declarant_code=code)).count()


def _recent_inspections(user: User) -> int:
    newest = Declaration.objects.aggregate(d=Max("declaration_date"))["d"]
    return Inspection.objects.filter(inspected_on__gte=newest - timedelta(days=29)).count()


# Each role's headline figure, computed here straight from the tables.
EXPECTED: dict[str, tuple[str, Callable[[User], int]]] = {
    "validator": ("operators", lambda u: Operator.objects.count()),
    "decision": ("operators", lambda u: Operator.objects.count()),
    "analyst": ("inspections", lambda u: Inspection.objects.count()),
    "inspector": ("inspections_30d", _recent_inspections),
    "statistician": ("declarations", lambda u: Declaration.objects.count()),
    "admin": ("users", lambda u: User.objects.filter(is_active=True).count()),
    "trader": ("declarations", _own_declarations),
    "trader2": ("declarations", _own_declarations),
    "consultant": (
        "clients",
        lambda u: ConsultantAccess.objects.filter(
            consultancy=u.organisation, revoked_at=None
        ).count(),
    ),
}


def test_each_demo_role_logs_in_and_sees_its_figures(
    live_server: object, page: object, tmp_path: Path
) -> None:
    logins = demo.seed(demo.demo_config(declarations=4_000, operators_=300), tmp_path)
    assert {login.username for login in logins} == set(EXPECTED)
    base = live_server.url  # type: ignore[attr-defined]
    for login in logins:
        log_in(page, base, login.username, demo.DEMO_PASSWORD)
        assert login.organisation in page.get_by_test_id("who").inner_text()  # type: ignore[attr-defined]

        key, compute = EXPECTED[login.username]
        user = User.objects.get(username=login.username)
        shown = page.locator(f'[data-figure="{key}"]').inner_text()  # type: ignore[attr-defined]
        expected = compute(user)
        assert expected > 0, f"{login.username}: the demo should give {key} a real figure"
        assert int(shown.replace(",", "").split()[0]) == expected, login.username
        _fits_a_phone(page, login.username)

        page.get_by_role("button", name="Log out").click()  # type: ignore[attr-defined]
        page.wait_for_url(f"{base}/login/")  # type: ignore[attr-defined]


def test_a_wrong_password_shows_a_generic_error(live_server: object, page: object) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    page.goto(f"{base}/login/")  # type: ignore[attr-defined]
    page.get_by_label("Username").fill("nobody")  # type: ignore[attr-defined]
    page.get_by_label("Password").fill("wrong")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    alert = page.get_by_role("alert").inner_text()  # type: ignore[attr-defined]
    assert "correct username and password" in alert


PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
TALLEST = 10_000  # px: a page taller than this is a list that should page, or a chart gone wrong


def _fits_a_phone(page: Any, who: str) -> None:
    """On a phone-width screen the home page and every page of the menu are no wider than the
    screen (wide tables scroll inside themselves) and every menu entry can be reached; on a
    desktop screen none is taller than ``TALLEST``."""
    page.set_viewport_size(PHONE)
    try:
        links = page.locator("nav[aria-label=Main] a")
        urls = [links.nth(i).get_attribute("href") for i in range(links.count())]
        for url in ["/", *urls]:
            origin = "/".join(page.url.split("/", 3)[:3])
            page.goto(origin + url)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"{who}: {url} is {wide} px wide on a phone"
            for i in range(links.count()):
                box = links.nth(i).bounding_box()
                assert box is not None, f"{who}: menu entry {i} hidden on {url}"
                right = box["x"] + box["width"]
                assert right <= PHONE["width"], f"{who}: menu entry {i} off screen on {url}"
            page.set_viewport_size(DESKTOP)
            tall = page.evaluate("document.documentElement.scrollHeight")
            assert tall <= TALLEST, f"{who}: {url} is {tall} px tall"
            page.set_viewport_size(PHONE)
    finally:
        page.set_viewport_size(DESKTOP)
