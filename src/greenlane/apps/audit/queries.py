"""Finding audit events for a person who reads the log: by person, organisation, object, kind
of event and period, and exporting what was found with the fields that re-verify it offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from greenlane.apps.audit import chain
from greenlane.apps.audit.models import AuditEvent, ChainHead
from greenlane.apps.audit.services import hashed_fields


@dataclass(frozen=True)
class Filter:
    actor: str = ""  # the username (or API key label) that acted
    organisation_id: int | None = None
    subject_type: str = ""  # "certification.application"
    subject_id: str = ""
    action: str = ""  # the start of the event's name: "certification." or "accounts.login"
    date_from: date | None = None  # UTC days, both included
    date_to: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


def events(chosen: Filter) -> QuerySet[AuditEvent]:
    """The events the filter keeps, newest first."""
    found = AuditEvent.objects.all()
    if chosen.actor:
        found = found.filter(actor=chosen.actor)
    if chosen.organisation_id is not None:
        found = found.filter(organisation_id=chosen.organisation_id)
    if chosen.subject_type:
        found = found.filter(subject_type=chosen.subject_type)
    if chosen.subject_id:
        found = found.filter(subject_id=chosen.subject_id)
    if chosen.action:
        found = found.filter(action__startswith=chosen.action)
    if chosen.date_from:
        found = found.filter(at__gte=datetime.combine(chosen.date_from, time.min, UTC))
    if chosen.date_to:  # the day's last microsecond, the precision events are stored at
        found = found.filter(at__lte=datetime.combine(chosen.date_to, time.max, UTC))
    return found.order_by("-seq")


def export_jsonl(chosen: Filter) -> Iterator[str]:
    """The filter's events oldest first, as JSON Lines: a first line naming the export, its
    filter and the chain head when it was made, then one event per line with its hashes
    (``greenlane audit verify --file`` checks it without the database)."""
    head = ChainHead.objects.filter(id=1).values("seq", "hash").first() or {
        "seq": 0,
        "hash": chain.GENESIS,
    }
    yield (
        json.dumps(
            {
                "kind": chain.EXPORT_KIND,
                "version": 1,
                "exported_at": timezone.now().isoformat(timespec="seconds"),
                "filter": chosen.as_dict(),
                "head": head,
            },
            sort_keys=True,
        )
        + "\n"
    )
    for event in events(chosen).order_by("seq").iterator(chunk_size=2_000):
        yield chain.export_line(hashed_fields(event), event.prev_hash, event.hash) + "\n"


CSV_HEADER = (*chain.EXPORT_FIELDS, "prev_hash", "hash")


def export_rows(chosen: Filter) -> Iterator[tuple[Any, ...]]:
    """The same events as table rows (``data`` as its JSON text), for a spreadsheet."""
    for event in events(chosen).order_by("seq").iterator(chunk_size=2_000):
        record = json.loads(chain.export_line(hashed_fields(event), event.prev_hash, event.hash))
        record["data"] = json.dumps(record["data"], sort_keys=True, ensure_ascii=False)
        yield tuple(record[k] for k in CSV_HEADER)
