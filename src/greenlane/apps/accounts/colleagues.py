"""A company or consultancy manages its own people (issue 18, point 2; decision 0025).

A person who ``manages_colleagues`` invites colleagues into their own organisation, with the
one role its kind takes, and removes them (deactivated, signed out; never deleted). Nothing
here reaches another organisation: every change checks that the colleague is in the
manager's own, and the pages find colleagues only there (another's answer 404).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from greenlane.apps.accounts import people
from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import COMPANY_ROLES, ROLES_BY_KIND
from greenlane.core.errors import NotAllowed


def of(user: User) -> QuerySet[User]:
    """The people of ``user``'s own organisation (none for customs: an administrator manages
    those on the People pages)."""
    if user.role not in COMPANY_ROLES or not user.organisation_id:
        return User.objects.none()
    return User.objects.filter(organisation_id=user.organisation_id)


def _may_manage(manager: User) -> None:
    if not (manager.is_active and manager.manages_colleagues and of(manager).exists()):
        raise NotAllowed(
            _("only a person who manages colleagues may do this: ask them, or customs")
        )


@transaction.atomic
def invite(manager: User, data: dict[str, Any], base: str) -> User:
    """A new colleague in the manager's organisation, with its kind's role; the link to choose
    a password goes to the address given (to ``base``, the site's address)."""
    _may_manage(manager)
    organisation = manager.organisation
    assert organisation is not None  # _may_manage: a company's person has one
    (role,) = ROLES_BY_KIND[organisation.kind]
    email = str(data.get("email", "")).strip()
    person = {
        "username": people.username_for(email),
        "first_name": data.get("first_name", ""),
        "last_name": data.get("last_name", ""),
        "email": email,
        "role": role,
        "manages_colleagues": bool(data.get("manages_colleagues", False)),
    }
    return people.add_person(manager, organisation, person, base)


def _colleague(manager: User, colleague: User) -> User:
    _may_manage(manager)
    if not of(manager).filter(pk=colleague.pk).exists():
        raise NotAllowed(_("that person is not in your organisation"))
    return colleague


@transaction.atomic
def remove(manager: User, colleague: User, reason: str) -> User:
    """The colleague can no longer sign in and is signed out everywhere; what they did stays."""
    _colleague(manager, colleague)
    if colleague.pk == manager.pk:
        raise NotAllowed(_("you cannot remove yourself: ask a colleague who manages people"))
    return people.deactivate(manager, colleague, reason)


@transaction.atomic
def set_manages(manager: User, colleague: User, manages: bool) -> User:
    """Let a colleague manage people too, or no longer (never oneself, so an organisation
    keeps one)."""
    _colleague(manager, colleague)
    if colleague.pk == manager.pk:
        raise NotAllowed(
            _("you cannot change this for yourself: ask a colleague who manages people")
        )
    if not colleague.is_active:
        raise NotAllowed(_("%(username)s is removed") % {"username": colleague.username})
    locked = User.objects.select_for_update().get(pk=colleague.pk)
    if locked.manages_colleagues == manages:
        return locked
    return people.change_person(manager, locked, {"manages_colleagues": manages}, "")
