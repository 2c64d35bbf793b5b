"""The whole lifecycle in the browser: a trader applies, a validator reviews and visits,
a decision officer decides, and anyone verifies the certificate."""

from __future__ import annotations

from datetime import date

import pytest

from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification import services
from greenlane.apps.certification.models import Certificate
from tests import factories
from tests.apps.certification.world import world
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"


def _login(browser: object, base: str, user: object) -> object:
    user.set_password(PASSWORD)  # type: ignore[attr-defined]
    user.save()  # type: ignore[attr-defined]
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, user.username, PASSWORD)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def test_apply_review_visit_decide_and_verify(live_server: object, browser: object) -> None:
    w = world()
    admin = factories.user(Role.ADMINISTRATOR, w.decider.organisation)
    base = live_server.url  # type: ignore[attr-defined]

    trader = _login(browser, base, w.trader)
    trader.goto(f"{base}/operators/{w.operator.pk}/self-tests/")  # type: ignore[attr-defined]
    trader.get_by_test_id("apply-link").click()  # type: ignore[attr-defined]
    trader.get_by_label("Tier").select_option("AA")  # type: ignore[attr-defined]
    trader.get_by_test_id("apply").click()  # type: ignore[attr-defined]
    assert trader.get_by_test_id("stage").inner_text() == "submitted"  # type: ignore[attr-defined]
    number = trader.locator("h1").inner_text().split()[-1]  # type: ignore[attr-defined]

    chief = _login(browser, base, admin)
    chief.goto(f"{base}/applications/")  # type: ignore[attr-defined]
    chief.get_by_role("link", name=number).click()  # type: ignore[attr-defined]
    chief.get_by_label("Validator").select_option(str(w.validator.pk))  # type: ignore[attr-defined]
    chief.get_by_role("button", name="Assign").click()  # type: ignore[attr-defined]

    validator = _login(browser, base, w.validator)
    validator.goto(f"{base}/applications/?mine=1")  # type: ignore[attr-defined]
    validator.get_by_role("link", name=number).click()  # type: ignore[attr-defined]
    url = validator.url  # type: ignore[attr-defined]
    for criterion in services.version_today().criteria:
        row = validator.locator(f"#c-{criterion.id}")  # type: ignore[attr-defined]
        row.get_by_role("button", name="Save").click()
        validator.wait_for_url(f"{url}#findings")  # type: ignore[attr-defined]
    validator.get_by_label("Date of the visit").fill(date.today().isoformat())  # type: ignore[attr-defined]
    validator.get_by_label("Validation plan").fill("Warehouse, IT room, HR files")  # type: ignore[attr-defined]
    validator.get_by_role("button", name="Plan the on-site validation").click()  # type: ignore[attr-defined]
    validator.get_by_label("Visited on").fill(date.today().isoformat())  # type: ignore[attr-defined]
    validator.get_by_label("Report").fill("Access control, seals and screening seen in place")  # type: ignore[attr-defined]
    validator.get_by_role("button", name="File the report").click()  # type: ignore[attr-defined]
    validator.get_by_role("button", name="Send to a decision officer").click()  # type: ignore[attr-defined]
    assert validator.get_by_test_id("stage").inner_text() == "awaiting decision"  # type: ignore[attr-defined]

    decider = _login(browser, base, w.decider)
    decider.goto(url)  # type: ignore[attr-defined]
    decider.get_by_label("Reasons", exact=True).fill("Every criterion met; visit satisfactory")  # type: ignore[attr-defined]
    decider.get_by_test_id("approve").click()  # type: ignore[attr-defined]
    decider.get_by_test_id("certificate").click()  # type: ignore[attr-defined]
    certificate = Certificate.objects.get()
    assert certificate.tier == "AA"
    code = decider.get_by_test_id("verification-code").locator("code").inner_text()  # type: ignore[attr-defined]

    public = browser.new_page()  # type: ignore[attr-defined]
    public.goto(f"{base}/verify/")
    public.get_by_label("Certificate number").fill(certificate.number)
    public.get_by_label("Verification code").fill("WRONG-CODE-0000")
    public.get_by_role("button", name="Check").click()
    assert "No certificate matches" in public.get_by_test_id("error").inner_text()
    assert w.operator.name not in public.content()
    public.get_by_label("Verification code").fill(code)
    public.get_by_role("button", name="Check").click()
    verdict = public.get_by_test_id("verdict").inner_text()
    assert verdict.startswith("Valid")
    assert w.operator.name in verdict
    for page in (trader, chief, validator, decider):
        assert page.errors == []  # type: ignore[attr-defined]
