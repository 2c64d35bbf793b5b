"""Rolling back an ingest: a file's declarations, results and what was derived from them
leave the record; the batch itself stays, marked, with who, when, why and what went.

A rollback is refused while later work stands on the file: inspection results recorded on
its declarations by officers or by another results file, or corrected results. Those are
facts about real consignments that a rollback must not erase behind their authors' backs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, npgettext

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import (
    Declaration,
    IngestBatch,
    Inspection,
    InspectionCorrection,
)
from greenlane.apps.declarations.signals import batch_rolling_back
from greenlane.core.errors import NotAllowed, Refused

ROLLBACK_ROLES = frozenset({Role.RISK_ANALYST, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Impact:
    """What rolling ``batch`` back would remove, and what stands in its way."""

    declarations: int
    results: int
    later_results: int  # recorded on its declarations by officers or another file
    corrected: int  # its results, or results on its declarations, that were corrected

    @property
    def blocked(self) -> str:
        """Why it cannot be rolled back ('' when it can)."""
        if self.later_results:
            return ngettext(
                "%(n)s inspection result(s) were recorded later on this file's declarations (by "
                "officers or another results file); they would be lost",
                "%(n)s inspection result(s) were recorded later on this file's declarations (by "
                "officers or another results file); they would be lost",
                self.later_results,
            ) % {"n": number_format(self.later_results, force_grouping=True)}
        if self.corrected:
            return ngettext(
                "%(n)s of its inspection result(s) were corrected since",
                "%(n)s of its inspection result(s) were corrected since",
                self.corrected,
            ) % {"n": number_format(self.corrected, force_grouping=True)}
        return ""


def removed(counts: dict[str, int]) -> list[str]:
    """What a rollback removed (``IngestBatch.rollback_counts``: counts by kind, the kinds
    codes), kind by kind in the reader's language: "6 declarations"."""
    out = []
    for kind, n in counts.items():
        values = {"n": number_format(n, force_grouping=True)}
        if kind == "declarations":
            out.append(ngettext("%(n)s declaration", "%(n)s declarations", n) % values)
        elif kind == "inspection results":
            out.append(ngettext("%(n)s inspection result", "%(n)s inspection results", n) % values)
        elif kind == "scores":
            out.append(
                npgettext("risk scores of declarations", "%(n)s score", "%(n)s scores", n) % values
            )
        else:  # a kind this list does not know yet: as it is kept
            out.append(f"{values['n']} {kind.replace('_', ' ')}")
    return out


def impact(batch: IngestBatch) -> Impact:
    if batch.kind == IngestBatch.Kind.DECLARATIONS:
        results = Inspection.objects.filter(declaration__batch=batch)
        own = results.filter(batch=batch)
        return Impact(
            declarations=batch.declarations.count(),
            results=own.count(),
            later_results=results.exclude(batch=batch).count(),
            corrected=InspectionCorrection.objects.filter(inspection__in=results).count(),
        )
    own = Inspection.objects.filter(batch=batch)
    return Impact(
        declarations=0,
        results=own.count(),
        later_results=0,
        corrected=InspectionCorrection.objects.filter(inspection__in=own).count(),
    )


def roll_back(batch: IngestBatch, user: User | None, reason: str) -> IngestBatch:
    """Remove what ``batch`` put on record, in one transaction, audited; refused with the
    reason when later work depends on it. ``user`` None: the command line (whoever holds the
    server's shell administers it)."""
    if user is not None and user.role not in ROLLBACK_ROLES:
        raise NotAllowed(_("your role does not roll back ingested files"))
    reason = reason.strip()
    if not reason:
        raise Refused(_("say why the file is rolled back"), "reason")
    with transaction.atomic():
        locked = IngestBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.rolled_back_at is not None:
            raise NotAllowed(
                _("this file was already rolled back on %(day)s")
                % {"day": date_format(locked.rolled_back_at, "SHORT_DATE_FORMAT")}
            )
        found = impact(locked)
        if found.blocked:
            raise NotAllowed(_("not rolled back: %(why)s") % {"why": found.blocked})
        counts: dict[str, int] = {}
        for _receiver, answer in batch_rolling_back.send(IngestBatch, batch=locked, actor=user):
            counts.update(answer or {})
        counts["inspection results"] = _delete_results(locked)
        counts["declarations"] = _delete(Declaration, "batch_id = %s", locked.pk)
        locked.rolled_back_at, locked.rolled_back_by = timezone.now(), user
        locked.rollback_reason, locked.rollback_counts = reason, counts
        locked.save(
            update_fields=["rolled_back_at", "rolled_back_by", "rollback_reason", "rollback_counts"]
        )
        audit.record(
            f"declarations.{locked.kind}.rolled_back",
            user,
            locked,
            {"file": locked.file_name, "sha256": locked.sha256, "reason": reason, **counts},
        )
    return locked


def _delete_results(batch: IngestBatch) -> int:
    if batch.kind == IngestBatch.Kind.INSPECTIONS:
        return _delete(Inspection, "batch_id = %s", batch.pk)
    declarations = connection.ops.quote_name(Declaration._meta.db_table)
    return _delete(
        Inspection,
        f"declaration_id IN (SELECT id FROM {declarations} WHERE batch_id = %s)",
        batch.pk,
    )


def _delete(model: type[Declaration] | type[Inspection], where: str, pk: int) -> int:
    """One DELETE statement: a file of millions of rows is not loaded into memory first (the
    ORM's delete collects every row to cascade; nothing cascades from what is left here)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", [pk])
        return int(cursor.rowcount)
