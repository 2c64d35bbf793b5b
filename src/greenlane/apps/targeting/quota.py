"""How many declarations one channel-decision API key may send: per minute and per day.

A leaked key could otherwise send invented declarations without end, using up an office's
red and yellow capacity and filling the decision table (issue 16). Each batch is charged to
the key's count for the current minute and the current day (UTC) before it is assessed; a
batch that would go past either limit is refused whole (the API answers 429 with
Retry-After) and the first refusal in a window is audited (``targeting.key.limited``) and
logged as a warning, so that someone can revoke the key.

The counts are rows updated with ``UPDATE ... WHERE declarations <= limit - n``: atomic on
SQLite and PostgreSQL alike, whatever the number of processes or hosts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from greenlane.apps.audit import services as audit
from greenlane.apps.targeting.models import ApiToken, KeyUsage

logger = logging.getLogger(__name__)
#: Defaults of GREENLANE_KEY_DECLARATIONS_PER_MINUTE and ..._PER_DAY (settings.py).
PER_MINUTE, PER_DAY = 20_000, 500_000


@dataclass
class Exceeded(Exception):
    """The key has sent its ``limit`` declarations for the ``window``; try after ``retry_after``
    seconds."""

    window: str
    limit: int
    retry_after: int

    def __str__(self) -> str:
        """Why, in the active language."""
        values = {
            "limit": number_format(self.limit, force_grouping=True),
            "seconds": self.retry_after,
        }
        if self.window == KeyUsage.Window.MINUTE:
            return (
                _(
                    "this API key may send %(limit)s declarations a minute: try again in "
                    "%(seconds)s s"
                )
                % values
            )
        return (
            _("this API key may send %(limit)s declarations a day: try again in %(seconds)s s")
            % values
        )


def limits() -> dict[str, int]:
    return {
        KeyUsage.Window.MINUTE: getattr(settings, "KEY_DECLARATIONS_PER_MINUTE", PER_MINUTE),
        KeyUsage.Window.DAY: getattr(settings, "KEY_DECLARATIONS_PER_DAY", PER_DAY),
    }


def _window(kind: str, now: datetime) -> tuple[datetime, datetime]:
    if kind == KeyUsage.Window.MINUTE:
        start = now.replace(second=0, microsecond=0)
        return start, start + timedelta(minutes=1)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def charge(token: ApiToken, declarations: int, now: datetime | None = None) -> None:
    """Count ``declarations`` against the key's minute and day, or raise Exceeded and count
    nothing."""
    now = (now or timezone.now()).astimezone(UTC)
    try:
        with transaction.atomic():
            for kind, limit in limits().items():
                start, end = _window(kind, now)
                row = _row(token, kind, start)
                charged = KeyUsage.objects.filter(
                    pk=row.pk, declarations__lte=limit - declarations
                ).update(declarations=F("declarations") + declarations)
                if not charged:
                    raise Exceeded(kind, limit, max(1, int((end - now).total_seconds() + 0.999)))
    except Exceeded as exc:
        _report(token, exc, _window(exc.window, now)[0])
        raise


def _row(token: ApiToken, kind: str, start: datetime) -> KeyUsage:
    try:
        with transaction.atomic():  # a savepoint: another process may create it meanwhile
            row, created = KeyUsage.objects.get_or_create(token=token, window=kind, starts_at=start)
    except IntegrityError:
        return KeyUsage.objects.get(token=token, window=kind, starts_at=start)
    if created and kind == KeyUsage.Window.DAY:  # once a day: forget the key's old windows
        KeyUsage.objects.filter(token=token, starts_at__lt=start - timedelta(days=1)).delete()
    return row


def _report(token: ApiToken, exc: Exceeded, start: datetime) -> None:
    """Audit and log the first refusal of the window only (a stuck client retries often)."""
    with transaction.atomic():
        first = KeyUsage.objects.filter(
            token=token, window=exc.window, starts_at=start, alerted=False
        ).update(alerted=True)
        if first:
            audit.record(
                "targeting.key.limited",
                None,
                token,
                {"key_name": token.name, "window": exc.window, "limit": exc.limit,
                 "from": start.isoformat()},
            )  # fmt: skip
    if first:
        logger.warning(
            "API key %s (id %s) reached its limit of %s declarations a %s",
            token.name, token.pk, exc.limit, exc.window,
        )  # fmt: skip
