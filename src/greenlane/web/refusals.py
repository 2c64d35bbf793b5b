"""A service's refusal on a page, said here once instead of a try/except around each call
(decision 0018). A page answers a refusal in one of three ways:

- ``shown(request)``: as an error message on the page the view redirects to;
- ``onto_form(form)``: as an error of the form, on the field the refusal is about;
- ``refusal(call, ...)``: handed back, to a view that renders its page again with the
  refusal's status (400, or 409 when the record's state does not allow the action).

``shown`` and ``onto_form`` end their ``with`` block at a refusal, as ``contextlib.suppress``
does: what follows the call inside the block (a success message, a redirect) happens only
when the service went through. Any other exception passes.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from greenlane.apps.wording import said
from greenlane.core.errors import Refused

P = ParamSpec("P")


class _Answered:
    """Ends the ``with`` block at a refusal, after ``answer`` has said it."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if not isinstance(exc, Refused):
            return False
        self.answer(exc)
        return True

    def answer(self, exc: Refused) -> None:
        raise NotImplementedError


class shown(_Answered):  # lower case, like contextlib.suppress
    """A refusal in the block becomes an error message, in ``words`` (default: the refusal's
    own, in the reader's language)."""

    def __init__(self, request: HttpRequest, words: Callable[[Refused], str] = said) -> None:
        self.request = request
        self.words = words

    def answer(self, exc: Refused) -> None:
        messages.error(self.request, self.words(exc))


class onto_form(_Answered):
    """A refusal in the block becomes an error of ``form``: on the field it names when the
    form has that field, else on the form as a whole."""

    def __init__(self, form: forms.BaseForm) -> None:
        self.form = form

    def answer(self, exc: Refused) -> None:
        field = exc.field if exc.field in self.form.fields else None
        self.form.add_error(field, said(exc))


def refusal(call: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> Refused | None:
    """Call; the refusal it raised, or None when it went through."""
    try:
        call(*args, **kwargs)
    except Refused as exc:
        return exc
    return None
