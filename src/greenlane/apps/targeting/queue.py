"""The inspection queue and the scores list as an officer works them: filtered, assigned,
exported.

One ``Filter`` serves both lists (and their exports, which give exactly what the filter
shows). Assignment hands declarations waiting for a check to an inspection officer of the
assigner's own organisation, audited per change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit import services as audit
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting.models import ChannelDecision, ModelVersion, Score
from greenlane.apps.wording import all_translated
from greenlane.core.errors import NotAllowed, Refused

CHECKS = ("red", "yellow")
#: Who may hand a declaration to an officer, and who may be handed one.
ASSIGNERS = frozenset({Role.INSPECTION_OFFICER, Role.RISK_ANALYST, Role.ADMINISTRATOR})
ASSIGNEES = frozenset({Role.INSPECTION_OFFICER})
#: Rows an export gives at most (a spreadsheet holds 1,048,576; a filter narrows it).
EXPORT_ROWS = 100_000


@dataclass(frozen=True)
class Filter:
    """What a list shows; an empty field filters nothing."""

    office: str = ""
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""  # red or yellow (queue only)
    hs: str = ""  # the start of the HS code: "84", "8471", "847130"
    importer: str = ""
    score_min: float | None = None
    score_max: float | None = None
    assignee: str = ""  # queue only: "me", "none" or a username

    def declarations(self, field: str) -> dict[str, Any]:
        """Conditions on the declaration's own fields, reached through ``field``."""
        out: dict[str, Any] = {}
        if self.office:
            out[f"{field}office_code"] = self.office
        if self.date_from:
            out[f"{field}declaration_date__gte"] = self.date_from
        if self.date_to:
            out[f"{field}declaration_date__lte"] = self.date_to
        if self.importer:
            out[f"{field}importer_code"] = self.importer
        return out


def waiting(chosen: Filter, user: User | None) -> QuerySet[ChannelDecision]:
    """Declarations sent to a check that still wait for a result, oldest first; ``user``
    is who "me" is (None: the command line, where there is no "me")."""
    # The flag the database keeps (apps/targeting/waiting.py), read through a partial index
    # of the waiting decisions only, not every check decided over the years.
    out = ChannelDecision.objects.filter(
        waiting=True,
        channel__in=[chosen.channel] if chosen.channel in CHECKS else CHECKS,
        **chosen.declarations(""),
    ).select_related("assigned_to")
    if chosen.hs:  # per waiting decision, through the unique number (hs6 has no index)
        goods = Declaration.objects.filter(number=OuterRef("number"), hs6__startswith=chosen.hs)
        out = out.filter(Exists(goods))
    if chosen.score_min is not None:
        out = out.filter(score__gte=chosen.score_min)
    if chosen.score_max is not None:
        out = out.filter(score__lte=chosen.score_max)
    if chosen.assignee == "me":
        if user is None:
            raise Refused(_("'me' needs a person signed in; name the officer instead"), "assignee")
        out = out.filter(assigned_to=user)
    elif chosen.assignee == "none":
        out = out.filter(assigned_to__isnull=True)
    elif chosen.assignee:
        out = out.filter(assigned_to__username=chosen.assignee)
    return out.order_by("declaration_date", "decided_at", "id")


def scores(chosen: Filter, version: ModelVersion) -> QuerySet[Score]:
    """The scores of ``version`` the filter keeps, highest first."""
    out = Score.objects.filter(model_version=version, **chosen.declarations("declaration__"))
    if chosen.hs:
        out = out.filter(declaration__hs6__startswith=chosen.hs)
    if chosen.score_min is not None:
        out = out.filter(probability__gte=chosen.score_min)
    if chosen.score_max is not None:
        out = out.filter(probability__lte=chosen.score_max)
    return out.select_related("declaration").order_by("-probability", "id")


def officers(user: User) -> QuerySet[User]:
    """Who ``user`` may hand a declaration to: active inspection officers of their
    organisation."""
    return User.objects.filter(
        organisation=user.organisation, role__in=ASSIGNEES, is_active=True
    ).order_by("username")


def assign(decisions: Iterable[int], to: User | None, by: User) -> int:
    """Hand the waiting ``decisions`` (ids) to ``to`` (None: back to nobody); returns how many
    changed. Refused for one no longer waiting or an officer of another organisation."""
    if by.role not in ASSIGNERS:
        raise NotAllowed(_("your role does not assign inspections"))
    if to is not None and not officers(by).filter(pk=to.pk).exists():
        raise Refused(
            _("%(name)s is not an active inspection officer of your organisation")
            % {"name": to.username},
            "to",
        )
    wanted = sorted(set(decisions))
    if not wanted:
        raise Refused(_("choose at least one declaration"), "decisions")
    with transaction.atomic():
        found = list(waiting(Filter(), by).filter(pk__in=wanted).select_for_update(of=("self",)))
        if len(found) != len(wanted):
            raise Refused(
                _("some of these declarations no longer wait for a check: reload the queue"),
                "decisions",
            )
        changed = [d for d in found if d.assigned_to_id != (to.pk if to else None)]
        now = timezone.now()
        for item in changed:
            before = item.assigned_to.username if item.assigned_to else None
            item.assigned_to, item.assigned_at = to, now if to else None
            item.save(update_fields=["assigned_to", "assigned_at"])
            audit.record(
                "targeting.inspection.assigned",
                by,
                item,
                {"number": item.number, "before": before, "after": to.username if to else None},
            )
    return len(changed)


QUEUE_HEADER = (
    "Declaration", "Declaration date", "Office", "Importer", "Channel", "Score",
    "Revenue at stake", "Assigned to", "Why",
)  # fmt: skip
SCORE_HEADER = (
    "Declaration", "Declaration date", "Office", "Importer", "HS code", "Origin",
    "Probability", "Revenue at stake", "Model version",
)  # fmt: skip


def queue_rows(decisions: QuerySet[ChannelDecision]) -> Iterator[tuple[Any, ...]]:
    for d in decisions[:EXPORT_ROWS].iterator(chunk_size=2_000):
        yield (
            d.number, d.declaration_date, d.office_code, d.importer_code, d.channel,
            round(d.score, 4), round(d.revenue_at_stake, 2),
            d.assigned_to.username if d.assigned_to else "", "; ".join(all_translated(d.reasons)),
        )  # fmt: skip


def score_rows(items: QuerySet[Score]) -> Iterator[tuple[Any, ...]]:
    for s in items.select_related("model_version")[:EXPORT_ROWS].iterator(chunk_size=2_000):
        d = s.declaration
        yield (
            d.number, d.declaration_date, d.office_code, d.importer_code, d.hs6,
            d.origin_country, round(s.probability, 4), s.revenue_at_stake,
            s.model_version.version,
        )  # fmt: skip
