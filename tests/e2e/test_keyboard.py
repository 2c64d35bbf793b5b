"""Every page works by keyboard (WCAG 2.1.1, 2.4.3, 2.4.7; issue 23): from the top of each
role's start page and of a page with a form, the Tab key reaches every link, button and field
a mouse could use, in the order they are read, never gets stuck, and always shows where it is;
and a person signs in and opens a page with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from greenlane.apps.accounts.roles import OrganisationKind, Role
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: What a mouse can use on the page: visible, enabled links, buttons, fields and summaries (a
#: group of radio buttons is one stop: the arrow keys move within it).
USABLE = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
  .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length &&
          getComputedStyle(e).visibility !== 'hidden' && !e.closest('[inert]') &&
          !(e.closest('details:not([open])') && e.tagName !== 'SUMMARY'))
  .map(e => e.type === 'radio' ? `radio group ${e.name}` : e.outerHTML.slice(0, 120))
  .filter((key, i, all) => all.indexOf(key) === i)"""

#: The focused element, and whether it shows it (an outline or a ring of some width).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const style = getComputedStyle(e);
  const shown = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
                style.boxShadow !== 'none';
  const key = e.type === 'radio' ? `radio group ${e.name}` : e.outerHTML.slice(0, 120);
  return {html: key, shown: shown};
}"""


def _walk(page: Any) -> tuple[list[str], list[str]]:
    """Tab from the top of the page until focus comes back round; what it reached, and what
    it reached without showing focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    reached: list[str] = []
    hidden: list[str] = []
    outside = 0  # Tabs that left the page (to the browser), which go on from its top
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            outside += 1
            if outside > 3:
                break
            continue
        if reached and focused["html"] == reached[0]:
            break
        if focused["html"] in reached:
            continue
        reached.append(focused["html"])
        if not focused["shown"]:
            hidden.append(focused["html"])
    return reached, hidden


def _sign_in_by_keyboard(page: Any, base: str, username: str) -> None:
    """From the login page's first field (it has the focus), then from the top of the start
    page: the skip link comes first and leads to the content."""
    page.goto(f"{base}/login/")
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/#main")


def test_every_roles_start_page_can_be_walked_by_keyboard(live_server: Any, page: Any) -> None:
    customs = factories.organisation(OrganisationKind.CUSTOMS)
    operator = factories.operator(factories.organisation(OrganisationKind.OPERATOR))
    problems: list[str] = []
    for role in Role.values:
        org = operator.organisation if role == Role.TRADER else None
        person = factories.user(role, org if role in (Role.TRADER, Role.CONSULTANT) else customs)
        _sign_in_by_keyboard(page, live_server.url, person.username)
        usable = page.evaluate(USABLE)
        reached, hidden = _walk(page)
        missed = [u for u in usable if u not in reached]
        problems += [f"{role}: Tab never reaches {m}" for m in missed]
        problems += [f"{role}: focus is not shown on {h}" for h in hidden]
        page.locator("form[action='/logout/'] button").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/login/**")
    assert problems == [], "\n".join(problems)


def test_a_form_is_filled_and_sent_by_keyboard(live_server: Any, page: Any) -> None:
    """The self-test: each answer is a group of choices the arrow keys move through, and the
    report opens from the keyboard."""
    operator = factories.operator(factories.organisation(OrganisationKind.OPERATOR))
    trader = factories.user(Role.TRADER, operator.organisation)
    _sign_in_by_keyboard(page, live_server.url, trader.username)
    page.goto(f"{live_server.url}/operators/{operator.pk}/self-test/")
    usable = page.evaluate(USABLE)
    reached, hidden = _walk(page)
    assert hidden == [], hidden
    assert [u for u in usable if u not in reached] == []
    link = page.locator("main a[href$='/self-test/report/']").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/self-test/report/")
