"""What every browser test checks on every page it opens (the ``page`` fixture): no WCAG 2.1
A or AA violation that axe-core finds, and, on a page in another language, no English left
untranslated (``languages.english_left``).

axe-core comes from the ``axe-playwright-python`` package (MPL-2.0) and is injected through
the browser's debugging protocol, so the pages' Content-Security-Policy, which allows no inline
script, holds. It runs when a page has loaded, once per kind of page (the path with its
numbers set aside) and language in the whole session: the suite opens the same pages many
times, and axe takes about half a second a page.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.base import AXE_SCRIPT

from tests.e2e.languages import READ_TEXT, english_left

#: axe-core's checks of WCAG 2.0 and 2.1, levels A and AA: what public-sector sites must meet
#: (EN 301 549, Section 508, KWCAG). Each finding: rule, impact, the first elements it names;
#: with the address checked (the page may have moved on since it loaded).
AXE = """async () => {
  const url = location.href;
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
  });
  return {url: url, violations: result.violations.map(v => `${v.id} (${v.impact}): ` +
    `${v.help}; ` + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))};
}"""

#: Kinds of page (path without numbers, language) checked in this session.
CHECKED: set[tuple[str, str]] = set()


def accessibility_violations(page: Any) -> list[str]:
    """What axe-core finds on the open page."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    return list(page.evaluate(AXE)["violations"])


def kind(url: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(url).path)


def check(page: Any, found: list[str]) -> None:
    """Check the page that has just loaded (a ``load`` handler), once per kind and language;
    what is wrong goes to ``found``. A page that is not HTML, or that moved on or closed while
    it was checked, is left alone (it is checked when it loads again)."""
    if page.is_closed():
        return
    key = None
    try:
        seen = page.evaluate(READ_TEXT)
        if seen["type"] != "text/html" or not seen["url"].startswith("http"):
            return
        key = (kind(seen["url"]), seen["lang"])
        if key in CHECKED:
            return
        CHECKED.add(key)
        found += [
            f"{seen['url']}: English left in {seen['lang']}: {t!r}"
            for t in english_left(seen["texts"], seen["lang"])
        ]
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(AXE_SCRIPT)
        checked = page.evaluate(AXE)
        if checked["url"] != seen["url"]:
            raise RuntimeError("navigated: another page was checked")
        found += [f"{seen['url']}: {v}" for v in checked["violations"]]
    except Exception as exc:  # the page moved on, or was closed, during the check
        gone = ("context was destroyed", "navigat", "has been closed")
        if not any(g in str(exc) for g in gone):
            raise
        if key is not None:
            CHECKED.discard(key)
