"""Who is told what about applications and certificates (issue 18, point 4).

The company's side is told what asks it to act (customs asks for information, a site visit is
planned, a self-review is due) and the outcomes (decision, suspension, revocation, expiry);
customs staff are told what waits for them (an assignment, an answer, a recommendation). Each
notice goes only to people who may open the page it links to, checked person by person.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from greenlane import jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification.models import Application, Certificate, SelfReview
from greenlane.apps.certification.permissions import visible_applications, visible_certificates
from greenlane.apps.notices import sweeps
from greenlane.apps.notices.models import Kind
from greenlane.apps.notices.services import notify
from greenlane.apps.operators.models import Operator, ValidatorAssignment
from greenlane.core.words import Day, Words, _, ngettext

#: Days before a certificate's end at which its holder and validators are reminded.
EXPIRY_REMINDERS = (90, 30, 7)


def holders(operator: Operator) -> list[User]:
    """The company's people and those of the consultancies it lets act for it."""
    consultancies = operator.consultant_access.filter(revoked_at__isnull=True).values(
        "consultancy_id"
    )
    return list(
        User.objects.filter(is_active=True).filter(
            Q(role=Role.TRADER, organisation_id=operator.organisation_id)
            | Q(role=Role.CONSULTANT, organisation_id__in=consultancies)
        )
        if operator.organisation_id
        else User.objects.filter(
            is_active=True, role=Role.CONSULTANT, organisation_id__in=consultancies
        )
    )


def validators(operator: Operator) -> list[User]:
    """The validators assigned to the operator's file now."""
    return [
        a.validator
        for a in ValidatorAssignment.objects.filter(
            operator=operator, ended_at__isnull=True
        ).select_related("validator")
    ]


def decision_officers() -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.DECISION_OFFICER))


def _sees_application(application: Application) -> Any:
    return lambda user: visible_applications(user).filter(pk=application.pk).exists()


def _sees_certificate(certificate: Certificate) -> Any:
    return lambda user: visible_certificates(user).filter(pk=certificate.pk).exists()


def application_changed(application: Application, name: str, data: dict[str, Any]) -> None:
    """In the transaction of transition ``name``."""
    number = application.number
    company = holders(application.operator)
    validator = [application.validator] if application.validator_id else []
    told: list[tuple[Kind, list[User], Words, str]] = []
    if name == "assign":
        assigned = _("Application %(number)s is assigned to you", number=number)
        reviewed = _("Your application %(number)s is under review", number=number)
        told += [(Kind.ASSIGNED, validator, assigned, ""), (Kind.ASSIGNED, company, reviewed, "")]
    elif name == "request_information":
        title = _("Customs asks for information on application %(number)s", number=number)
        told.append((Kind.INFORMATION_REQUESTED, company, title, str(data.get("question", ""))))
    elif name == "provide_information":
        title = _("The company answered on application %(number)s", number=number)
        told.append((Kind.ANSWER_RECEIVED, validator, title, str(data.get("answer", ""))))
    elif name == "plan_site_visit":
        planned = data.get("planned_on")
        if isinstance(planned, date):
            title = _(
                "An on-site validation of application %(number)s is planned on %(day)s",
                number=number, day=Day(planned),
            )  # fmt: skip
        else:
            title = _("An on-site validation of application %(number)s is planned", number=number)
        told.append((Kind.SITE_VISIT, company, title, ""))
    elif name == "recommend":
        officers = [u for u in decision_officers() if u.pk != application.validator_id]
        title = _("Application %(number)s waits for a decision", number=number)
        told.append((Kind.RECOMMENDATION, officers, title, ""))
    elif name in ("approve", "reject"):
        if name == "approve":
            title = _("Application %(number)s is approved: a certificate is issued", number=number)
        else:
            title = _("Application %(number)s is rejected", number=number)
        body = str(data.get("reason", ""))
        told.append((Kind.DECISION, company + validator, title, body))
    elif name == "return_to_validator":
        title = _("Application %(number)s is returned to you", number=number)
        told.append((Kind.DECISION, validator, title, str(data.get("reason", ""))))
    elif name == "withdraw":
        title = _("Application %(number)s is withdrawn", number=number)
        told.append((Kind.DECISION, validator, title, ""))
    link = reverse("application_detail", args=[application.pk])
    for kind, people, title, body in told:
        notify(kind, people, title=title, body=body, link=link, about=application,
               may_see=_sees_application(application))  # fmt: skip


#: What a certificate's holder and validators are told, by transition (whole sentences).
_CERTIFICATE_NEWS = {
    "suspend": _("Certificate %(number)s is suspended"),
    "revoke": _("Certificate %(number)s is revoked"),
    "surrender": _("Certificate %(number)s is surrendered"),
    "reinstate": _("Certificate %(number)s is in force again"),
}


def certificate_changed(certificate: Certificate, name: str, reason: str) -> None:
    """In the transaction of certificate transition ``name``."""
    news = _CERTIFICATE_NEWS.get(name)
    if news is None:
        title = _(
            "Certificate %(number)s changed (%(transition)s)",
            number=certificate.number, transition=name,
        )  # fmt: skip
    else:
        title = Words(news.message, {"number": certificate.number})
    notify(
        Kind.CERTIFICATE_CHANGED,
        holders(certificate.operator) + validators(certificate.operator),
        title=title,
        body=reason,
        link=reverse("certificate_detail", args=[certificate.pk]),
        about=certificate,
        may_see=_sees_certificate(certificate),
    )


@jobs.periodic("reminders", setting="REMINDERS", on="daily")
def remind_once(day: date) -> int | None:
    """The worker asks every ten minutes; the day's reminders are made once."""
    if not sweeps.first_today("certification.reminders", day):
        return None
    with transaction.atomic():
        return remind(day)


def remind(day: date) -> int:
    """The day's reminders: certificates that end soon, self-reviews due and overdue. Each
    is made once per person (its key), however often this runs."""
    made = 0
    soon = day + timedelta(days=max(EXPIRY_REMINDERS))
    ending = Certificate.objects.filter(
        status__in=["active", "suspended"], valid_to__isnull=False, valid_to__gte=day,
        valid_to__lte=soon,
    ).select_related("operator")  # fmt: skip
    for certificate in ending:
        assert certificate.valid_to is not None
        left = (certificate.valid_to - day).days
        step = min(d for d in EXPIRY_REMINDERS if d >= left)
        made += notify(
            Kind.CERTIFICATE_EXPIRING,
            holders(certificate.operator) + validators(certificate.operator),
            title=ngettext(
                "Certificate %(number)s ends on %(day)s (%(count)s day left)",
                "Certificate %(number)s ends on %(day)s (%(count)s days left)",
                left,
                number=certificate.number,
                day=Day(certificate.valid_to),
            ),
            body=_("Apply for its renewal in time to keep the benefits without a gap."),
            link=reverse("certificate_detail", args=[certificate.pk]),
            about=certificate,
            may_see=_sees_certificate(certificate),
            key=f"expiring:{certificate.pk}:{certificate.valid_to}:{step}",
        )
    reviews = SelfReview.objects.filter(
        submitted_at__isnull=True, opens_on__lte=day,
        certificate__status__in=["active", "suspended"],
    ).select_related("certificate__operator")  # fmt: skip
    for review in reviews:
        certificate = review.certificate
        late = review.due_on < day
        people = holders(certificate.operator)
        if late:
            people += validators(certificate.operator)
        made += notify(
            Kind.SELF_REVIEW_OVERDUE if late else Kind.SELF_REVIEW_DUE,
            people,
            title=_(
                "The self-review %(period)s of certificate %(number)s was due on %(day)s",
                period=review.period,
                number=certificate.number,
                day=Day(review.due_on),
            )
            if late
            else _(
                "The self-review %(period)s of certificate %(number)s is due by %(day)s",
                period=review.period,
                number=certificate.number,
                day=Day(review.due_on),
            ),
            link=reverse("certificate_detail", args=[certificate.pk]),
            about=certificate,
            may_see=_sees_certificate(certificate),
            key=f"review-{'overdue' if late else 'due'}:{review.pk}",
        )
    return made
