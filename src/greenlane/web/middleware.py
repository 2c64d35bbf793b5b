"""Requests no page can serve."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

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


class RefuseOversizedBodies:
    """A request whose declared body is larger than any file Greenlane takes
    (``GREENLANE_MAX_UPLOAD_MB``, plus room for the form) is answered 413 before a byte of it
    is read: otherwise Django would first write the whole body to a temporary file, and a
    hostile client could fill the disk with one request. Each kind of file keeps its own,
    smaller limit, checked with its name in the message (evidence 20 MB, partner lists, ...).
    Django reads no body without a Content-Length, so none can slip past as chunked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest(
                "Content-Length is not a number", content_type="text/plain"
            )
        limit = settings.MAX_UPLOAD_MB << 20
        if declared > limit + FORM_MARGIN_BYTES:
            message = (f"the request ({declared / 2**20:,.0f} MB) is larger than the largest file "
                       f"Greenlane takes ({settings.MAX_UPLOAD_MB} MB)")  # fmt: skip
            if request.path.startswith("/api/"):
                response: HttpResponse = JsonResponse({"detail": message}, status=413)
            else:
                response = HttpResponse(
                    message, status=413, content_type="text/plain; charset=utf-8"
                )
            return response
        return self.get_response(request)
