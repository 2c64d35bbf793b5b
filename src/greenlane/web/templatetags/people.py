"""How a page names the person who did something, depending on who reads it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext

from greenlane.apps.accounts.roles import CUSTOMS_ROLES, Role

register = template.Library()


@register.filter
def shown_to(person: Any, viewer: Any) -> str:
    """Customs staff, and the person's own organisation, see the login name; everyone else sees
    only the role ("AEO validator"). A login name is half of a credential and the key to
    locking an account out, so traders and consultants never see customs staff's (issue 16)."""
    if person is None:
        return ""
    if getattr(viewer, "role", None) in CUSTOMS_ROLES or (
        person.organisation_id is not None
        and person.organisation_id == getattr(viewer, "organisation_id", None)
    ):
        return str(person.username)
    if person.role in Role.values:
        return str(Role(person.role).label)
    return pgettext("a person whose role is not known", "staff")
