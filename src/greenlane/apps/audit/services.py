"""Writing to and verifying the audit log.

``record`` must run inside the transaction of the change it records; it joins the caller's
transaction (or opens one), locks the chain head, and appends one event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from greenlane.apps.audit import chain
from greenlane.apps.audit.models import AuditEvent, ChainHead


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "action": event.action,
        "actor_id": event.actor_id,
        "actor": event.actor,
        "organisation_id": event.organisation_id,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data": event.data,
    }


def _subject(subject: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, models.Model):
        return subject._meta.label_lower, str(subject.pk)
    return subject[0], str(subject[1])


def record(
    action: str,
    actor: Any = None,
    subject: models.Model | tuple[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append ``action`` (a namespaced code such as ``accounts.login``) to the log. The
    ``actor`` is a signed-in user, or an object with an ``audit_label`` (an API key: its name,
    never its secret), or None for the system itself."""
    subject_type, subject_id = _subject(subject)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    # A system acting on its own credential (an API key) names itself by ``audit_label``.
    label = "" if authenticated else str(getattr(actor, "audit_label", "") or "")
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            id=1, defaults={"seq": 0, "hash": chain.GENESIS}
        )
        event = AuditEvent(
            seq=head.seq + 1,
            # Stored and hashed at microsecond precision, so a round-trip through any database
            # gives back the same canonical text.
            at=timezone.now(),
            action=action,
            actor_id=actor.pk if authenticated else None,
            actor=actor.get_username() if authenticated else label,
            organisation_id=getattr(actor, "organisation_id", None) if authenticated else None,
            subject_type=subject_type,
            subject_id=subject_id,
            data=chain.mask_secrets(dict(data or {})),
            prev_hash=head.hash,
        )
        # JSON round-trip so the hash covers exactly what the database will give back.
        event.data = _roundtrip(event.data)
        event.hash = chain.event_hash(event.prev_hash, hashed_fields(event))
        event.save(force_insert=True)
        ChainHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event


def _roundtrip(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _stream() -> Iterator[tuple[int, str, str, Mapping[str, Any]]]:
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        yield event.seq, event.prev_hash, event.hash, hashed_fields(event)


def verify() -> tuple[int, chain.Break | None]:
    """Return (number of events checked, first broken link or None)."""
    head = ChainHead.objects.filter(id=1).values_list("seq", "hash").first()
    count = AuditEvent.objects.count()
    return count, chain.verify(_stream(), head)
