"""Logins, logouts, failed logins and password changes go into the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from greenlane.apps.accounts.clients import client_address
from greenlane.apps.audit import services as audit


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    return {
        "ip": client_address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit.record("accounts.login", user, user, _client(request))


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("accounts.logout", user, user, _client(request))


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The credentials dict holds the password too: only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        "accounts.login.failed",
        None,
        ("accounts.user", username),
        {"username": username, **_client(request)},
    )
