"""API authentication and role checks, run before any input is parsed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth


class RoleAuth(SessionAuth):
    """A logged-in session whose user holds one of ``roles`` (None: any role).

    No session: 401. A session with another role: 403, before the request body is read, so a
    caller without the role learns nothing about the operation's input.
    """

    def __init__(self, roles: Iterable[str] | None = None) -> None:
        super().__init__()
        self.roles = None if roles is None else frozenset(roles)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and self.roles is not None and getattr(user, "role", None) not in self.roles:
            raise HttpError(403, _("your role may not use this operation"))
        return user


class TokenAuth(HttpBearer):
    """A customs system's API key (``Authorization: Bearer gl_...``), made with
    ``greenlane token create``; a revoked or unknown key is refused (401).

    A request that carries a key is judged by the key alone: a wrong one is a 401 here, not
    handed on to the session check that comes next (which answered ``403 CSRF check Failed``,
    issue 16)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from greenlane.apps.targeting.keys import token_for

        found = token_for(token)
        if found is None:
            raise AuthenticationError(401, "the API key is unknown or revoked")
        return found
