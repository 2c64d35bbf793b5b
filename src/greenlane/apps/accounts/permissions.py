"""Role checks for views: the one decorator every view of the web shell goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]
ANY_ROLE = None


def role_required(roles: Iterable[str] | None) -> Callable[[View], View]:
    """Require a logged-in, active user whose role is in ``roles`` (``ANY_ROLE``: any role).

    Anonymous users are sent to the login page; users with another role get 403. The allowed
    roles are kept on the view (``view.allowed_roles``) so the authorisation matrix test can
    read them back and check every URL against them.
    """
    allowed = None if roles is None else frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if allowed is not None and getattr(user, "role", None) not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper

    return decorator
