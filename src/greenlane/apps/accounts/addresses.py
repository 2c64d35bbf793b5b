"""A changed e-mail address is used only once its owner confirms it (issue 18, point 3).

Whoever changes it (an administrator on the person's page, or the person themselves), the new
address waits as ``pending_email`` and gets a link; following it makes it the address. Until
then every message (password links included) goes to the old one, so a mistyped or hostile
address never receives anything but the link. The old address is told of the change.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task

from greenlane.apps.accounts import links
from greenlane.apps.accounts.languages import speaking_to
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.core.errors import Refused

PURPOSE = "address"


def _state(user: User) -> str:
    # The link is for this pending address replacing this address: once it has (or another
    # address is asked for instead), the state differs and the link is dead.
    return f"{user.email}\n{user.pending_email}"


def ask(user: User, new: str) -> bool:
    """Put ``new`` in waiting on ``user`` (not saved); whether a confirmation link must go to
    it. Giving the present address again drops a pending one."""
    new = new.strip()
    if not new:
        raise Refused(_("give an e-mail address: the links Greenlane sends go there"), "email")
    try:
        if len(new) > 254:
            raise ValidationError("too long")
        validate_email(new)
    except ValidationError:
        raise Refused(_("enter a valid e-mail address"), "email") from None
    if new.lower() == user.email.lower():
        user.pending_email = ""
        return False
    user.pending_email = new
    return True


def send_link(actor: User | None, user: User, base: str) -> None:
    """Mail the confirmation link to the pending address once the caller's transaction
    commits; audited (never the link itself)."""
    with transaction.atomic():
        audit.record("accounts.user.address_link_sent", actor, user, {"to": user.pending_email})
        transaction.on_commit(lambda: deliver_address_link.enqueue(user.pk, base))


@transaction.atomic
def change_own(user: User, new: str, password: str, base: str) -> User:
    """The person asks for a new address (saying their password, so that a session left open
    is not enough to take the account's mail); it is used once they confirm it."""
    if not user.check_password(password):
        raise Refused(_("that is not your password"), "password")
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = locked.pending_email
    if not ask(locked, new):
        if before:
            locked.save(update_fields=["pending_email"])
            audit.record("accounts.user.address_dropped", user, locked, {"pending": before})
        return locked
    locked.save(update_fields=["pending_email"])
    send_link(user, locked, base)
    return locked


def link(user: User, base: str) -> str:
    token = links.make(PURPOSE, user.pk, _state(user))
    return base.rstrip("/") + reverse("address_confirm", args=[token])


def pending(token: str) -> User | None:
    """The person whose pending address the token confirms, or None when it does not (any
    more)."""
    found = links.read(PURPOSE, token)
    if found is None:
        return None
    user = User.objects.filter(pk=found[0], is_active=True).exclude(pending_email="").first()
    if user is None or not links.matches(PURPOSE, found[1], _state(user)):
        return None
    return user


@transaction.atomic
def confirm(token: str) -> User | None:
    """Make the pending address the address; None when the link does not work."""
    user = pending(token)
    if user is None:
        return None
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.pending_email != user.pending_email or locked.email != user.email:
        return None  # changed in between: the link was for another state
    old = locked.email
    locked.email, locked.pending_email = locked.pending_email, ""
    locked.save(update_fields=["email", "pending_email"])
    audit.record(
        "accounts.user.address_confirmed",
        None,
        locked,
        {"before": {"email": old}, "after": {"email": locked.email}},
    )
    if old:
        transaction.on_commit(lambda: deliver_change_notice.enqueue(old, locked.username))
    return locked


@task()
def deliver_address_link(user_id: int, base: str) -> None:
    """The background side of ``send_link``: the link is made when it is sent."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(pending_email="").first()
    if user is None:
        return
    with speaking_to(user):  # the person's own language, not the sender's
        subject = _("Greenlane: confirm your e-mail address")
        body = "\n\n".join(
            [
                _(
                    "Someone asked for this address to be used for your Greenlane account "
                    "(%(username)s)."
                )
                % {"username": user.username},
                links.confirm_here(link(user, base)),
                _(
                    "Until you do, Greenlane keeps writing to the address it had. If you did not "
                    "expect this message, ignore it."
                ),
            ]
        )
    send_mail(subject, body, None, [user.pending_email])


@task()
def deliver_change_notice(old: str, username: str) -> None:
    """Tell the address that was replaced, so a change nobody asked for is noticed."""
    with speaking_to(User.objects.filter(username=username).first()):
        subject = _("Greenlane: your e-mail address was changed")
        body = "\n\n".join(
            [
                _(
                    "The e-mail address of the Greenlane account %(username)s was changed and "
                    "confirmed: Greenlane no longer writes to this one."
                )
                % {"username": username},
                _("If you did not ask for this, tell your administrator at once."),
            ]
        )
    send_mail(subject, body, None, [old])
