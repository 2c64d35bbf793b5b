"""The words the page scripts show come from their templates, in the reader's language.

job-progress.js, upload.js, selftest.js and file-limits.js hold no English sentence of their
own: the template passes each one (``data-*`` attributes) already translated, with
``{places}`` the script fills, and the script writes numbers in the page's language. Each test
opens a page in Korean (or Spanish, whose numbers differ from English) and compares what the
script shows with the catalogue's words for that language: the Korean words once they are
translated, the English ones until then. what-if.js shows only figures: they must read as the
server writes them in Spanish.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext
from playwright.sync_api import expect

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.declarations.models import IngestBatch, Upload
from greenlane.apps.declarations.services import progress_key
from greenlane.apps.targeting.models import SimulationRun
from greenlane.core.criteria.loader import shipped
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPTS = Path(__file__).parents[2] / "src" / "greenlane" / "web" / "static" / "greenlane"
SELFTEST_WORDS = {  # data attribute of the self-test form: (message, context)
    "saving": ("Saving…", "a self-test answer"),
    "saved": ("Saved {time}", "a self-test answer"),
    "not-saved-yet": ("Not saved yet…", "a self-test answer"),
    "not-saved": ("Not saved", "a self-test answer"),
    "signed-out": (
        "Not saved: you are signed out. Copy your text, reload the page and sign in again.",
        None,
    ),
    "offline": (
        "Not saved: the connection failed. Your answer is still on this page; try again.",
        None,
    ),
}


def _words(language: str, message: str, context: str | None = None) -> str:
    """``message`` as the catalogue of ``language`` has it (English while untranslated)."""
    with translation.override(language):
        return pgettext(context, message) if context else gettext(message)


def _number(language: str, value: int | Decimal, places: int | None = None) -> str:
    """A number as the server writes it in ``language`` (the ``figure`` filter)."""
    with translation.override(language):
        return number_format(value, decimal_pos=places, force_grouping=True)


def _person(role: str, language: str, **kwargs: object) -> User:
    person = factories.user(role, **kwargs)  # type: ignore[arg-type]
    person.language = language
    person.save(update_fields=["language"])
    return person


def _script(name: str) -> str:
    """A script's code, without its comments (which may quote the words it is given)."""
    source = (SCRIPTS / name).read_text(encoding="utf-8")
    return re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)


def _no_english_in(script: str, *literals: str) -> None:
    source = _script(script)
    for literal in literals:
        assert literal not in source, f"{script} still says {literal!r} itself"


@pytest.mark.parametrize("language", ["ko", "es"])
def test_the_file_limit_sentence_is_the_templates_with_the_sizes_in_the_language(
    live_server: object, page: object, settings: object, tmp_path: Path, language: str
) -> None:
    _no_english_in("file-limits.js", "the limit is", '"en"')
    settings.MAX_UPLOAD_MB = 1  # type: ignore[attr-defined]
    big = tmp_path / "big file.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 600_000)  # 2.3 MB
    reader = _person(Role.RISK_ANALYST, language)
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, reader.username, factories.PASSWORD)
    page.goto(f"{base}/declarations/uploads/new/")  # type: ignore[attr-defined]
    sentence = _words(language, "{name} is {size} MB; the limit is {limit} MB")
    assert page.locator("body").get_attribute("data-file-too-large") == sentence  # type: ignore[attr-defined]

    field = page.locator("input[type=file][data-max-bytes]")  # type: ignore[attr-defined]
    field.set_input_files(str(big))
    shown = field.evaluate("input => input.validationMessage")
    size = _number(language, Decimal("2.3"), 1)
    assert shown == sentence.format(name="big file.csv", size=size, limit="1")
    assert size in shown
    assert ("2,3" in shown) == (language == "es")  # the decimal sign of the language


@pytest.mark.parametrize("language", ["ko", "es"])
def test_an_uploads_progress_is_told_in_the_templates_words(
    live_server: object, page: object, language: str
) -> None:
    _no_english_in("upload.js", "Queued", "Running", "Done", "Failed", "Ingest report", " of ")
    reader = _person(Role.RISK_ANALYST, language)
    upload = Upload.objects.create(
        file="uploads/declarations.csv",
        original_name="declarations.csv",
        mapping_name="kcs",
        uploaded_by=reader,
    )
    cache.set(progress_key(upload.pk), (0, None))
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, reader.username, factories.PASSWORD)
    page.goto(f"{base}/declarations/uploads/{upload.pk}/")  # type: ignore[attr-defined]
    status = page.get_by_test_id("status")  # type: ignore[attr-defined]
    count = page.locator("#upload-count")  # type: ignore[attr-defined]
    of = _words(language, "{done} of {total}")
    assert count.get_attribute("data-of") == of
    assert status.inner_text() == _words(language, "Queued")  # as the server wrote it

    try:
        # The ingest moves on while the page polls it: only the script writes what follows.
        cache.set(progress_key(upload.pk), (1234, 8134))
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.RUNNING)
        running = _words(language, "Running")
        assert running != "Running", "the label of a running job has a translation"
        expect(status).to_have_text(running)
        expect(count).to_have_text(
            of.format(done=_number(language, 1234), total=_number(language, 8134))
        )
        assert ("1.234" in count.inner_text()) == (language == "es")

        batch = IngestBatch.objects.create(
            kind=IngestBatch.Kind.DECLARATIONS,
            file_name="declarations.csv",
            sha256="0" * 64,
            file_format="csv",
            mapping="kcs",
            rows_read=8134,
            rows_accepted=8134,
            rows_rejected=0,
        )
        Upload.objects.filter(pk=upload.pk).update(status=Upload.Status.DONE, batch=batch)
        expect(status).to_have_text(_words(language, "Done", "state of a background job"))
        link = page.locator("#upload-batch a")  # type: ignore[attr-defined]
        expect(link).to_have_text(_words(language, "Ingest report"))
        assert link.inner_text() != "Ingest report"
    finally:
        cache.delete(progress_key(upload.pk))


def test_a_jobs_status_changes_in_the_templates_words(live_server: object, page: object) -> None:
    _no_english_in("job-progress.js", "Queued", "Running", "Failed", '"Done"')
    analyst = _person(Role.RISK_ANALYST, "ko")
    run = SimulationRun.objects.create(
        period_from=date(2025, 1, 1),
        period_to=date(2025, 3, 31),
        inspection_rate=0.05,
        min_random_rate=0.01,
        exploration_share=0.1,
        aeo_reduction=0.2,
        requested_by=analyst,
    )
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, analyst.username, factories.PASSWORD)
    page.goto(f"{base}/risk/simulations/{run.pk}/")  # type: ignore[attr-defined]
    status = page.get_by_test_id("simulation-status")  # type: ignore[attr-defined]
    assert status.inner_text() == _words("ko", "Queued")
    for code, label in [
        ("queued", _words("ko", "Queued")),
        ("running", _words("ko", "Running")),
        ("done", _words("ko", "Done", "state of a background job")),
        ("failed", _words("ko", "Failed")),
    ]:
        assert status.get_attribute(f"data-label-{code}") == label

    SimulationRun.objects.filter(pk=run.pk).update(
        status=SimulationRun.Status.RUNNING, progress=0.4, message="week 3 of 10"
    )
    running = _words("ko", "Running")
    assert running != "Running", "the label of a running job has a translation"
    expect(status).to_have_text(running)  # written by the script, not by the server


def test_the_self_test_autosave_speaks_the_templates_words(
    live_server: object, browser: object
) -> None:
    _no_english_in(
        "selftest.js",
        "Saving",
        '"Saved ',
        "Not saved",
        "signed out",
        "connection failed",
    )
    operator = factories.operator(factories.organisation("operator"))
    trader = _person(Role.TRADER, "ko", org=operator.organisation)
    words = {name: _words("ko", *message) for name, message in SELFTEST_WORDS.items()}
    # Its own browser context: the refused saves below are logged as console errors on purpose.
    context = browser.new_context()  # type: ignore[attr-defined]
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        base = live_server.url  # type: ignore[attr-defined]
        log_in(page, base, trader.username, factories.PASSWORD)
        page.goto(f"{base}/operators/{operator.pk}/self-test/")
        form = page.locator("#selftest")
        for name, text in words.items():
            assert form.get_attribute(f"data-{name}") == text, name

        requirement = shipped().baseline.requirements[0].id
        box = page.locator(f"#req-{requirement}")
        status = page.get_by_test_id(f"status-{requirement}")
        box.locator("input[type=radio][value=met]").check()
        saved = r"\d\d:\d\d:\d\d".join(re.escape(part) for part in words["saved"].split("{time}"))
        expect(status).to_have_text(re.compile(f"^{saved}$"))
        expect(page.locator("#answered")).to_have_text("1")

        box.locator("textarea").fill("Policy in review")
        expect(status).to_have_text(words["not-saved-yet"])
        expect(status).to_have_text(re.compile(f"^{saved}$"))

        answers = f"**/self-test/answers/{requirement}"
        seen: list[str] = []

        def offline(route: object) -> None:
            seen.append(status.inner_text())  # what the box says while the answer is on its way
            route.abort()  # type: ignore[attr-defined]

        page.route(answers, offline)
        box.locator("input[type=radio][value=partly]").check()
        expect(status).to_have_text(words["offline"])
        assert seen == [words["saving"]]
        page.unroute(answers)

        page.route(  # a login page instead of the answer: the session has ended
            answers,
            lambda route: route.fulfill(status=200, content_type="text/html", body="<p>login</p>"),
        )
        box.locator("input[type=radio][value=not_met]").check()
        expect(status).to_have_text(words["signed-out"])
        page.unroute(answers)

        page.route(  # refused without a reason
            answers,
            lambda route: route.fulfill(status=400, content_type="application/json", body="{}"),
        )
        box.locator("textarea").fill("Policy in review, second draft")
        expect(status).to_have_text(words["not-saved"])
    finally:
        context.close()
    assert errors == []


@pytest.mark.slow
def test_the_what_if_figures_read_as_the_server_writes_them_in_spanish(
    live_server: object, page: object, tmp_path: Path
) -> None:
    from greenlane import demo
    from greenlane.apps.targeting import scoring, services

    _no_english_in("what-if.js", '"en"', "toFixed(1) +")
    demo.seed(demo.demo_config(declarations=8_000, operators_=300), tmp_path)
    services.train()
    scoring.score_stored()
    User.objects.filter(username="analyst").update(language="es")
    base = live_server.url  # type: ignore[attr-defined]
    log_in(page, base, "analyst", demo.DEMO_PASSWORD)
    page.goto(f"{base}/risk/what-if/")  # type: ignore[attr-defined]
    page.wait_for_selector("#chart-what-if[data-drawn=yes]")  # type: ignore[attr-defined]
    fields = "#what-if-readout [data-field]"  # the rate first, then the figures

    def readout() -> list[str]:
        return page.locator(fields).all_inner_texts()  # type: ignore[attr-defined]

    before = readout()
    page.get_by_test_id("what-if-slider").fill("12.5")  # type: ignore[attr-defined]
    live = readout()
    assert live != before, "the slider changed the figures"
    assert live[0] == "12,5"
    page.locator("[data-testid=what-if-form] button[type=submit]").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"percent=12\.5"))  # type: ignore[attr-defined]
    page.wait_for_selector("#chart-what-if[data-drawn=yes]")  # type: ignore[attr-defined]
    assert readout() == live  # what the script wrote is what the server writes in Spanish
    assert any(re.fullmatch(r"\d+,\d%", text) for text in live), live
