"""An administrator adds a customs validator in the browser; a trader who forgot the password
asks for a link, follows it from the mailbox and signs in (issue 18's acceptance)."""

from __future__ import annotations

from typing import Any

import pytest

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from tests import factories
from tests.e2e.conftest import log_in
from tests.mailserver import loopback_smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "another horse, another staple 43"


def test_a_new_validator_and_a_forgotten_password_both_end_signed_in(
    live_server: Any, browser: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # the start of the links in e-mails
    customs = factories.organisation("customs", name="Korea Customs Service")
    admin = factories.user(Role.ADMINISTRATOR, customs, username="root")
    admin.set_password(PASSWORD)
    admin.save()
    trader = factories.user(Role.TRADER, factories.operator().organisation, username="minji")
    trader.email = "minji@hanbit.example"
    trader.set_password(PASSWORD)
    trader.save()
    base = live_server.url
    errors: list[str] = []

    def tab() -> Any:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    with loopback_smtp(settings) as mailbox:
        officer = tab()
        log_in(officer, base, "root", PASSWORD)
        officer.get_by_role("link", name="People").click()
        officer.get_by_test_id("add-person").click()
        officer.get_by_label("Organisation").select_option(label="Korea Customs Service")
        officer.get_by_label("Username").fill("seojun")
        officer.get_by_label("E-mail").fill("seojun@customs.example")
        officer.get_by_label("Role").select_option(Role.VALIDATOR)
        officer.get_by_role("button", name="Add and send the password link").click()
        assert "seojun@customs.example" in officer.locator("main").inner_text()
        validator = tab()
        validator.goto(mailbox.link("seojun@customs.example", "/account/set-password/"))
        validator.get_by_label("New password", exact=True).fill(PASSWORD)
        validator.get_by_label("New password confirmation").fill(PASSWORD)
        validator.get_by_role("button", name="Set my password").click()
        log_in(validator, base, "seojun", PASSWORD)
        assert "AEO validator" in validator.get_by_test_id("who").inner_text()

        forgetful = tab()
        forgetful.goto(f"{base}/login/")
        forgetful.get_by_role("link", name="Forgot your password?").click()
        forgetful.get_by_label("Your e-mail address").fill("minji@hanbit.example")
        forgetful.get_by_role("button", name="Send me a link").click()
        forgetful.goto(mailbox.link("minji@hanbit.example", "/account/set-password/"))
        forgetful.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        forgetful.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        forgetful.get_by_role("button", name="Set my password").click()
        assert "Your password is set" in forgetful.content()
        log_in(forgetful, base, "minji", NEW_PASSWORD)
        # The link worked once: following it again says so.
        again = tab()
        again.goto(mailbox.link("minji@hanbit.example", "/account/set-password/"))
        assert again.get_by_role("button", name="Set my password").count() == 0

    assert User.objects.get(username="seojun").role == Role.VALIDATOR
    assert errors == []
