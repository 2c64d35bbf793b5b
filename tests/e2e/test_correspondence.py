"""A validator's request for information reaches the company's inbox and mailbox; its answer,
with a file, reaches the validator (issue 18's acceptance, notices and correspondence)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from greenlane.apps.certification import services
from greenlane.apps.correspondence.models import Attachment
from greenlane.apps.notices import services as notices
from greenlane.apps.notices.models import Kind, Notice
from tests import factories
from tests.apps.certification.world import world
from tests.e2e.conftest import log_in
from tests.mailserver import loopback_smtp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 42"


def test_a_request_for_information_and_its_answer_with_a_file_go_both_ways(
    live_server: Any, browser: Any, settings: Any, tmp_path: Any
) -> None:
    w = world()
    for person in (w.trader, w.validator):
        person.set_password(PASSWORD)
        person.save()
    w.validator.email = "validator@customs.example"
    w.validator.save()
    application = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(application, w.admin, "assign", validator=w.validator)
    notices.mark_all_read(w.trader)  # "under review": read already
    settings.SITE_URL = live_server.url
    pages = []
    for person in (w.validator, w.trader):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        log_in(page, live_server.url, person.username, PASSWORD)
        pages.append(page)
    validator, trader = pages
    at = f"{live_server.url}/applications/{application.pk}/"

    with loopback_smtp(settings) as mailbox:
        validator.goto(at)
        validator.get_by_label("Ask the company").fill("Send your seal log for March")
        validator.get_by_role("button", name="Request information (stops the clock)").click()
        validator.wait_for_load_state()

        # The company's mailbox: text and HTML, one link that lands on the application.
        (message,) = mailbox.to(w.trader.email)
        assert "Customs asks for information" in str(message["Subject"])
        text = message.get_body(("plain",)).get_content()
        assert "Send your seal log for March" in text
        assert message.get_body(("html",)) is not None
        link = re.search(rf"{re.escape(live_server.url)}/inbox/\d+/", text)
        assert link, text
        # The company's inbox: the count in the header, the notice, and the link.
        trader.goto(f"{live_server.url}/")
        assert trader.get_by_test_id("unread").inner_text() == "1"
        trader.get_by_test_id("inbox-link").click()
        assert "Customs asks for information" in trader.get_by_test_id("notices").inner_text()
        trader.goto(link.group(0))
        trader.wait_for_url(at)
        assert trader.get_by_test_id("unread").count() == 0  # read by following it

        log = tmp_path / "seal-log.pdf"
        log.write_bytes(factories.MINIMAL_PDF)
        trader.get_by_label("Your answer").fill("The log is attached")
        trader.locator("#answer-files").set_input_files(str(log))
        trader.get_by_role("button", name="Send the answer").click()
        trader.wait_for_load_state()
        assert "Answer the request: done." in trader.content()
        trader.get_by_label("Message").fill("And the seals' photos follow tomorrow")
        trader.get_by_role("button", name="Send", exact=True).click()
        trader.wait_for_load_state()
        assert "Message sent." in trader.content()

        subjects = [str(m["Subject"]) for m in mailbox.to("validator@customs.example")]
        assert any("The company answered" in s for s in subjects), subjects
        assert any("wrote on application" in s and "1 file attached" in s for s in subjects), (
            subjects
        )

    kinds = set(Notice.objects.filter(recipient=w.validator).values_list("kind", flat=True))
    assert {Kind.ANSWER_RECEIVED, Kind.MESSAGE} <= kinds
    validator.goto(at)
    thread = validator.get_by_test_id("thread").inner_text()
    assert "Files with our answer" in thread
    assert "seals' photos follow tomorrow" in thread
    assert "seal-log.pdf" in thread
    with validator.expect_download() as download:
        validator.get_by_role("link", name="seal-log.pdf").click()
    saved = tmp_path / "downloaded.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == factories.MINIMAL_PDF
    assert Attachment.objects.get().original_name == "seal-log.pdf"
