"""State changes for organisations and users; each one atomic and audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.translation import gettext as _

from greenlane.apps.accounts.languages import offered
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.audit import services as audit
from greenlane.core.errors import Refused


@transaction.atomic
def create_organisation(
    name: str, kind: str, country: str, actor: User | None = None
) -> Organisation:
    org = Organisation(name=name, kind=kind, country=country.upper())
    org.full_clean()
    org.save()
    audit.record(
        "accounts.organisation.created",
        actor,
        org,
        {"name": name, "kind": kind, "country": org.country},
    )
    return org


@transaction.atomic
def create_user(
    username: str,
    password: str,
    role: str,
    organisation: Organisation | None,
    actor: User | None = None,
    *,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    check_password: bool = True,
    manages_colleagues: bool = False,
) -> User:
    user = User(
        username=username,
        role=role,
        organisation=organisation,
        email=email,
        first_name=first_name,
        last_name=last_name,
        manages_colleagues=manages_colleagues,
        is_staff=False,
    )
    user.full_clean(exclude=["password"])
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(
        "accounts.user.created",
        actor,
        user,
        {
            "username": username,
            "role": role,
            "organisation": organisation.pk if organisation else None,
        },
    )
    return user


class LanguageRefused(Refused):
    """A language the interface does not speak."""


@transaction.atomic
def choose_language(user: User, code: str) -> None:
    """Save the language a person reads Greenlane in ("" for their browser's); audited."""
    if code and code not in offered():
        choices = ", ".join(sorted(offered()))
        raise LanguageRefused(
            _("%(code)s is not one of the languages offered: %(choices)s")
            % {"code": repr(code), "choices": choices}
        )
    if user.language == code:
        return
    before = user.language
    user.language = code
    user.save(update_fields=["language"])
    audit.record("accounts.language.chosen", user, user, {"from": before, "to": code})


@transaction.atomic
def change_password(user: User, new_password: str) -> None:
    """Set a new password (already validated by the form) and record that it changed."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record("accounts.password.changed", user, user, {})
