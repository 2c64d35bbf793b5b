"""The request a view receives once the user has signed in, for annotations."""

from __future__ import annotations

from django.http import HttpRequest

from greenlane.apps.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request whose ``user`` is a signed-in ``User``, never ``AnonymousUser``: what a page
    behind ``role_required`` or an API operation behind ``RoleAuth`` is handed. Only a type:
    no request is made of this class; the decorator and the API's authentication are what
    make it true. Used by the pages and the API alike, so it lives with the accounts."""

    user: User
