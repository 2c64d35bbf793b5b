"""A stranger's request for access is approved and linked (issue 18's acceptance, point 2): a
company asks on the public page, confirms its address by the mailed link, an administrator
approves it and links it to the operator on record, and the new person chooses a password,
signs in and sees that company's home. Mail goes through a real SMTP server on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from greenlane.apps.accounts.models import AccessRequest, User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.operators.models import Operator
from tests import factories
from tests.e2e.conftest import log_in
from tests.mailserver import loopback_smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"
ADDRESS = "minji@hanbit.example"


def _ask(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Request access for your company").click()
    page.get_by_label("We are").select_option("operator")
    page.get_by_label("Legal name").fill("Hanbit Logistics Co., Ltd.")
    page.get_by_label("Country or economy").fill("KR")
    page.get_by_label("Trader identifier").fill("KR0042")
    page.get_by_label("Business registration number").fill("110-81-12345")
    page.get_by_label("What the company does").select_option("importer")
    page.get_by_label("Employees").fill("37")
    page.get_by_label("Established on").fill("2011-03-02")
    page.get_by_label("Your first name").fill("Min-ji")
    page.get_by_label("Your last name").fill("Kim")
    page.get_by_label("Your e-mail address").fill(ADDRESS)
    page.get_by_label("Message to customs").fill("We import electronics through Busan.")
    page.get_by_role("button", name="Send the request").click()
    assert (
        "a link to confirm your e-mail address" in page.get_by_test_id("request-sent").inner_text()
    )


def test_a_strangers_request_is_confirmed_approved_and_linked_and_its_person_signs_in(
    live_server: Any, browser: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # the start of the links in e-mails
    admin = factories.user(Role.ADMINISTRATOR, factories.organisation("customs"), username="root")
    admin.set_password(PASSWORD)
    admin.email = "root@customs.example"
    admin.save()
    record = factories.operator(None, code="KR0042", name="Hanbit Logistics")
    base = live_server.url
    errors: list[str] = []

    def page() -> Any:
        tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        return tab

    with loopback_smtp(settings) as mailbox:
        stranger = page()
        _ask(stranger, base)
        stranger.goto(mailbox.link(ADDRESS, "/account/request/confirm/"))
        stranger.get_by_role("button", name="Confirm and send to customs").click()
        assert "is with customs" in stranger.get_by_test_id("request-confirmed").inner_text()
        assert len(mailbox.to("root@customs.example")) == 1  # customs is told

        officer = page()
        log_in(officer, base, "root", PASSWORD)
        officer.get_by_role("link", name="Access requests").click()
        officer.get_by_role("link", name="Hanbit Logistics Co., Ltd.").click()
        assert "KR0042" in officer.get_by_test_id("candidates").inner_text()
        officer.get_by_label("Link to the operator record on file").check()
        officer.get_by_label("Operator identifier").fill("KR0042")
        officer.get_by_label("Username of the first person").fill("minji")
        officer.get_by_role("button", name="Approve").click()
        assert "Approved: minji is the first person" in officer.locator("main").inner_text()
        assert "Approved" in officer.get_by_test_id("request-state").inner_text()

        newcomer = page()
        newcomer.goto(mailbox.link(ADDRESS, "/account/set-password/"))
        newcomer.get_by_label("New password", exact=True).fill(PASSWORD)
        newcomer.get_by_label("New password confirmation").fill(PASSWORD)
        newcomer.get_by_role("button", name="Set my password").click()
        assert "Your password is set" in newcomer.content()
        log_in(newcomer, base, "minji", PASSWORD)
        home = newcomer.locator("main").inner_text()
        assert "Hanbit Logistics" in home
        assert "KR0042" in home  # that operator's company, at once
        newcomer.get_by_role("link", name="Colleagues").click()
        assert newcomer.get_by_test_id("invite").is_visible()  # the first person manages them

    request = AccessRequest.objects.get()
    minji = User.objects.get(username="minji")
    assert (request.status, request.user, request.decided_by) == ("approved", minji, admin)
    assert Operator.objects.get(pk=record.pk).organisation == minji.organisation
    assert AuditEvent.objects.filter(action="accounts.password.set", actor="minji").exists()
    assert errors == []
