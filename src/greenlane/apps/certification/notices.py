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
    told: list[tuple[Kind, list[User], str, str]] = []
    if name == "assign":
        told += [
            (Kind.ASSIGNED, validator, f"Application {number} is assigned to you", ""),
            (Kind.ASSIGNED, company, f"Your application {number} is under review", ""),
        ]
    elif name == "request_information":
        title = f"Customs asks for information on application {number}"
        told.append((Kind.INFORMATION_REQUESTED, company, title, str(data.get("question", ""))))
    elif name == "provide_information":
        title = f"The company answered on application {number}"
        told.append((Kind.ANSWER_RECEIVED, validator, title, str(data.get("answer", ""))))
    elif name == "plan_site_visit":
        planned = data.get("planned_on")
        when = f" on {planned:%d %B %Y}" if isinstance(planned, date) else ""
        title = f"An on-site validation of application {number} is planned{when}"
        told.append((Kind.SITE_VISIT, company, title, ""))
    elif name == "recommend":
        officers = [u for u in decision_officers() if u.pk != application.validator_id]
        title = f"Application {number} waits for a decision"
        told.append((Kind.RECOMMENDATION, officers, title, ""))
    elif name in ("approve", "reject"):
        outcome = "approved: a certificate is issued" if name == "approve" else "rejected"
        title = f"Application {number} is {outcome}"
        body = str(data.get("reason", ""))
        told.append((Kind.DECISION, company + validator, title, body))
    elif name == "return_to_validator":
        title = f"Application {number} is returned to you"
        told.append((Kind.DECISION, validator, title, str(data.get("reason", ""))))
    elif name == "withdraw":
        told.append((Kind.DECISION, validator, f"Application {number} is withdrawn", ""))
    link = reverse("application_detail", args=[application.pk])
    for kind, people, title, body in told:
        notify(kind, people, title=title, body=body, link=link, about=application,
               may_see=_sees_application(application))  # fmt: skip


_CERTIFICATE_NEWS = {
    "suspend": "is suspended",
    "revoke": "is revoked",
    "surrender": "is surrendered",
    "reinstate": "is in force again",
}


def certificate_changed(certificate: Certificate, name: str, reason: str) -> None:
    """In the transaction of certificate transition ``name``."""
    news = _CERTIFICATE_NEWS.get(name, f"changed ({name})")
    notify(
        Kind.CERTIFICATE_CHANGED,
        holders(certificate.operator) + validators(certificate.operator),
        title=f"Certificate {certificate.number} {news}",
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
            title=f"Certificate {certificate.number} ends on {certificate.valid_to:%d %B %Y}"
            f" ({left} day(s) left)",
            body="Apply for its renewal in time to keep the benefits without a gap.",
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
            title=f"The self-review {review.period} of certificate {certificate.number} "
            + ("was due on" if late else "is due by")
            + f" {review.due_on:%d %B %Y}",
            link=reverse("certificate_detail", args=[certificate.pk]),
            about=certificate,
            may_see=_sees_certificate(certificate),
            key=f"review-{'overdue' if late else 'due'}:{review.pk}",
        )
    return made
