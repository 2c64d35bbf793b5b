"""The address of the client behind a request, for the login lockout, the rate limits and the
audit trail."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address. Without a proxy it is the connection's (``REMOTE_ADDR``).
    Behind ``TRUSTED_PROXIES`` proxies (``GREENLANE_TRUSTED_PROXIES``), each appends the
    address it received the request from to ``X-Forwarded-For``, so the client's is the one
    that many places from the end; whatever the client itself wrote there stands before it and
    is ignored. Anything that is not an IP address falls back to ``REMOTE_ADDR``: otherwise
    every client behind the proxy would share the proxy's address, and one of them could lock
    a user out for all."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
