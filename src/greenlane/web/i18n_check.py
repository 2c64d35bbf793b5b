"""Find text in Django templates that would reach a reader without being marked for translation.

A template is read with Django's own lexer. Every piece of text outside ``{% translate %}`` /
``{% blocktranslate %}`` is parsed as HTML; what a reader sees (text between tags, and the
``title``, ``alt``, ``placeholder``, ``aria-label`` and button ``value`` attributes) must hold no
letter. String literals a template shows (``|default:"never"``, ``|yesno:"yes,no"``,
``{% include ... with label="..." %}``, ``{% firstof ... "none" %}``) must be written
``_("...")``. Used by ``tests/web/test_i18n.py`` and by ``greenlane i18n check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

PLACEHOLDER = " "  # stands for a template token: parses as a space inside a tag and in text
SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
# Words that are names, not language: the same in every translation.
NAMES = {"Greenlane"}
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_SHOWN_LITERAL = re.compile(
    r"""(?:\|(?:default|default_if_none|yesno):|\bwith\s+\w+=|\bfirstof\b[^"']*)(["'])(?P<text>.*?)\1"""
)
_OPEN_BLOCK = re.compile(r"^(blocktranslate|blocktrans)\b")
_CLOSE_BLOCK = re.compile(r"^(endblocktranslate|endblocktrans)\b")


@dataclass(frozen=True)
class Unmarked:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _has_words(text: str) -> bool:
    for name in NAMES:
        text = text.replace(name, " ")
    return bool(_LETTER.search(text))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        attributes = dict(attrs)
        for name, value in attrs:
            shown = name in SHOWN_ATTRIBUTES or (  # an <input> button shows its value
                tag == "input"
                and name == "value"
                and attributes.get("type") in {"submit", "button", "reset"}
            )
            if shown and value and _has_words(value):
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and _has_words(data):
            leading = data[: len(data) - len(data.lstrip())]
            self.found.append((self.getpos()[0] + leading.count("\n"), data.strip()))


def unmarked_in(source: str, path: str = "<template>") -> list[Unmarked]:
    """Every piece of reader-visible text in ``source`` not marked for translation."""
    found: list[Unmarked] = []
    pieces: list[str] = []
    in_block = 0
    in_comment = 0
    for token in Lexer(source).tokenize():
        content = token.contents
        if token.token_type == TokenType.BLOCK:
            if content.startswith("comment"):
                in_comment += 1
            elif content.startswith("endcomment"):
                in_comment -= 1
            elif _OPEN_BLOCK.match(content):
                in_block += 1
            elif _CLOSE_BLOCK.match(content):
                in_block -= 1
        if token.token_type in (TokenType.VAR, TokenType.BLOCK) and not in_comment:
            for literal in _SHOWN_LITERAL.finditer(content):
                if _has_words(literal.group("text")):
                    found.append(Unmarked(path, token.lineno, literal.group("text")))
        if token.token_type == TokenType.TEXT and not in_block and not in_comment:
            pieces.append(content)
        else:  # a stand-in with the token's newlines, so that lines keep their numbers
            pieces.append(PLACEHOLDER + "\n" * content.count("\n"))
    # Parse the text runs as one document: a tag may be cut by a {{ variable }}.
    reader = _Reader()
    reader.feed("".join(pieces))
    reader.close()
    for line, text in reader.found:
        found.append(Unmarked(path, line, " ".join(text.split())))
    return sorted(found, key=lambda u: u.line)


def unmarked_in_templates(root: Path) -> list[Unmarked]:
    found: list[Unmarked] = []
    for path in sorted(root.rglob("*")):
        if path.suffix in {".html", ".txt"} and path.is_file():
            found.extend(unmarked_in(path.read_text(encoding="utf-8"), str(path.relative_to(root))))
    return found
