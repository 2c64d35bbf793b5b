"""Requests no page can serve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from greenlane.api.parser import MESSAGE, holds_nul


class RefuseOtherMethods:
    """Pages are read with GET (or HEAD) and changed with POST; any other method to a page is
    answered 405 before a view runs (a page that takes a form would otherwise render its form
    for a PUT or a DELETE). Read-only pages refuse POST themselves (``require_safe``); the API
    routes methods per operation itself."""

    PAGE_METHODS = ("GET", "HEAD", "POST")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.PAGE_METHODS and not request.path.startswith("/api/"):
            return HttpResponseNotAllowed(self.PAGE_METHODS)
        return self.get_response(request)


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
            with _readers_language(request):
                return HttpResponseBadRequest(
                    str(MESSAGE), content_type="text/plain; charset=utf-8"
                )
        return self.get_response(request)


#: Room for the form's other fields and the multipart framing around the largest file.
FORM_MARGIN_BYTES = 1 << 20
#: The largest body of a page's form that takes no file (a login, a rule, a finding).
FORM_BYTES = 1 << 20


def takes_files(kind: str) -> Callable[[Any], Any]:
    """Mark a view as taking files of ``kind`` (``web.context.max_bytes``: data, evidence,
    list); a larger request to it is refused before it is read. A view that is not marked
    takes no files: it gets ``FORM_BYTES`` (an API operation, a JSON body as large as Django
    reads: ``DATA_UPLOAD_MAX_MEMORY_SIZE``; those that take files: ``api.urls.TAKES_FILES``)."""

    def mark(view: Any) -> Any:
        view.takes_files = kind
        return view

    return mark


class RefuseOversizedBodies:
    """A request whose declared body is larger than its view takes is answered 413 before a
    byte of it is read: otherwise Django would first write the whole body to a temporary
    file, and a hostile client could fill the disk with one request (a 200 MB multipart body
    sent to the login page was written to /tmp). The limit is the files the view takes (plus
    room for the form: ``takes_files``), else a form's or a JSON body's. Django reads no body
    without a Content-Length, so none can slip past as chunked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            with _readers_language(request):
                return HttpResponseBadRequest(
                    _("Content-Length is not a number"), content_type="text/plain; charset=utf-8"
                )
        if declared <= FORM_BYTES:
            return self.get_response(request)
        limit, margin, what = _body_limit(request)
        if declared > limit + margin:
            with _readers_language(request):
                sizes = {
                    "size": number_format(declared / 2**20, decimal_pos=1, force_grouping=True),
                    "limit": number_format(limit / 2**20, decimal_pos=0, force_grouping=True),
                }
                message = _too_large(what) % sizes
            if api:
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _readers_language(request: HttpRequest) -> translation.override:
    """The language of the page that sent the request, from the switcher's cookie or the
    browser (this runs before ``LocaleMiddleware``, and before the session is read)."""
    return translation.override(translation.get_language_from_request(request))


def _too_large(what: str) -> str:
    """The refusal of an oversized body on a page, in the reader's language (a whole sentence
    for each kind of limit)."""
    if what == "file":
        return _(
            "the request (%(size)s MB) is larger than the largest file this form takes "
            "(%(limit)s MB)"
        )
    if what == "body":
        return _(
            "the request (%(size)s MB) is larger than the largest body this API takes "
            "(%(limit)s MB)"
        )
    return _(
        "the request (%(size)s MB) is larger than the largest form this page takes (%(limit)s MB)"
    )


def _body_limit(request: HttpRequest) -> tuple[int, int, str]:
    """The largest file or body the request's view takes, the room given beside it for the
    rest of the form, and which kind of limit it is (file, body or form)."""
    from django.conf import settings

    from greenlane.api.urls import TAKES_FILES
    from greenlane.web.context import max_bytes

    api = request.path.startswith("/api/")
    try:
        match = resolve(request.path_info)
    except Resolver404:
        kind = None
    else:
        kind = getattr(match.func, "takes_files", None)
        if api:
            kind = TAKES_FILES.get(match.route.removeprefix("api/v1/"))
    if kind is not None:
        return max_bytes()[kind], FORM_MARGIN_BYTES, "file"
    if api:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE, 0, "body"
    return FORM_BYTES, 0, "form"
