"""Every demo role's pages, crawled in a real browser after a new model was promoted (issue 17's
acceptance): no raw code value where a word belongs, no "Nothing scored.", no chart whose
export menu lies open over it, no page taller than 10,000 px, and no WCAG 2.1 A or AA violation
that axe-core finds, and no English left on a page in Korean, Spanish or Chinese (both checked
by the ``page`` fixture, once on each kind of page; docs/i18n.md, accessibility).

The crawl follows the links a person can click, from the home page, breadth first. Pages that
differ only by a record's number are the same page to this test: two of each are opened, so the
crawl covers every kind of page without opening every declaration.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext

from greenlane import demo
from greenlane.apps.accounts.models import User
from greenlane.apps.targeting import retraining
from greenlane.apps.targeting.models import ModelVersion, Score
from tests.e2e.conftest import log_in
from tests.e2e.test_daily_walks import _the_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROLES = (
    "analyst", "inspector", "validator", "decision", "statistician", "admin", "trader",
    "trader2", "consultant",
)  # fmt: skip
#: The language each role reads Greenlane in: Korean for most, so that the crawl walks every
#: kind of page in Korean and finds no English left (the ``page`` fixture checks each page
#: for it, and runs axe-core), and Spanish and Chinese for two roles each (every role's home
#: page in each language is ``test_languages``'s). English pages are every other test's.
LANGUAGE = {
    "analyst": "ko", "inspector": "ko", "validator": "ko", "decision": "ko",
    "statistician": "ko", "admin": "ko", "trader": "ko", "trader2": "es", "consultant": "zh-hans",
}  # fmt: skip
PER_KIND = 2  # pages opened of each kind (same path once numbers are set aside)
PER_ROLE = 45  # pages opened at most per role
TALLEST = 10_000  # px
#: Links that download a file, end the session or leave the site: not pages to read.
NOT_PAGES = re.compile(
    r"/logout/|\.pdf$|\.csv$|\.xlsx$|\.svg$|\.xml$|report\.html$|/evidence/|export=|^/api/|/static/"
)

#: What a raw value looks like in the text a person reads: a code with underscores
#: ("information_requested", "not_met"), a Python literal, or an object's repr.
RAW = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b|^(?:True|False|None|nan)$|<\w+ object at 0x")

#: The text of the page a person reads: what code, examples and form values show is left out.
READ_TEXT = """() => {
  const skip = "code, pre, script, style, textarea, select, option, input, [data-raw]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const out = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement || node.parentElement.closest(skip)) continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  return out;
}"""

#: Charts whose export links are shown without opening the menu.
OPEN_MENUS = """() => [...document.querySelectorAll('.vega-embed')].filter(chart => {
  const link = chart.querySelector('.vega-actions a');
  return link && link.offsetParent !== null;
}).map(chart => chart.closest('[id]') ? chart.closest('[id]').id : '?')"""


def _kind(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(page: Any, base: str, who: str, nothing_scored: str) -> tuple[int, list[str]]:
    """Open the role's pages; return how many were opened and what was wrong, one line per
    finding. A resource a page fetched by itself and was refused is caught here when it
    answers before the next page opens, and by the browser's console check otherwise."""
    found: list[str] = []
    seen: set[str] = set()
    kinds: dict[str, int] = {}
    todo = deque([("/", "the login")])
    failed: list[str] = []  # what a page fetched by itself and was refused (scripts, polls)
    page.on(
        "response",
        lambda r: failed.append(f"{r.url} answered {r.status}") if r.status >= 400 else None,
    )
    opened = 0
    while todo and opened < PER_ROLE:
        url, source = todo.popleft()
        kind = _kind(urlsplit(url).path)
        if url in seen or kinds.get(kind, 0) >= PER_KIND:
            continue
        seen.add(url)
        kinds[kind] = kinds.get(kind, 0) + 1
        response = page.goto(base + url)
        opened += 1
        status = response.status if response else 0
        if status >= 400:
            found.append(f"{who} {url} (linked from {source}): answered {status}")
            continue
        if page.locator("figure.chart").count():
            page.wait_for_function(
                "[...document.querySelectorAll('figure.chart')]"
                ".every(f => f.dataset.drawn === 'yes' || f.dataset.drawn === 'failed')",
                timeout=15_000,
            )
        tall = page.evaluate("document.documentElement.scrollHeight")
        if tall > TALLEST:
            found.append(f"{who} {url}: {tall} px tall")
        texts = page.evaluate(READ_TEXT)
        if any(nothing_scored in t for t in texts):
            found.append(f"{who} {url}: says 'Nothing scored.'")
        for text in texts:
            for raw in RAW.findall(text):
                found.append(f"{who} {url}: raw value {raw!r} in {text[:80]!r}")
        found += [f"{who} {url}: fetched {f}" for f in failed if not f.startswith(base + url)]
        failed.clear()
        for chart in page.evaluate(OPEN_MENUS):
            found.append(f"{who} {url}: the export menu of {chart} lies open over it")
        for href in page.eval_on_selector_all(
            "main a[href], nav a[href]", "as => as.map(a => a.getAttribute('href'))"
        ):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not NOT_PAGES.search(parts.path) and not NOT_PAGES.search(target):
                todo.append((target, url))
    return opened, found


@pytest.mark.timeout(900)
def test_no_page_of_any_role_shows_a_raw_code_an_open_chart_menu_or_nothing_scored(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    _the_demo(tmp_path)
    first = ModelVersion.objects.get(is_active=True)
    analyst = User.objects.get(username="analyst")
    newest = retraining.retrain(analyst)
    retraining.promote(newest, analyst, "A new version for the crawl: scores must follow it")
    assert ModelVersion.objects.get(is_active=True) == newest != first
    assert Score.objects.filter(model_version=newest).exists()  # re-scored in the background

    base = live_server.url
    found: list[str] = []
    for who in ROLES:
        User.objects.filter(username=who).update(language=LANGUAGE[who])
        log_in(page, base, who, demo.DEMO_PASSWORD)
        assert page.locator("html").get_attribute("lang") == LANGUAGE[who]
        with translation.override(LANGUAGE[who]):
            nothing_scored = gettext("Nothing scored.")
        opened, wrong = _crawl(page, base, who, nothing_scored)
        assert opened >= 8, f"{who}: only {opened} pages reached from the home page"
        found += wrong
        page.goto(f"{base}/")
        page.locator("form[action='/logout/'] button").click()
    assert found == [], "\n".join(found)
