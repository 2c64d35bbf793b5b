"""Requests no page can serve."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from greenlane.api.parser import MESSAGE, holds_nul


class RefuseNulCharacters:
    """A NUL character in a page's address, query or form is refused with a 400 before any view
    runs: no text in Greenlane holds one, and PostgreSQL cannot even compare text with one (a
    search for ``a%00b`` was a 500). The API refuses them itself, naming the field
    (``api.parser``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and (
            "\x00" in request.path
            or any(holds_nul(k) or holds_nul(v) for k, v in request.GET.lists())
            or (
                request.method == "POST"
                and request.content_type in ("application/x-www-form-urlencoded",
                                             "multipart/form-data")
                and any(holds_nul(k) or holds_nul(v) for k, v in request.POST.lists())
            )
        ):  # fmt: skip
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
