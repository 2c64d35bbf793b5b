"""English left on a page in another language: the interface's own words that reached the
reader untranslated (a message the catalogue translates, shown in its English source).

A page's text nodes are compared with the English messages of the language's catalogue whose
translation differs from the English: a node that reads exactly as such a message (its
``%(name)s`` and ``{{ name }}`` values matching anything) is English the reader should not
see. User data and codes are not interface words and are left out: what code, examples and
form values show, and any element that says it is in another language (``lang="en"`` on a
catalogue's English criterion) or not to be translated (``translate="no"``).
"""

from __future__ import annotations

import re
from functools import cache

from django.utils import translation
from django.utils.translation import trans_real

#: The page's address, kind and language, and the text a person reads on it (without code,
#: form values and parts in another language), read at one instant: the page may move on
#: between two reads.
READ_TEXT = """() => {
  const lang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  const skip = "code, pre, script, style, textarea, select, option, input, [data-raw], " +
    "[translate=no]";
  const out = [];
  if (document.body) {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const parent = node.parentElement;
      if (!parent || parent.closest(skip)) continue;
      const said = parent.closest("[lang]");
      if (said && said.getAttribute("lang").toLowerCase() !== lang) continue;
      const text = node.textContent.replace(/\\s+/g, " ").trim();
      if (text) out.push(text);
    }
  }
  return {url: location.href, type: document.contentType, lang: lang, texts: out};
}"""

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%|\{\{ ?[a-z_]+ ?\}\}|\{[a-z_]+\}")
#: Messages that read the same in every language Greenlane speaks (names, codes, units).
SAME_EVERYWHERE = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]*$")


@cache
def _english_of(language: str) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """The language's translated English messages: those without values as a set, those
    with values as one pattern."""
    with translation.override(language):
        catalog = trans_real.translation(language)._catalog  # type: ignore[attr-defined]
        plain: set[str] = set()
        patterns: list[str] = []
        for key, translated in catalog.items():
            msgid = key[0] if isinstance(key, tuple) else key
            if "\x04" in msgid:  # with a context: ctx\x04message
                msgid = msgid.split("\x04", 1)[1]
            text = " ".join(msgid.split())
            if not text or translated == msgid or not re.search(r"[a-z]{2}", text):
                continue
            if SAME_EVERYWHERE.match(text):
                continue
            if PLACEHOLDER.search(text):
                parts = PLACEHOLDER.split(text)
                if len(re.findall(r"[A-Za-z]{2,}", " ".join(parts))) < 2:
                    continue  # "%(a)s: %(b)s", "Certificate %(number)s": too little to tell
                patterns.append(".+?".join(re.escape(p) for p in parts))
            else:
                plain.add(text.replace("%%", "%"))
    joined = re.compile("(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + r")\Z")
    return frozenset(plain), joined if patterns else None


def english_left(texts: list[str], language: str) -> list[str]:
    """Those of ``texts`` (read on a page in ``language``) that are English messages left
    untranslated."""
    if language in ("en", ""):
        return []
    plain, pattern = _english_of(language)
    return [
        t for t in texts if t in plain or (pattern is not None and pattern.match(t) is not None)
    ]
