"""Greenlane in each of its languages, in a real browser (issue 23's acceptance): every role's
home page, a form with validation errors and a report, in English, Korean, Spanish and
Chinese. The ``page`` fixture checks every page for WCAG 2.1 A/AA violations (axe-core) and,
in another language than English, for English left untranslated."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import OrganisationKind, Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("en", "ko", "es", "zh-hans")


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def _sign_in(page: Any, base: str, person: User) -> None:
    """Sign in by the form's field names: the login page is in the visitor's language."""
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(person.username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _sign_out(page: Any) -> None:
    page.locator("form[action='/logout/'] button").click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_roles_home_page_is_in_the_persons_language(
    live_server: Any, page: Any, language: str
) -> None:
    customs = factories.organisation(OrganisationKind.CUSTOMS)
    operator = factories.operator(factories.organisation(OrganisationKind.OPERATOR))
    people = [
        factories.user(role, operator.organisation if role == Role.TRADER else
                       None if role == Role.CONSULTANT else customs)
        for role in Role.values
    ]  # fmt: skip
    User.objects.filter(pk__in=[p.pk for p in people]).update(language=language)
    log_out = _in(language, "Log out")
    for person in people:
        _sign_in(page, live_server.url, person)
        assert page.locator("html").get_attribute("lang") == language, person.role
        assert page.locator("form[action='/logout/'] button").inner_text() == log_out
        assert page.locator("main h1").count() == 1, person.role
        _sign_out(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_with_errors_says_them_in_the_visitors_language(
    live_server: Any, page: Any, language: str
) -> None:
    page.context.add_cookies(
        [{"name": "greenlane_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/account/request/")
    assert page.locator("html").get_attribute("lang") == language
    page.locator("select[name=kind]").select_option("operator")
    page.locator("input[name=legal_name]").fill("Hanbit Logistics Co., Ltd.")
    page.locator("input[name=country]").fill("K1")
    page.locator("input[name=first_name]").fill("Min-ji")
    page.locator("input[name=last_name]").fill("Kim")
    page.locator("input[name=email]").fill("minji@hanbit.example")
    page.locator("main form button[type=submit]").click()
    errors = page.locator(".errorlist").all_inner_texts()
    for message in ("two letters (ISO 3166-1), e.g. KR", "a company gives this"):
        said = _in(language, message)
        assert language == "en" or said != message, f"{message!r} has no {language} translation"
        assert any(said in e for e in errors), (said, errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_gap_report_is_in_the_readers_language(
    live_server: Any, page: Any, language: str
) -> None:
    operator = factories.operator(factories.organisation(OrganisationKind.OPERATOR))
    trader = factories.user(Role.TRADER, operator.organisation)
    User.objects.filter(pk=trader.pk).update(language=language)
    factories.answered_draft(operator, trader, answer="not_met")
    _sign_in(page, live_server.url, trader)
    page.goto(f"{live_server.url}/operators/{operator.pk}/self-test/report/")
    text = " ".join(page.locator("main").inner_text().split())
    for message in ("Gaps, ranked by impact", "Programme by programme"):
        assert _in(language, message) in text
    assert language == "en" or "Gaps, ranked by impact" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_api_reference_reads_in_the_visitors_language_and_leads_to_the_console(
    live_server: Any, page: Any, language: str
) -> None:
    """The reference is the accessible page of the API (checked by axe-core in each language,
    like every page); the console, Swagger UI, is English and meets WCAG as it first loads."""
    page.context.add_cookies(
        [{"name": "greenlane_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("main h1").inner_text() == _in(language, "API reference")
    page.locator("a[href='#model-UploadOut']").first.click()
    assert page.url.endswith("#model-UploadOut")
    assert page.locator("#model-UploadOut table").is_visible()
    page.get_by_role(
        "link", name=_in(language, "Try requests in the console (Swagger UI, in English)")
    ).click()
    page.wait_for_selector(".swagger-ui .info")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".swagger-alternative a").click()
    page.wait_for_url(f"{live_server.url}/api/v1/docs")
