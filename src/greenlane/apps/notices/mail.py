"""The e-mail side of notices: sent by the worker, retried, one message per person.

A notice to be mailed at once is *pending*; ``deliver_pending`` (queued after the commit that
made it, and run again by the worker every ten minutes) claims each one with a conditional
update, so two workers never send it twice, and sends it. A send that fails is tried again
after 1, 5, 30 and 120 minutes, then the notice says *failed* with the reason (the inbox
still has it). A person who left, or has no address, is skipped. A notice that waits for the
daily digest goes in one message per person at ``GREENLANE_DIGEST_HOUR``, with everything
that arrived since the previous one.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from greenlane import jobs
from greenlane.apps.accounts.languages import speaking_to
from greenlane.apps.notices.models import Mail, Notice

log = logging.getLogger(__name__)

#: Minutes to wait before the next try, after the first, second, ... failure.
RETRY_MINUTES = (1, 5, 30, 120)
#: A claim older than this was a worker that died while sending: the notice is tried again.
STALE_CLAIM = timedelta(minutes=15)
BATCH = 500


def open_url(notice: Notice) -> str:
    """The address in the e-mail: it marks the notice read and lands on the thing."""
    return settings.SITE_URL + reverse("notice_open", args=[notice.pk])


def _message(notices: list[Notice], subject: str, digest: bool) -> EmailMultiAlternatives:
    person = notices[0].recipient
    context = {
        "person": person,
        "items": [(n, open_url(n)) for n in notices],
        "settings_url": settings.SITE_URL + reverse("notice_settings"),
        "digest": digest,
    }
    with speaking_to(person):  # the person's own language, not the sender's
        text = render_to_string("notices/mail.txt", context)
        html = render_to_string("notices/mail.html", context)
    message = EmailMultiAlternatives(subject, text, None, [person.email])
    message.attach_alternative(html, "text/html")
    return message


def _failed(notices: list[Notice], back_to: str, error: Exception, now: datetime) -> None:
    for notice in notices:
        attempts = notice.mail_attempts + 1
        last = attempts > len(RETRY_MINUTES)
        Notice.objects.filter(pk=notice.pk).update(
            mail=Mail.FAILED if last else back_to,
            mail_attempts=attempts,
            mail_next_at=None if last else now + timedelta(minutes=RETRY_MINUTES[attempts - 1]),
            mail_error=f"{type(error).__name__}: {error}"[:300],
        )
    log.warning("mail to %s failed: %s", notices[0].recipient.email, error)


def _send(
    notices: list[Notice], subject: str, back_to: str, connection: object, now: datetime
) -> bool:
    """Send ``notices`` in one message (a digest when ``back_to`` is the digest's state)."""
    person = notices[0].recipient
    if not person.is_active or not person.email:
        Notice.objects.filter(pk__in=[n.pk for n in notices]).update(mail=Mail.SKIPPED)
        return False
    try:
        message = _message(notices, subject, digest=back_to == Mail.DIGEST)
        message.connection = connection
        message.send()
    except Exception as exc:  # the server refused, or is away: tried again later
        _failed(notices, back_to, exc, now)
        return False
    Notice.objects.filter(pk__in=[n.pk for n in notices]).update(
        mail=Mail.SENT, mailed_at=now, mail_error=""
    )
    return True


def _claim(query: Q, back_to: str) -> list[Notice]:
    """Take the notices ``query`` finds in state ``back_to`` for this worker alone."""
    token = f"{back_to}:{secrets.token_hex(8)}"  # says where a dead worker's claim goes back
    ids = list(
        Notice.objects.filter(query, mail=back_to)
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    with transaction.atomic():
        Notice.objects.filter(pk__in=ids, mail=back_to).update(
            mail=Mail.SENDING, mail_error=token, mail_next_at=timezone.now()
        )
    return list(Notice.objects.filter(mail_error=token).select_related("recipient").order_by("pk"))


def _release_stale(now: datetime) -> None:
    """Notices a dead worker had claimed go back to be sent (pending or digest)."""
    stale = Notice.objects.filter(mail=Mail.SENDING, mail_next_at__lt=now - STALE_CLAIM)
    stale.filter(mail_error__startswith=Mail.DIGEST).update(mail=Mail.DIGEST, mail_error="")
    stale.update(mail=Mail.PENDING, mail_error="")


def send_pending(now: datetime | None = None) -> int:
    """Send every pending notice that is due; returns how many went."""
    now = now or timezone.now()
    _release_stale(now)
    sent = 0
    due = Q(mail_next_at__isnull=True) | Q(mail_next_at__lte=now)
    connection = get_connection()
    while True:
        claimed = _claim(due, Mail.PENDING)
        if not claimed:
            return sent
        for notice in claimed:
            with speaking_to(notice.recipient):  # the title in the addressee's language
                subject = _("Greenlane: %(title)s") % {"title": notice.shown_title}
            sent += _send([notice], subject, Mail.PENDING, connection, now)


def digest_cutoff(now: datetime) -> datetime:
    """The latest digest time at or before ``now``: what arrived before it is sent."""
    local = timezone.localtime(now)
    cutoff = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return cutoff if cutoff <= local else cutoff - timedelta(days=1)


def send_digests(now: datetime | None = None) -> int:
    """One message per person with the notices that waited for their daily digest."""
    now = now or timezone.now()
    cutoff = digest_cutoff(now)
    waiting = Q(created_at__lt=cutoff) & (Q(mail_next_at__isnull=True) | Q(mail_next_at__lte=now))
    people = (
        Notice.objects.filter(waiting, mail=Mail.DIGEST)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    connection = get_connection()
    for person in list(people):
        claimed = _claim(waiting & Q(recipient_id=person), Mail.DIGEST)
        if claimed:
            day = timezone.localtime(cutoff).date()
            with speaking_to(claimed[0].recipient):
                subject = ngettext(
                    "Your Greenlane digest of %(day)s: %(n)d notice",
                    "Your Greenlane digest of %(day)s: %(n)d notices",
                    len(claimed),
                ) % {"day": date_format(day, "d F Y"), "n": len(claimed)}
            sent += _send(claimed, subject, Mail.DIGEST, connection, now)
    return sent


def outbox_state() -> dict[str, int]:
    """How many notices stand in each mail state (inbox-only ones included)."""
    from django.db.models import Count

    counts = dict(Notice.objects.values_list("mail").annotate(n=Count("pk")).order_by())
    return {state.value: int(counts.get(state.value, 0)) for state in Mail}


def retry_failed() -> int:
    """Give the e-mail of every notice that could not be sent a new round of tries (after
    the mail server is mended); audited."""
    from greenlane.apps.audit import services as audit

    with transaction.atomic():
        count = Notice.objects.filter(mail=Mail.FAILED).update(
            mail=Mail.PENDING, mail_attempts=0, mail_next_at=None, mail_error=""
        )
        if count:
            audit.record("notices.mail.retried", None, None, {"notices": count})
    return count


@task()
def deliver_pending() -> int:
    """Queued after the commit that made a pending notice."""
    return send_pending()


@jobs.periodic("notices", setting=None)
def outbox(day: object) -> None:
    """Every ten minutes in the worker: the retries that are due, and the daily digests."""
    send_pending()
    send_digests()
