"""Brute force kept out without letting anyone lock anyone out (issue 16).

Two limits, counted by django-axes in its ``AccessAttempt`` table:

1. **Per username and client address** (``AXES_LOCKOUT_PARAMETERS``): after
   ``GREENLANE_LOCKOUT_ATTEMPTS`` failures the pair is refused for the cool-off time. An
   attacker locks only their own address; the user keeps logging in from theirs.
2. **Per username from every address** (this handler): after
   ``GREENLANE_LOCKOUT_USERNAME_ATTEMPTS`` failures within the cool-off time, summed over all
   addresses, the username is refused from every address it has never logged in from, until
   the failures age out. A guesser with many addresses gets that many guesses per cool-off, no
   more; the user keeps logging in from the addresses they have used before (axes' AccessLog).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def failures_from_everywhere(username: str, request: HttpRequest) -> int:
    """Failed logins for the username within the cool-off time, from all addresses together."""
    since = timezone.now() - (get_cool_off(request) or timedelta(0))
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def backing_off(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Whether a login for this username from this address waits out the global back-off."""
    username = get_client_username(request, credentials)
    if not username:
        return False
    if failures_from_everywhere(username, request) < settings.LOCKOUT_USERNAME_ATTEMPTS:
        return False
    address = getattr(request, "axes_ip_address", None)
    return not AccessLog.objects.filter(username=username, ip_address=address).exists()


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler plus the per-username back-off above."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return super().is_locked(request, credentials) or backing_off(request, credentials)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        """Axes answers "locked" (429) only for its own limit; say so for the back-off too,
        rather than the wrong-password message a user would take for a typo."""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if backing_off(request, credentials):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
