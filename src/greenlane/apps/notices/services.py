"""Making notices, reading them, and each person's choice of how they arrive.

A notice's title and body are written once and read later, by people who each read their
own language: give them as :class:`~greenlane.core.words.Words` (``greenlane.core.words._``,
which marks the message without translating it now), stored as data and translated when
read. A plain ``str`` is still taken (kept and shown as it is, in every language).

``notify`` runs in the transaction of the change it reports, so a change that rolls back
tells nobody. It keeps only the recipients who are active and may see the thing (the caller
says who may, ``may_see``: a notice's title names an application or a certificate, and an
e-mail must never reach someone the page would refuse). The e-mail goes after the commit, in
the background (``mail.deliver_pending``), never in the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.notices.models import (
    KINDS_BY_ROLE,
    Delivery,
    Kind,
    Mail,
    Notice,
    Preference,
)
from greenlane.core import errors
from greenlane.core.words import Words, _

#: A notice's title or body: words translated when read (or words stored as data,
#: ``Words.as_json()``, such as a job's message), or a text shown as it is.
Text = str | Words | Mapping[str, Any]

_MAIL_BY_DELIVERY = {Delivery.INBOX: Mail.NONE, Delivery.EMAIL: Mail.PENDING,
                     Delivery.DIGEST: Mail.DIGEST}  # fmt: skip


def notify(
    kind: Kind,
    recipients: Iterable[User | None],
    *,
    title: Text,
    link: str,
    may_see: Callable[[User], bool],
    about: models.Model | None = None,
    body: Text = "",
    key: str = "",
) -> int:
    """Give each recipient who is active and ``may_see`` the thing a notice of ``kind``;
    returns how many were made. With ``key`` (a reminder's identity) a person gets it once,
    however often it is asked for."""
    people: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.is_active and user.pk not in people and may_see(user):
            people[user.pk] = user
    if not people:
        return 0
    chosen = dict(
        Preference.objects.filter(user_id__in=people, kind=kind).values_list("user_id", "delivery")
    )
    title, body = _words(title), _words(body)
    title_words, body_words = _as_json(title), _as_json(body)
    title_text, body_text = str(title)[:200], str(body)
    subject_type, subject_id = (
        (about._meta.label_lower, str(about.pk)) if about is not None else ("", "")
    )
    rows = [
        Notice(
            recipient=user,
            kind=kind,
            title=title_text,
            body=body_text,
            title_words=title_words,
            body_words=body_words,
            link=link[:500],
            subject_type=subject_type,
            subject_id=subject_id,
            key=key[:120],
            mail=_MAIL_BY_DELIVERY[Delivery(chosen.get(pk, Delivery.EMAIL))],
        )
        for pk, user in people.items()
    ]
    before = Notice.objects.filter(key=key).count() if key else 0
    Notice.objects.bulk_create(rows, ignore_conflicts=bool(key))
    made = (Notice.objects.filter(key=key).count() - before) if key else len(rows)
    if made and any(r.mail == Mail.PENDING for r in rows):
        _send_after_commit()
    return made


def _words(text: Text) -> str | Words:
    """Words stored as data read back as words; anything else as it is."""
    if isinstance(text, Mapping) and "message" in text:
        return Words.from_json(text)
    return text if isinstance(text, Words) else str(text)


def _as_json(text: str | Words) -> dict[str, Any] | None:
    """Words as stored data; None for a plain text (kept as it is in ``title``/``body``)."""
    return text.as_json() if isinstance(text, Words) else None


def _send_after_commit() -> None:
    from greenlane.apps.notices.mail import deliver_pending

    transaction.on_commit(lambda: deliver_pending.enqueue())


def tell_outcome(
    person: User | None,
    done: bool,
    *,
    what: Text,
    message: Text,
    link: str,
    about: models.Model,
    roles: Iterable[str],
) -> int:
    """Tell ``person`` that the background work they asked for (``what``: words such as
    ``_("The ingest of %(file)s", file="x.csv")``) finished or failed, with the job's
    ``message``; only while their role may still open its page."""
    allowed = frozenset(roles)
    what = _words(what)
    return notify(
        Kind.JOB_FINISHED if done else Kind.JOB_FAILED,
        [person],
        title=_("%(what)s finished", what=what) if done else _("%(what)s failed", what=what),
        body=message,
        link=link,
        about=about,
        may_see=lambda user: user.role in allowed,
    )


def inbox(user: Any) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient_id=user.pk)


def unread_count(user: Any) -> int:
    return Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def open_notice(user: Any, pk: int) -> Notice | None:
    """The person's own notice, marked read; None when it is not theirs (or does not exist)."""
    notice = Notice.objects.filter(pk=pk, recipient_id=user.pk).first()
    if notice is not None and notice.read_at is None:
        Notice.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    return notice


def mark_all_read(user: Any) -> int:
    return Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences(user: Any) -> dict[str, str]:
    """Every kind the person's role can be sent, with their choice (e-mail at once where they
    made none)."""
    chosen = dict(Preference.objects.filter(user_id=user.pk).values_list("kind", "delivery"))
    return {
        kind.value: chosen.get(kind.value, Delivery.EMAIL.value)
        for kind in KINDS_BY_ROLE.get(user.role, ())
    }


class Refused(errors.Refused):
    """A choice that does not exist."""


def set_preferences(user: User, choices: dict[str, str]) -> dict[str, Any]:
    """Save the person's choices per kind (all or some); audited with what changed."""
    mine = {kind.value for kind in KINDS_BY_ROLE.get(user.role, ())}
    unknown = [k for k in choices if k not in mine]
    if unknown:
        raise Refused(_("no notice kind '%(kind)s' for your role", kind=unknown[0]))
    wrong = [v for v in choices.values() if v not in Delivery.values]
    if wrong:
        raise Refused(
            _("no delivery '%(delivery)s': choose inbox, email or digest", delivery=wrong[0])
        )
    with transaction.atomic():
        before = preferences(user)
        changed = {k: {"from": before[k], "to": v} for k, v in choices.items() if before[k] != v}
        for kind, delivery in choices.items():
            Preference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )
        if changed:
            audit.record("notices.preferences.changed", user, user, {"changed": changed})
        # A kind taken out of the digest: what waited for it goes as the new choice says.
        for kind, delivery in choices.items():
            if delivery != Delivery.DIGEST:
                moved = Notice.objects.filter(recipient=user, kind=kind, mail=Mail.DIGEST).update(
                    mail=_MAIL_BY_DELIVERY[Delivery(delivery)]
                )
                if moved and delivery == Delivery.EMAIL:
                    _send_after_commit()
    return changed
