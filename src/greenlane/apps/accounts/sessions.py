"""Signed-in sessions end after a spell of inactivity and after an absolute lifetime (issue 16).

``GREENLANE_SESSION_IDLE_MINUTES`` (default 30) without a request ends a session;
``GREENLANE_SESSION_MAX_HOURS`` (default 12) after the login ends it however active it is. The
times live in the session itself. The last-seen time is written at most once a minute, so a
busy user does not turn every request into a database write (SQLite has one writer, and an
ingest can hold it for a while).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

STARTED = "greenlane.session.started"
SEEN = "greenlane.session.seen"
RENEW_AFTER = 60  # seconds between two writes of the last-seen time
ENDED = {
    "idle": gettext_lazy(
        "You were signed out after a while without activity. Please sign in again."
    ),
    "lifetime": gettext_lazy("Your session reached its time limit. Please sign in again."),
}


def _now() -> float:
    return time.time()


@receiver(user_logged_in)
def start_the_clocks(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(_now())
        request.session[STARTED] = now
        request.session[SEEN] = now


def expired(session: Any, now: float) -> str:
    """Why the session is over ("idle", "lifetime") or "" while it lasts."""
    started = session.get(STARTED)
    seen = session.get(SEEN, started)
    if started is None:  # signed in before these limits existed: counts from now
        return ""
    if now - seen > settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    if now - started > settings.SESSION_MAX_HOURS * 3600:
        return "lifetime"
    return ""


class SessionTimeouts:
    """After AuthenticationMiddleware: signs an expired session out before the view runs, so
    the page asks for a login (302) and the API answers 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = _now()
            why = expired(request.session, now)
            if why:
                logout(request)
                if not request.path.startswith("/api/"):
                    messages.info(request, str(ENDED[why]))
            else:
                request.session.setdefault(STARTED, int(now))
                if now - request.session.get(SEEN, 0) >= RENEW_AFTER:
                    request.session[SEEN] = int(now)
        return self.get_response(request)
