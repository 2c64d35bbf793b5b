"""Requests no page can serve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve

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


#: Room for the form's other fields and the multipart framing around the largest file.
FORM_MARGIN_BYTES = 1 << 20


def takes_files(kind: str) -> Callable[[Any], Any]:
    """Mark a view as taking files of ``kind`` (``web.context.max_bytes``: evidence, list);
    a larger request to it is refused before it is read. Unmarked views get the largest
    limit (data files)."""

    def mark(view: Any) -> Any:
        view.takes_files = kind
        return view

    return mark


class RefuseOversizedBodies:
    """A request whose declared body is larger than the files its view takes (plus room for
    the form) is answered 413 before a byte of it is read: otherwise Django would first write
    the whole body to a temporary file, and a hostile client could fill the disk with one
    request. The limit is the view's (``takes_files``), else the largest one
    (``GREENLANE_MAX_UPLOAD_MB``). Django reads no body without a Content-Length, so none can
    slip past as chunked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from greenlane.web.context import max_bytes

        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest(
                "Content-Length is not a number", content_type="text/plain"
            )
        limits = max_bytes()
        if declared <= min(limits.values()) + FORM_MARGIN_BYTES:
            return self.get_response(request)
        try:
            kind = getattr(resolve(request.path_info).func, "takes_files", "data")
        except Resolver404:
            kind = "data"
        limit = limits.get(kind, limits["data"])
        if declared > limit + FORM_MARGIN_BYTES:
            message = (f"the request ({declared / 2**20:,.1f} MB) is larger than the largest "
                       f"file this form takes ({limit >> 20} MB)")  # fmt: skip
            if request.path.startswith("/api/"):
                response: HttpResponse = JsonResponse({"detail": message}, status=413)
            else:
                response = HttpResponse(
                    message, status=413, content_type="text/plain; charset=utf-8"
                )
            return response
        return self.get_response(request)
