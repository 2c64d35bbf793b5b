"""Which language a person reads Greenlane in, and the header's switcher (docs/i18n.md).

Django's ``LocaleMiddleware`` picks the language from the switcher's cookie or the browser's
``Accept-Language``; ``UserLanguage`` then puts a signed-in person's saved choice first, so that
it follows them from browser to browser and into their e-mails and PDF reports.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from greenlane.apps.accounts import services as accounts
from greenlane.apps.accounts.languages import offered


class ForgetLanguage:
    """Outermost: once a response is made, the thread goes back to the default language, so
    that work done later on the same thread (a task run at once, the next test) is not done
    in the last visitor's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()


class UserLanguage:
    """After authentication: a signed-in person's saved language wins over cookie and browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if code and code in offered():
            translation.activate(code)
            request.LANGUAGE_CODE = code  # type: ignore[attr-defined]
        return self.get_response(request)


@csrf_exempt
@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    """The header's switcher: remembered in a cookie, and on the account of a signed-in
    person (audited). An empty choice goes back to the browser's language.

    A signed-in person's choice changes their account, so it needs the CSRF token. A visitor's
    only sets a cookie in their own browser; their form carries no token, so that a public
    page (the certificate check) is the same for every visitor and tells nothing apart."""
    if request.user.is_authenticated:
        return csrf_protect(_choose)(request)
    return _choose(request)


def _choose(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    if code and code not in offered():
        code = ""
    user = request.user
    if user.is_authenticated:
        accounts.choose_language(user, code)  # type: ignore[arg-type]
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    return response
