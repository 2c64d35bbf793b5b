"""What needs an officer's attention: open applications, overdue ones, late corrective actions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification.models import (
    Application,
    Certificate,
    Finding,
    InformationRequest,
    SelfReview,
)
from greenlane.apps.certification.services import service_days
from greenlane.core.certification.lifecycle import OPEN_STAGES, Stage


@dataclass(frozen=True)
class Attention:
    application: Application
    days: float
    why: str


def my_open_applications(user: Any) -> list[Application]:
    """A validator's assigned files; a decision officer's decisions and unassigned files."""
    open_ = (
        Application.objects.filter(stage__in=OPEN_STAGES)
        .select_related("operator")
        .prefetch_related("events")
    )
    if user.role == Role.VALIDATOR:
        return list(open_.filter(validator=user))
    if user.role == Role.DECISION_OFFICER:
        return list(open_.filter(stage__in=[Stage.AWAITING_DECISION, Stage.SUBMITTED]))
    return list(open_)


def attention(user: Any) -> list[Attention]:
    now = timezone.now()
    today = timezone.localdate()
    out = []
    mine = my_open_applications(user)
    late_actions = Counter(
        Finding.objects.filter(application__in=mine, closed_at__isnull=True, deadline__lt=today)
        .exclude(corrective_action="")
        .values_list("application_id", flat=True)
    )
    for application in mine:
        days = service_days(application, now)
        reasons = []
        if days > settings.SERVICE_STANDARD_DAYS:
            reasons.append(
                _("over the %(days)s-day standard") % {"days": settings.SERVICE_STANDARD_DAYS}
            )
        late = late_actions[application.pk]
        if late:
            reasons.append(
                ngettext(
                    "%(n)d corrective action(s) past the deadline",
                    "%(n)d corrective action(s) past the deadline",
                    late,
                )
                % {"n": late}
            )
        if application.stage == Stage.AWAITING_DECISION:
            reasons.append(_("waits for a decision"))
        if application.stage == Stage.SUBMITTED:
            reasons.append(_("no validator yet"))
        if application.stage == Stage.INFORMATION_REQUESTED:
            reasons.append(_("waits for the company's answer (clock stopped)"))
        fallback = application.stage.replace("_", " ")
        out.append(Attention(application, days, "; ".join(reasons) or fallback))
    return sorted(out, key=lambda a: -a.days)


def questions_open(operators: Any) -> list[InformationRequest]:
    """Customs' requests for information on these operators' applications that wait for the
    company's answer, oldest first: the application's clock is stopped until it answers."""
    return list(
        InformationRequest.objects.filter(
            application__operator__in=operators,
            application__stage=Stage.INFORMATION_REQUESTED,
            answered_at__isnull=True,
        )
        .select_related("application__operator")
        .order_by("asked_at", "pk")
    )


def overdue_reviews(user: Any) -> list[SelfReview]:
    """Self-reviews past their due date on certificates in force: a validator sees those of
    the operators assigned to them, decision officers and administrators all."""
    today = timezone.localdate()
    found = SelfReview.objects.filter(
        submitted_at__isnull=True, due_on__lt=today, certificate__status__in=["active", "suspended"]
    ).select_related("certificate__operator")
    if user.role == Role.VALIDATOR:
        found = found.filter(
            certificate__operator__validator_assignments__validator=user,
            certificate__operator__validator_assignments__ended_at__isnull=True,
        )
    return list(found.order_by("due_on")[:200])


def renewals_due(days: int = 180) -> list[Certificate]:
    """Certificates ending within ``days`` whose holder has no renewal under way."""
    today = timezone.localdate()
    pending = Application.objects.filter(stage__in=OPEN_STAGES, replaces__isnull=False).values(
        "replaces_id"
    )
    return list(
        Certificate.objects.filter(
            status__in=["active", "suspended"],
            valid_to__isnull=False,
            valid_to__lte=today + timedelta(days=days),
        )
        .exclude(pk__in=pending)
        .select_related("operator")
        .order_by("valid_to")[:200]
    )
