"""State changes for organisations and users; each one atomic and audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.audit import services as audit


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


@transaction.atomic
def change_password(user: User, new_password: str) -> None:
    """Set a new password (already validated by the form) and record that it changed."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record("accounts.password.changed", user, user, {})
