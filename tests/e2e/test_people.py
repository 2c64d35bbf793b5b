"""An administrator sets up a company and its first user in the browser; the user follows the
e-mailed link, chooses a password and signs in (issue 18's acceptance, the administrator's part)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"


def test_an_administrator_sets_up_a_company_whose_user_chooses_a_password_and_signs_in(
    live_server: Any, browser: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # the start of the links in e-mails
    customs = factories.organisation("customs")
    admin = factories.user(Role.ADMINISTRATOR, customs, username="root")
    admin.set_password(PASSWORD)
    admin.save()
    factories.operator(None, code="KR0042", name="Hanbit Logistics")
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, "root", PASSWORD)

    page.get_by_role("link", name="Organisations").click()
    page.get_by_label("Name").fill("Hanbit Logistics Co.")
    page.get_by_label("Kind").select_option("operator")
    page.get_by_label("Country").fill("KR")
    page.get_by_role("button", name="Add").click()
    page.get_by_label("Link to the operator record with identifier").fill("KR0042")
    page.get_by_role("button", name="Link").click()
    assert "Hanbit Logistics (KR0042)" in page.get_by_test_id("linked-operator").inner_text()
    page.get_by_role("link", name="Add a person to Hanbit Logistics Co.").click()
    page.get_by_label("Username").fill("minji")
    page.get_by_label("First name").fill("Min-ji")
    page.get_by_label("Last name").fill("Kim")
    page.get_by_label("E-mail").fill("minji@hanbit.example")
    page.get_by_label("Role").select_option(Role.TRADER)
    page.get_by_role("button", name="Add and send the password link").click()
    assert "a link to choose a password is on its way to minji@hanbit.example" in page.content()
    assert User.objects.get(username="minji").organisation.name == "Hanbit Logistics Co."

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/account/set-password/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    trader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    trader.goto(link.group(0))
    trader.get_by_label("New password", exact=True).fill(PASSWORD)
    trader.get_by_label("New password confirmation").fill(PASSWORD)
    trader.get_by_role("button", name="Set my password").click()
    assert "Your password is set" in trader.content()
    log_in(trader, base, "minji", PASSWORD)
    assert "Hanbit Logistics" in trader.locator("main").inner_text()  # its company, at once
    assert AuditEvent.objects.filter(action="accounts.password.set", actor="minji").exists()
    assert errors == []
