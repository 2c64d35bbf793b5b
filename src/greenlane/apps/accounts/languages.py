"""The language Greenlane writes to a person in: their saved choice, else the default."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import translation


def offered() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def of_person(user: Any) -> str:
    """The language to write to ``user`` in (their saved choice, else the default)."""
    code = getattr(user, "language", "") or ""
    return code if code in offered() else settings.LANGUAGE_CODE


@contextmanager
def speaking_to(user: Any) -> Iterator[None]:
    """Render an e-mail or a document for ``user`` in their language, whatever the request's."""
    with translation.override(of_person(user)):
        yield
