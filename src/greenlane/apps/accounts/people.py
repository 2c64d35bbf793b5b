"""People and organisations, administered in the browser (issue 18, point 1).

An administrator adds a person to an organisation with the one role that fits its kind; the
person sets a password through a link sent by e-mail (never a password shown on screen or
chosen by the administrator). Every change is atomic and audited with what it was before and
after; deactivating ends the person's sessions and keeps every record they made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.formats import number_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from greenlane.apps.accounts import addresses
from greenlane.apps.accounts.languages import speaking_to
from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import ROLES_BY_KIND, Role
from greenlane.apps.audit import services as audit
from greenlane.core.errors import NotAllowed, Refused

PERSON_FIELDS = ("first_name", "last_name", "email", "role", "manages_colleagues")
REASON_MAX = 2_000


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "pending_email": user.pending_email,
        "role": user.role,
        "manages_colleagues": user.manages_colleagues,
        "organisation": user.organisation_id,
        "is_active": user.is_active,
    }


def _checked(user: User) -> None:
    """The model's own checks (a role that fits the organisation's kind, an e-mail address
    that is one), said as refusals on the field they concern."""
    if not user.email and not user.pending_email:
        raise Refused(_("give the person's e-mail address: the password link goes there"), "email")
    validated(user, exclude=["password"])


def validated(instance: Any, exclude: list[str] | None = None) -> None:
    """The model's own checks, said as a refusal on the first field they concern."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Refused("; ".join(messages), None if field == "__all__" else field) from None


def username_for(email: str) -> str:
    """A free username from the e-mail address's local part (``kim.lee@x`` → ``kim.lee``,
    then ``kim.lee2``…): the person reads it in the mail with their password link."""
    local = re.sub(r"[^\w.@+-]", "", email.partition("@")[0])[:140] or "user"
    name, n = local, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{local}{n}"
    return name


@transaction.atomic
def add_person(admin: User, organisation: Organisation, data: dict[str, Any], base: str) -> User:
    """A new person in ``organisation``; the password link (to ``base``, the site's address)
    is sent once the change commits."""
    user = User(
        username=str(data.get("username", "")).strip(),
        first_name=str(data.get("first_name", "")).strip(),
        last_name=str(data.get("last_name", "")).strip(),
        email=str(data.get("email", "")).strip(),
        role=str(data.get("role", "")),
        manages_colleagues=bool(data.get("manages_colleagues", False)),
        organisation=organisation,
        is_staff=False,
    )
    if User.objects.filter(username__iexact=user.username).exists():
        raise Refused(
            _("the username %(username)s is taken") % {"username": repr(user.username)},
            "username",
        )
    _checked(user)
    user.set_unusable_password()
    user.save()
    audit.record("accounts.user.created", admin, user, {"before": {}, "after": _snapshot(user)})
    send_password_link(admin, user, base, first=True)
    return user


@transaction.atomic
def change_person(admin: User, user: User, data: dict[str, Any], base: str) -> User:
    """Change a person's name, role and whether they manage their colleagues. A new e-mail
    address waits until its owner follows the link sent to it (to ``base``, the site's
    address); mail goes to the old one until then."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = _snapshot(locked)
    for field in ("first_name", "last_name", "role"):
        if field in data:
            setattr(locked, field, str(data[field]).strip())
    if "manages_colleagues" in data:
        locked.manages_colleagues = bool(data["manages_colleagues"])
    confirm = "email" in data and addresses.ask(locked, str(data["email"]))
    if locked.pk == admin.pk and locked.role != Role.ADMINISTRATOR:
        raise NotAllowed(_("you cannot take the administrator role from yourself"))
    _checked(locked)
    after = _snapshot(locked)
    if after == before:
        return locked
    locked.save()
    audit.record("accounts.user.changed", admin, locked, {"before": before, "after": after})
    if confirm and locked.pending_email != before["pending_email"]:
        addresses.send_link(admin, locked, base)
    return locked


def reason_given(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Refused(_("say why"), "reason")
    if len(reason) > REASON_MAX:
        raise Refused(
            _("the reason is longer than %(n)s characters")
            % {"n": number_format(REASON_MAX, force_grouping=True)},
            "reason",
        )
    return reason


@transaction.atomic
def deactivate(admin: User, user: User, reason: str) -> User:
    """The person can no longer sign in and their sessions end; what they did stays."""
    reason = reason_given(reason)
    if user.pk == admin.pk:
        raise NotAllowed(_("you cannot deactivate yourself: ask another administrator"))
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        raise NotAllowed(_("%(username)s is already deactivated") % {"username": locked.username})
    before = _snapshot(locked)
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    ended = _end_sessions(locked)
    audit.record(
        "accounts.user.deactivated",
        admin,
        locked,
        {"before": before, "after": _snapshot(locked), "reason": reason, "signed_out_of": ended},
    )
    return locked


@transaction.atomic
def reactivate(admin: User, user: User, reason: str) -> User:
    reason = reason_given(reason)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        raise NotAllowed(_("%(username)s is active") % {"username": locked.username})
    if locked.organisation and locked.role not in ROLES_BY_KIND[locked.organisation.kind]:
        raise NotAllowed(_("the person's role no longer fits the organisation: change it first"))
    before = _snapshot(locked)
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    audit.record(
        "accounts.user.reactivated",
        admin,
        locked,
        {"before": before, "after": _snapshot(locked), "reason": reason},
    )
    return locked


def sessions_of(user: User) -> list[Session]:
    """The person's signed-in sessions that have not expired (read from each session's data:
    a few hundred rows at most, those of people signed in now)."""
    key = str(user.pk)
    return [
        s
        for s in Session.objects.filter(expire_date__gt=timezone.now())
        if s.get_decoded().get("_auth_user_id") == key
    ]


def _end_sessions(user: User) -> int:
    found = sessions_of(user)
    Session.objects.filter(session_key__in=[s.session_key for s in found]).delete()
    return len(found)


@transaction.atomic
def end_sessions(admin: User, user: User) -> int:
    """Sign the person out everywhere."""
    ended = _end_sessions(user)
    audit.record("accounts.user.signed_out", admin, user, {"signed_out_of": ended})
    return ended


def locked_out(user: User) -> bool:
    """Whether failed logins keep the person out now (from one address or more)."""
    return AccessAttempt.objects.filter(
        username=user.username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).exists()


@transaction.atomic
def unlock(admin: User, user: User) -> int:
    """Forget the failed logins that keep the person out."""
    cleared, _ = AccessAttempt.objects.filter(username=user.username).delete()
    audit.record("accounts.user.unlocked", admin, user, {"attempts_cleared": cleared})
    return cleared


@dataclass(frozen=True)
class Link:
    url: str
    expires: datetime


def password_link(user: User, base: str) -> Link:
    """A link that lets the person choose a password: it works once (it is bound to the
    password it replaces and the last login) and until ``PASSWORD_RESET_TIMEOUT``."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_set", args=[uid, token])
    expires = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    return Link(base.rstrip("/") + path, expires)


def send_password_link(admin: User | None, user: User, base: str, first: bool = False) -> None:
    """Send the person a password link by e-mail (``base``: the site's address, e.g.
    ``https://greenlane.customs.example/``), in the background once the caller's transaction
    commits; audited (the link itself never is)."""
    if not user.email:
        raise Refused(_("the person has no e-mail address: add one first"), "email")
    if not user.is_active:
        raise NotAllowed(_("%(username)s is deactivated") % {"username": user.username})
    with transaction.atomic():
        audit.record(
            "accounts.user.password_link_sent", admin, user, {"to": user.email, "first": first}
        )
        transaction.on_commit(lambda: deliver_password_link.enqueue(user.pk, first, base))


@task()
def deliver_password_link(user_id: int, first: bool, base: str) -> None:
    """The background side of ``send_password_link``: the link is made when it is sent, so
    neither the queue nor the audit log ever holds it. A send that fails is logged by the
    worker; the administrator sends the link again from the person's page."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    link = password_link(user, base)
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    with speaking_to(user):  # the person's own language, not the sender's
        if first:
            subject = _("Greenlane: your Greenlane account is ready")
            opening = _("Your Greenlane account is ready.")
        else:
            subject = _("Greenlane: choose a new Greenlane password")
            opening = _("Choose a new Greenlane password.")
        body = "\n\n".join(
            [
                opening,
                _("Username: %(username)s") % {"username": user.username},
                ngettext(
                    "Choose your password here (the link works once, for %(n)d hour):",
                    "Choose your password here (the link works once, for %(n)d hours):",
                    hours,
                )
                % {"n": hours}
                + "\n"
                + link.url,
                _(
                    "If you did not expect this message, ignore it: nothing changes until the "
                    "link is used."
                ),
            ]
        )
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def add_organisation(admin: User, data: dict[str, Any]) -> Organisation:
    org = Organisation(
        name=str(data.get("name", "")).strip(),
        kind=str(data.get("kind", "")),
        country=str(data.get("country", "")).strip().upper(),
    )
    if Organisation.objects.filter(name__iexact=org.name).exists():
        raise Refused(_("an organisation named %(name)s exists") % {"name": repr(org.name)}, "name")
    validated(org)
    if len(org.country) != 2 or not org.country.isalpha():
        raise Refused(_("the country is two letters (ISO 3166-1), e.g. KR"), "country")
    org.save()
    audit.record(
        "accounts.organisation.created",
        admin,
        org,
        {"before": {}, "after": {"name": org.name, "kind": org.kind, "country": org.country}},
    )
    return org


#: "Forgot your password?": requests one client address may make, and links one e-mail
#: address may be sent, per ``FORGOT_WINDOW`` seconds.
FORGOT_PER_ADDRESS = 5
FORGOT_PER_EMAIL = 3
FORGOT_WINDOW = 3600


def forgot_password(email: str, client: str, base: str) -> int:
    """A person asks for a password link by their e-mail address. The answer to show is the
    same whatever the address (nobody learns who has an account); every active person with
    that address gets a link. Past the limits nothing is sent and the seconds to wait are
    returned (the page says to wait, still without telling whether the address is known)."""
    from greenlane.apps.accounts import limits

    email = email.strip()
    wait = limits.retry_after(f"forgot:{client}", FORGOT_PER_ADDRESS, FORGOT_WINDOW)
    if wait or not email or len(email) > 254:
        return wait
    if limits.retry_after(f"forgot-mail:{email.lower()}", FORGOT_PER_EMAIL, FORGOT_WINDOW):
        return 0  # the mailbox has had its links: say nothing different, send nothing more
    for user in User.objects.filter(email__iexact=email, is_active=True):
        with transaction.atomic():
            audit.record("accounts.user.password_link_asked", None, user, {"client": client})
            transaction.on_commit(lambda pk=user.pk: deliver_password_link.enqueue(pk, False, base))
    return 0
