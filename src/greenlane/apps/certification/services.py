"""State changes of applications and certificates: checked against the lifecycle, applied
with a conditional UPDATE (no lost update, no double decision), audited, notified."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services as assessments
from greenlane.apps.assessments.models import SelfAssessment
from greenlane.apps.assessments.permissions import EDIT_ROLES
from greenlane.apps.audit import services as audit
from greenlane.apps.certification import documents, notices
from greenlane.apps.certification.models import (
    Application,
    ApplicationEvent,
    Certificate,
    CertificateEvent,
    Finding,
    InformationRequest,
    SelfReview,
    SiteVisit,
    certificate_status_label,
)
from greenlane.apps.operators import services as operators
from greenlane.apps.operators.models import AeoAuthorisation, Operator, supersede
from greenlane.apps.operators.permissions import visible_operators
from greenlane.apps.wording import translated
from greenlane.core import errors
from greenlane.core.certification import lifecycle
from greenlane.core.certification.lifecycle import (
    APPLICATION,
    CERTIFICATE,
    RESUME,
    Actor,
    NotAllowed,
    Stage,
)
from greenlane.core.criteria.engine import assess
from greenlane.core.criteria.schema import Programme, Tier, Version
from greenlane.core.words import Words

__all__ = ["NotAllowed", "Refused"]


def _placeholder() -> str:
    """A unique stand-in number until the row's id gives the real one (fits 30 characters:
    a timestamp and an id once made 31 and PostgreSQL refused the row)."""
    return f"pending-{uuid.uuid4().hex[:20]}"


class Refused(errors.Refused):
    """Input that cannot be accepted (HTTP 400); ``field`` names it (or "": the API's answers
    about certification always carry ``field``)."""

    field: str

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message, field)


def programme() -> Programme:
    return assessments.catalogue().programme(settings.PROGRAMME)


def version_today() -> Version:
    found = programme().version_on(timezone.localdate())
    if found is None:
        raise Refused(
            _("%(programme)s has no version in force today") % {"programme": programme().title}
        )
    return found


def version_of(application: Application) -> Version:
    """The programme version an application was made under (by its name then or now)."""
    found = programme().version_named(application.version)
    if found is None:
        raise Refused(
            _(
                "%(programme)s no longer has the version '%(version)s' this application was "
                "made under: the catalogue must keep it (or name it in 'aliases')"
            )
            % {"programme": programme().title, "version": application.version}
        )
    return found


def service_days(application: Application, now: Any) -> float:
    """Days counted against the service standard so far (events prefetched or queried)."""
    changes = [(e.at, e.to_stage) for e in application.events.all()]
    return lifecycle.service_days(changes, now)


def _tier(version: Version, tier_id: str) -> Tier:
    tier = next((t for t in version.tiers if t.id == tier_id), None)
    if tier is None:
        known = ", ".join(t.id for t in version.tiers)
        raise Refused(
            _("%(version)s has no tier '%(tier)s' (tiers: %(tiers)s)")
            % {"version": version.version, "tier": tier_id, "tiers": known},
            "tier",
        )
    return tier


# --------------------------------------------------------------------------- actors


def actors(user: Any, application: Application) -> frozenset[Actor]:
    """What ``user`` is with respect to ``application``."""
    found: set[Actor] = set()
    role = getattr(user, "role", None)
    if role in EDIT_ROLES and visible_operators(user).filter(pk=application.operator_id).exists():
        found.add(Actor.OPERATOR)
    if role in (Role.DECISION_OFFICER, Role.ADMINISTRATOR):
        found.add(Actor.SUPERVISOR)
    if role == Role.VALIDATOR and application.validator_id == user.pk:
        found.add(Actor.VALIDATOR)
    if role == Role.DECISION_OFFICER and application.validator_id != user.pk:
        found.add(Actor.DECIDER)
    return frozenset(found)


def certificate_actors(user: Any, certificate: Certificate) -> frozenset[Actor]:
    found: set[Actor] = set()
    role = getattr(user, "role", None)
    if role in EDIT_ROLES and visible_operators(user).filter(pk=certificate.operator_id).exists():
        found.add(Actor.OPERATOR)
    if role == Role.DECISION_OFFICER:
        found.add(Actor.DECIDER)
    return frozenset(found)


# --------------------------------------------------------------------------- application


def eligibility(operator: Operator, snapshot: SelfAssessment, tier_id: str) -> dict[str, Any]:
    """Eligibility for a tier today (disqualifiers, years, volumes, MSME variant) and what the
    self-test snapshot says about its criteria. Stored with the application as it is: the
    reasons and open gates are words kept as data (``Words.as_json``), translated when read
    (``shown_eligibility``)."""
    version = version_today()
    _tier(version, tier_id)
    on = timezone.localdate()
    profile = assessments.profile_of(operator, snapshot, on)
    answers = assessments.answers_of(snapshot)
    readiness = assess(assessments.catalogue(), answers, profile, on, [programme().id])
    result = readiness.programme(programme().id)
    tier = next(t for t in result.tiers if t.id == tier_id)
    return {
        "date": on.isoformat(),
        "version": version.version,
        "msme": profile.msme,
        "eligible": not tier.eligibility,
        "reasons": [r.as_json() for r in tier.reasons],
        "reachable": tier.reachable,
        "open_gates": [_stored(g.words) for g in tier.gates if not g.passed],
    }


def _stored(words: Words | str) -> dict[str, Any] | str:
    """Words as data to store; a catalogue's own text as it is."""
    return words.as_json() if isinstance(words, Words) else words


def shown_eligibility(check: dict[str, Any]) -> dict[str, Any]:
    """A stored eligibility check with its reasons and open gates in the active language (the
    words of a check stored before words were kept as data are shown as they are)."""
    return check | {
        "reasons": [translated(r) for r in check.get("reasons", [])],
        "open_gates": [translated(g) for g in check.get("open_gates", [])],
    }


def apply(
    operator: Operator, user: User, tier_id: str, snapshot: SelfAssessment | None
) -> Application:
    """An operator applies for a tier with a submitted self-test; eligibility is checked now."""
    if snapshot is None or snapshot.operator_id != operator.pk or snapshot.is_draft:
        raise Refused(_("choose a submitted self-test snapshot of this company"), "snapshot")
    check = eligibility(operator, snapshot, tier_id)
    if not check["eligible"]:
        reasons = "; ".join(translated(r) for r in check["reasons"])
        raise Refused(_("not eligible: %(reasons)s") % {"reasons": reasons}, "tier")
    now = timezone.now()
    try:
        with transaction.atomic():
            if operator.applications.filter(stage__in=lifecycle.OPEN_STAGES).exists():
                raise Refused(_("this company already has an application in progress"), "tier")
            held = (
                Certificate.objects.filter(
                    operator=operator, programme=programme().id, status__in=["active", "suspended"]
                )
                .order_by("-valid_from")
                .first()
            )
            application = Application.objects.create(
                kind="renewal" if held else "new",
                replaces=held,
                number=_placeholder(),
                operator=operator,
                programme=programme().id,
                version=check["version"],
                tier=tier_id,
                snapshot=snapshot,
                stage=Stage.SUBMITTED,
                eligibility=check,
                submitted_by=user,
                submitted_at=now,
            )
            application.number = f"APP-{now:%Y}-{application.pk:06d}"
            application.save(update_fields=["number"])
            ApplicationEvent.objects.create(
                application=application, transition="submit", to_stage=Stage.SUBMITTED,
                actor=user, at=now,
            )  # fmt: skip
            audit.record(
                "certification.application.submitted",
                user,
                application,
                {"number": application.number, "tier": tier_id, "snapshot": snapshot.pk},
            )
    except IntegrityError:
        raise Refused(_("this company already has an application in progress"), "tier") from None
    return application


def transition(application: Application, user: User, name: str, **data: Any) -> Application:
    """Take transition ``name``; raises NotAllowed (409) or Refused (400). Nothing changes
    unless everything succeeds, and only if nobody changed the application in the meantime."""
    seen_stage, seen_revision = application.stage, application.revision
    step = lifecycle.check(APPLICATION, name, seen_stage, actors(user, application))
    target = application.resume_stage if step.target == RESUME else step.target
    now = timezone.now()
    with transaction.atomic():
        changes = _guard_and_prepare(application, user, name, data, now)
        updated = Application.objects.filter(
            pk=application.pk, stage=seen_stage, revision=seen_revision
        ).update(stage=target, revision=F("revision") + 1, updated_at=now, **changes)
        if updated != 1:
            raise NotAllowed(_("someone else changed this application just now; reload it"))
        application.refresh_from_db()
        _after(application, user, name, data, now)
        ApplicationEvent.objects.create(
            application=application, transition=name, from_stage=seen_stage, to_stage=target,
            actor=user, at=now, note=str(data.get("note") or data.get("reason") or "")[:2000],
        )  # fmt: skip
        audit.record(
            f"certification.application.{name}",
            user,
            application,
            {"from": seen_stage, "to": target, **_plain(data)},
        )
        notices.application_changed(application, name, data)
    return application


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, User):
            out[key] = value.pk
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _text(data: dict[str, Any], key: str, needed: str, too_long: str) -> str:
    """The text ``data[key]``; ``needed`` and ``too_long`` say why it is refused."""
    value = str(data.get(key) or "").strip()
    if not value:
        raise Refused(needed, key)
    if len(value) > 10_000:
        raise Refused(too_long, key)
    return value


def _guard_and_prepare(
    application: Application, user: User, name: str, data: dict[str, Any], now: Any
) -> dict[str, Any]:
    """Checks that depend on data, and the fields the transition sets on the application."""
    if name == "assign":
        validator = data.get("validator")
        if not isinstance(validator, User) or validator.role != Role.VALIDATOR:
            raise Refused(_("choose an AEO validator"), "validator")
        if not validator.is_active:
            raise Refused(_("this validator's account is inactive"), "validator")
        return {"validator": validator}
    if name == "request_information":
        _text(
            data,
            "question",
            _("The question is needed"),
            _("The question: at most 10,000 characters"),
        )
        return {"resume_stage": application.stage}
    if name == "provide_information":
        _text(data, "answer", _("The answer is needed"), _("The answer: at most 10,000 characters"))
        return {"resume_stage": ""}
    if name == "plan_site_visit":
        planned = data.get("planned_on")
        if not isinstance(planned, date):
            raise Refused(_("the date of the visit is needed"), "planned_on")
        _text(
            data,
            "plan",
            _("The validation plan is needed"),
            _("The validation plan: at most 10,000 characters"),
        )
        return {}
    if name == "recommend":
        _check_review_complete(application)
        return {}
    if name in ("approve", "reject"):
        if application.validator_id == user.pk:
            raise NotAllowed(_("the validator of an application cannot decide it (four eyes)"))
        reason = _text(
            data,
            "reason",
            _("The reason for the decision is needed"),
            _("The reason for the decision: at most 10,000 characters"),
        )
        tier = ""
        if name == "approve":
            tier = str(data.get("tier") or application.tier)
            version = version_of(application)
            order = [t.id for t in version.tiers]
            if tier not in order:
                raise Refused(
                    _("no tier '%(tier)s' in %(version)s")
                    % {"tier": tier, "version": application.version},
                    "tier",
                )
        return {
            "decided_by": user,
            "decided_at": now,
            "decided_tier": tier,
            "decision_reason": reason,
        }
    if name == "return_to_validator":
        _text(data, "reason", _("The reason is needed"), _("The reason: at most 10,000 characters"))
        return {}
    if name == "withdraw":
        return {}
    return {}


def _check_review_complete(application: Application) -> None:
    version = version_of(application)
    reviewed = set(application.findings.values_list("criterion", flat=True))
    missing = [c.id for c in version.criteria if c.id not in reviewed]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise Refused(
            ngettext(
                "%(n)d criteria have no finding yet: %(criteria)s",
                "%(n)d criteria have no finding yet: %(criteria)s",
                len(missing),
            )
            % {"n": len(missing), "criteria": shown},
            "findings",
        )
    if application.stage == Stage.SITE_VALIDATION:
        visit = SiteVisit.objects.filter(application=application).first()
        if visit is None or not visit.report.strip() or visit.visited_on is None:
            raise Refused(_("file the on-site validation report first"), "report")


def _after(application: Application, user: User, name: str, data: dict[str, Any], now: Any) -> None:
    """What a transition creates besides the stage change (same transaction)."""
    if name == "assign":
        operators.assign_validator(application.operator, data["validator"], user)
    elif name == "request_information":
        InformationRequest.objects.create(
            application=application, question=data["question"], asked_by=user, asked_at=now
        )
    elif name == "provide_information":
        pending = application.information_requests.filter(answered_at__isnull=True).last()
        if pending is not None:
            pending.answer = data["answer"]
            pending.answered_by = user
            pending.answered_at = now
            pending.save()
    elif name == "plan_site_visit":
        SiteVisit.objects.update_or_create(
            application=application,
            defaults={"planned_on": data["planned_on"], "plan": data["plan"]},
        )
    elif name == "approve":
        _issue_certificate(application, user, now)


def _issue_certificate(application: Application, user: User, now: Any) -> Certificate:
    version = version_of(application)
    tier = _tier(version, application.decided_tier)
    start = timezone.localdate()
    end = lifecycle.validity_end(start, tier.validity_years)
    certificate = Certificate.objects.create(
        number=f"pending-{application.pk}",
        application=application,
        operator=application.operator,
        programme=application.programme,
        tier=tier.id,
        valid_from=start,
        valid_to=end,
        issued_by=user,
        issued_at=now,
    )
    if application.replaces_id is not None:
        old = Certificate.objects.select_for_update().get(pk=application.replaces_id)
        if old.status in ("active", "suspended"):
            Certificate.objects.filter(pk=old.pk).update(
                status="superseded", revision=F("revision") + 1,
                status_reason=f"replaced by the {application.kind} {application.number}",
            )  # fmt: skip
            event = CertificateEvent.objects.create(
                certificate=old, transition="supersede", from_status=old.status,
                to_status="superseded", actor=user, at=now, reason=application.number,
            )  # fmt: skip
            documents.make(old, user, documents.Reason.SUPERSEDED, event)
    # One status per programme at a time: the new certificate's replaces whatever runs on
    # its start (the renewed certificate's, a lower tier's, one recorded from a register).
    supersede(application.operator_id, application.programme, start)
    prefix = application.programme.upper()
    certificate.number = f"{prefix}-{start:%Y}-{certificate.pk:06d}"
    certificate.save(update_fields=["number"])
    rule = version.self_review
    if rule is not None and rule.applies_to(tier.id):
        if rule.every_months is not None:
            schedule = lifecycle.review_schedule(
                start, end, rule.every_months, rule.due_day_of_next_month,
                rule.opens_days_before,
            )  # fmt: skip
        else:
            schedule = lifecycle.window_schedule(
                start, end, str(rule.window_opens), str(rule.window_due)
            )
        SelfReview.objects.bulk_create(
            SelfReview(certificate=certificate, period=k, opens_on=opens, due_on=due)
            for k, (opens, due) in enumerate(schedule, start=1)
        )
    AeoAuthorisation.objects.create(
        operator=application.operator,
        programme=application.programme,
        tier=tier.id,
        valid_from=start,
        valid_to=end,
        certificate=certificate,
    )
    audit.record(
        "certification.certificate.issued",
        user,
        certificate,
        {"number": certificate.number, "tier": tier.id, "valid_to": str(end or "")},
    )
    documents.make(certificate, user, documents.ISSUE_REASONS[application.kind])
    return certificate


def record_finding(application: Application, user: User, data: dict[str, Any]) -> Finding:
    """The assigned validator's finding on one criterion at the current stage."""
    if Actor.VALIDATOR not in actors(user, application):
        raise NotAllowed(_("only the validator assigned to this application records findings"))
    if application.stage not in (Stage.DOCUMENT_REVIEW, Stage.SITE_VALIDATION):
        raise NotAllowed(_("findings are recorded during document review or on-site validation"))
    version = version_of(application)
    criterion = str(data.get("criterion", ""))
    if criterion not in {c.id for c in version.criteria}:
        raise Refused(
            _("no criterion '%(criterion)s' in %(version)s")
            % {"criterion": criterion, "version": application.version},
            "criterion",
        )
    result = data.get("result")
    if result not in Finding.Result.values:
        raise Refused(_("choose a result"), "result")
    severity = data.get("severity") or Finding.Severity.NONE
    if severity not in Finding.Severity.values:
        raise Refused(_("choose a severity"), "severity")
    if result in (Finding.Result.PARTLY, Finding.Result.NON_COMPLIANT) and severity == "none":
        raise Refused(_("a finding that is not compliant needs a severity"), "severity")
    action = str(data.get("corrective_action") or "").strip()
    deadline = data.get("deadline")
    if action and not isinstance(deadline, date):
        raise Refused(_("a corrective action needs a deadline"), "deadline")
    with transaction.atomic():
        finding, created = Finding.objects.update_or_create(
            application=application,
            criterion=criterion,
            stage=application.stage,
            defaults={
                "result": result, "severity": severity,
                "note": str(data.get("note") or "")[:10_000], "corrective_action": action,
                "deadline": deadline if action else None, "recorded_by": user,
            },
        )  # fmt: skip
        audit.record(
            "certification.finding.recorded",
            user,
            application,
            {"criterion": criterion, "stage": application.stage, "result": result,
             "severity": severity, "created": created},
        )  # fmt: skip
    return finding


def file_site_report(
    application: Application, user: User, visited_on: Any, report: str
) -> SiteVisit:
    if Actor.VALIDATOR not in actors(user, application):
        raise NotAllowed(_("only the validator assigned to this application files the report"))
    if application.stage != Stage.SITE_VALIDATION:
        raise NotAllowed(_("the report is filed during the on-site validation"))
    if not isinstance(visited_on, date):
        raise Refused(_("the date of the visit is needed"), "visited_on")
    if visited_on > timezone.localdate():
        raise Refused(_("the visit cannot be in the future"), "visited_on")
    if not report.strip():
        raise Refused(_("the report is empty"), "report")
    with transaction.atomic():
        visit = SiteVisit.objects.select_for_update().get(application=application)
        visit.visited_on = visited_on
        visit.report = report[:50_000]
        visit.save()
        audit.record(
            "certification.site_visit.reported", user, application, {"visited_on": str(visited_on)}
        )
    return visit


def close_finding(finding: Finding, user: User, note: str) -> Finding:
    """The validator confirms a corrective action was carried out, with the evidence seen."""
    if Actor.VALIDATOR not in actors(user, finding.application):
        raise NotAllowed(_("only the assigned validator closes a corrective action"))
    if not finding.corrective_action:
        raise NotAllowed(_("this finding has no corrective action to close"))
    if finding.closed_at is not None:
        raise NotAllowed(_("this corrective action is already closed"))
    if not note.strip():
        raise Refused(_("say what evidence shows the action was carried out"), "closure_note")
    with transaction.atomic():
        updated = Finding.objects.filter(pk=finding.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closure_note=note[:10_000]
        )
        if updated != 1:
            raise NotAllowed(_("this corrective action is already closed"))
        audit.record(
            "certification.finding.closed",
            user,
            finding.application,
            {"criterion": finding.criterion},
        )
    finding.refresh_from_db()
    return finding


# --------------------------------------------------------------------------- certificates


def certificate_transition(
    certificate: Certificate, user: User, name: str, reason: str = "", until: date | None = None
) -> Certificate:
    seen_status, seen_revision = certificate.status, certificate.revision
    step = lifecycle.check(CERTIFICATE, name, seen_status, certificate_actors(user, certificate))
    if name in ("suspend", "revoke", "surrender") and not reason.strip():
        raise Refused(_("the reason is needed"), "reason")
    if name == "suspend" and until is not None and until <= timezone.localdate():
        raise Refused(_("the suspension must end after today"), "until")
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        updated = Certificate.objects.filter(
            pk=certificate.pk, status=seen_status, revision=seen_revision
        ).update(
            status=step.target,
            revision=F("revision") + 1,
            status_reason=reason[:2000],
            suspended_until=until if name == "suspend" else None,
        )
        if updated != 1:
            raise NotAllowed(_("someone else changed this certificate just now; reload it"))
        if name in ("revoke", "surrender"):
            AeoAuthorisation.objects.filter(certificate=certificate).update(valid_to=today)
        event = CertificateEvent.objects.create(
            certificate=certificate, transition=name, from_status=seen_status,
            to_status=step.target, actor=user, at=now, reason=reason[:2000],
        )  # fmt: skip
        audit.record(
            f"certification.certificate.{name}",
            user,
            certificate,
            {"from": seen_status, "to": step.target, "reason": reason,
             "until": until.isoformat() if until else None},
        )  # fmt: skip
        documents.make(certificate, user, documents.TRANSITION_REASONS[name], event)
        certificate.refresh_from_db()
        notices.certificate_changed(certificate, name, reason)
    return certificate


def set_public_consent(certificate: Certificate, user: User, consent: bool) -> Certificate:
    """The holder decides whether its certificate appears in the public register."""
    if Actor.OPERATOR not in certificate_actors(user, certificate):
        raise NotAllowed(_("only the holder decides about the public register"))
    with transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(public_consent=consent)
        audit.record(
            "certification.certificate.public_consent", user, certificate, {"consent": consent}
        )
    certificate.refresh_from_db()
    return certificate


def _certificate_is(certificate: Certificate) -> str:
    """Why a certificate no longer in force refuses the step."""
    return _("the certificate is %(status)s") % {
        "status": certificate_status_label(certificate.status)
    }


def submit_self_review(
    review: SelfReview, user: User, snapshot: SelfAssessment | None
) -> SelfReview:
    """The holder hands in its periodic self-review: a self-test submitted in the window."""
    certificate = review.certificate
    if Actor.OPERATOR not in certificate_actors(user, certificate):
        raise NotAllowed(_("only the holder hands in its self-review"))
    if certificate.status not in ("active", "suspended"):
        raise NotAllowed(_certificate_is(certificate))
    today = timezone.localdate()
    if today < review.opens_on:
        raise NotAllowed(
            _("this review opens on %(day)s")
            % {"day": date_format(review.opens_on, "SHORT_DATE_FORMAT")}
        )
    if (
        snapshot is None
        or snapshot.operator_id != certificate.operator_id
        or snapshot.is_draft
        or snapshot.submitted_at is None
        or timezone.localdate(snapshot.submitted_at) < review.opens_on
    ):
        raise Refused(
            _("choose a self-test snapshot submitted since %(day)s")
            % {"day": date_format(review.opens_on, "SHORT_DATE_FORMAT")},
            "snapshot",
        )
    with transaction.atomic():
        updated = SelfReview.objects.filter(pk=review.pk, submitted_at__isnull=True).update(
            snapshot=snapshot, submitted_at=timezone.now(), submitted_by=user
        )
        if updated != 1:
            raise NotAllowed(_("this review has already been handed in"))
        audit.record(
            "certification.self_review.submitted",
            user,
            certificate,
            {"period": review.period, "snapshot": snapshot.pk, "late": today > review.due_on},
        )
    review.refresh_from_db()
    return review


def open_reassessment(certificate: Certificate, user: User, reason: str) -> Application:
    """Customs reassesses a certified operator (new information, monitoring results, a change
    in the law): an application reviewed like a first one, on the latest self-test."""
    if Actor.DECIDER not in certificate_actors(user, certificate):
        raise NotAllowed(_("reassessments are opened by decision officers"))
    if certificate.status not in ("active", "suspended"):
        raise NotAllowed(_certificate_is(certificate))
    if not reason.strip():
        raise Refused(_("the reason is needed"), "reason")
    snapshot = assessments.latest_snapshot(certificate.operator)
    if snapshot is None:
        raise Refused(_("the company has no submitted self-test to reassess against"))
    version = version_today()
    now = timezone.now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                number=_placeholder(),
                operator=certificate.operator,
                programme=certificate.programme, version=version.version, tier=certificate.tier,
                snapshot=snapshot, stage=Stage.SUBMITTED, kind="reassessment",
                replaces=certificate,
                eligibility={"eligible": True, "reasons": [], "open_gates": [],
                             "reassessment": reason[:2000]},
                submitted_by=user, submitted_at=now,
            )  # fmt: skip
            application.number = f"REA-{now:%Y}-{application.pk:06d}"
            application.save(update_fields=["number"])
            ApplicationEvent.objects.create(
                application=application, transition="reassess", to_stage=Stage.SUBMITTED,
                actor=user, at=now, note=reason[:2000],
            )  # fmt: skip
            audit.record(
                "certification.reassessment.opened", user, certificate,
                {"application": application.number, "reason": reason},
            )  # fmt: skip
    except IntegrityError:
        raise NotAllowed(_("the company already has an application in progress")) from None
    return application
