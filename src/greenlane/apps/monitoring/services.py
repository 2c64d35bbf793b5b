"""Monitoring runs (indicators, rules, alerts) and the handling of alerts; all audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane import analytics, jobs
from greenlane.apps.accounts.models import User
from greenlane.apps.audit import services as audit
from greenlane.apps.certification import notices
from greenlane.apps.certification import services as certification
from greenlane.apps.certification.models import Certificate, SelfReview
from greenlane.apps.declarations.models import Declaration, Inspection
from greenlane.apps.monitoring.models import Alert, Indicator, Run
from greenlane.apps.monitoring.permissions import QUEUE_ROLES
from greenlane.apps.notices.models import Kind
from greenlane.apps.notices.services import notify
from greenlane.apps.operators.models import AeoAuthorisation, Operator, valid_on
from greenlane.core import errors
from greenlane.core.monitoring import indicators, rules
from greenlane.core.words import Words, gettext_noop, stored

WINDOWS = (90, 365)
Step = Callable[[str, float], None]


class Refused(errors.Refused):
    """The change cannot be made; the message says why."""


def _already_handled(alert: Alert) -> Refused:
    """The refusal to handle an alert that was dismissed or led to a reassessment."""
    if alert.status == Alert.Status.DISMISSED:
        return Refused(_("the alert is already dismissed"))
    return Refused(_("the alert has already led to a reassessment"))


def _tables(backend: Any) -> tuple[Any, Any, Any]:
    return (
        backend.table(Declaration._meta.db_table),
        backend.table(Inspection._meta.db_table),
        backend.table(Operator._meta.db_table),
    )


def certified(as_of: date) -> dict[str, Operator]:
    """Operators holding an AEO authorisation in force on ``as_of``, by code."""
    ids = AeoAuthorisation.objects.filter(valid_on(as_of)).values("operator_id")
    return {op.code: op for op in Operator.objects.filter(pk__in=ids)}


def _certificates(as_of: date, codes: set[str]) -> list[dict[str, Any]]:
    out = []
    found = Certificate.objects.filter(
        status__in=["active", "suspended"], valid_to__isnull=False, operator__code__in=codes
    ).select_related("operator")
    for c in found:
        overdue = (
            SelfReview.objects.filter(certificate=c, submitted_at__isnull=True, due_on__lt=as_of)
            .order_by("due_on")
            .values_list("due_on", flat=True)
            .first()
        )
        out.append(
            {
                "operator": c.operator.code,
                "number": c.number,
                "valid_to": c.valid_to,
                "overdue_since": overdue,
            }
        )
    return out


def request_run(as_of: date, user: User | None) -> Run:
    """Queue a monitoring run as of ``as_of``: the run, its audit event and its task commit
    together (``jobs.submit``)."""
    with jobs.atomic():
        record = Run.objects.create(as_of=as_of, requested_by=user)
        audit.record("monitoring.run.queued", user, record, {"as_of": as_of.isoformat()})
        jobs.submit(run_monitoring, record)
    return record


@jobs.periodic("monitoring", setting="MONITORING_SCHEDULE", on="daily")
def schedule_due(day: date) -> Run | None:
    """Queue the day's scheduled run unless one exists (several workers may ask at once: the
    database lets one of them create it). A run that could not be queued is not kept, so the
    next try queues it."""
    try:
        with jobs.atomic():
            record = Run.objects.create(as_of=day, scheduled=True)
            audit.record("monitoring.run.scheduled", None, record, {"as_of": day.isoformat()})
            jobs.submit(run_monitoring, record)
    except IntegrityError:
        return None
    return record


def run_now(as_of: date, step: Step | None = None) -> Run:
    """Run the monitoring as of ``as_of`` in this process (``greenlane monitor``), not queued:
    a run that fails is marked failed (with the reason of a ``RulesError``) and the error
    raised again."""
    record = Run.objects.create(as_of=as_of, status=Run.Status.RUNNING)
    try:
        return execute(record, step)
    except rules.RulesError as exc:
        _stopped(record, str(exc))  # the rules file: for whoever maintains it, in English
        raise
    except Exception:
        _stopped(record, gettext_noop("interrupted"))
        raise


def _stopped(record: Run, message: str | Words) -> None:
    with transaction.atomic():
        Run.objects.filter(pk=record.pk).update(
            status=Run.Status.FAILED, message=stored(message), finished_at=timezone.now()
        )
        audit.record("monitoring.run.failed", None, record, {"message": str(message)})


def execute(record: Run, step: Step | None = None) -> Run:
    """Compute indicators and alerts for ``record.as_of`` and store them in one transaction.

    The indicators are computed by the database itself through Ibis (it reads committed
    data); only their results come back to be stored."""
    say = step or (lambda _text, _share: None)
    as_of = record.as_of
    version = rules.shipped().on(as_of)
    holders = certified(as_of)
    windows = sorted(
        {*WINDOWS, *(r.window_days for r in version.rules if hasattr(r, "window_days"))}
    )
    backend = analytics.app_backend()
    computed: dict[int, list[dict[str, Any]]] = {}
    findings: dict[int, list[dict[str, Any]]] = {}
    try:
        declarations, inspections, operators = _tables(backend)
        for n, days in enumerate(windows):
            say(gettext_noop("indicators over %(days)s days", days=days), n / (len(windows) + 1))
            computed[days] = indicators.compute(
                backend, declarations, inspections, operators, as_of, days
            )
        for rule in version.rules:
            if isinstance(rule, rules.CriticalFinding):
                findings[rule.window_days] = indicators.critical_findings(
                    backend, declarations, inspections, as_of, rule.window_days
                )
    finally:
        backend.disconnect()
    say(gettext_noop("applying the alert rules and storing"), len(windows) / (len(windows) + 1))
    candidates: list[rules.Candidate] = []
    for rule in version.rules:
        if isinstance(rule, rules.DetectionAbovePeers):
            rows = computed[rule.window_days]
            total_n = sum(r["inspections"] for r in rows)
            overall = sum(r["detections"] for r in rows) / total_n if total_n else None
            for row in rows:
                if row["code"] in holders:
                    found = rules.detection_alert(rule, row, overall)
                    if found is not None:
                        candidates.append(found)
        elif isinstance(rule, rules.CriticalFinding):
            mine = [f for f in findings[rule.window_days] if f["operator"] in holders]
            candidates += rules.critical_alerts(rule, mine)
        elif isinstance(rule, rules.ExpiryOverdueReview):
            candidates += rules.expiry_alerts(rule, _certificates(as_of, set(holders)), as_of)
    raised = 0
    with transaction.atomic():
        Indicator.objects.bulk_create(
            Indicator(run=record, operator=holders[row["code"]], window_days=days, figures=row)
            for days in WINDOWS
            for row in computed[days]
            if row["code"] in holders
        )
        for c in candidates:
            alert, created = Alert.objects.get_or_create(
                operator=holders[c.operator],
                rule=c.rule,
                cause=c.cause,
                defaults={
                    "rules_version": version.valid_from,
                    "severity": c.severity,
                    "title": str(c.title)[:200],
                    "title_words": c.title.as_json(),
                    "summary_words": c.summary.as_json() if c.summary is not None else None,
                    "details": c.details,
                    "run": record,
                },
            )
            if created:
                raised += 1
                audit.record(
                    "monitoring.alert.raised",
                    None,
                    alert,
                    {"operator": c.operator, "rule": c.rule, "cause": c.cause},
                )
                _tell_validators(alert)
        active = {row["code"] for row in computed[WINDOWS[0]]} | {
            row["code"] for row in computed[WINDOWS[-1]]
        }
        record.status, record.progress = Run.Status.DONE, 1.0
        record.rules_version, record.finished_at = version.valid_from, timezone.now()
        record.operators = len(active & set(holders))
        record.alerts_raised = raised
        record.message = gettext_noop(
            "certified operators with declarations: %(operators)s; new alerts: %(raised)s; "
            "already raised: %(known)s",
            operators=record.operators, raised=raised, known=len(candidates) - raised,
        ).as_json()  # fmt: skip
        record.save()
        audit.record(
            "monitoring.run.done",
            None,
            record,
            {"as_of": as_of.isoformat(), "operators": record.operators, "alerts": raised},
        )
    return record


def _tell_validators(alert: Alert) -> None:
    """The operator's validators hear of a new alert (the decision officers when it has none)."""
    people = notices.validators(alert.operator) or notices.decision_officers()
    notify(
        Kind.ALERT_RAISED,
        people,
        title=rules.notice_title(
            alert.severity,
            str(alert.operator),
            Words.from_json(alert.title_words) if alert.title_words else alert.title,
        ),
        body=Words.from_json(alert.summary_words) if alert.summary_words else "",
        link=reverse("alert_detail", args=[alert.pk]),
        about=alert,
        may_see=lambda user: user.role in QUEUE_ROLES,
    )


@jobs.background(
    "monitoring.Run",
    refused=(rules.RulesError,),
    stopped=gettext_noop("an internal error stopped the run (run %(pk)s); nothing was stored"),
)
def run_monitoring(record: Run) -> None:
    """Execute a queued monitoring run."""
    execute(record, jobs.step(record))


def _handle(alert: Alert, user: User, status: str, note: str, **extra: Any) -> Alert:
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status in (Alert.Status.DISMISSED, Alert.Status.REASSESSMENT):
            raise _already_handled(locked)
        before = locked.status
        locked.status, locked.note = status, note
        locked.handled_by, locked.handled_at = user, timezone.now()
        for key, value in extra.items():
            setattr(locked, key, value)
        locked.save()
        audit.record(
            f"monitoring.alert.{status}", user, locked, {"from": before, "to": status, "note": note}
        )
    return locked


def acknowledge(alert: Alert, user: User, note: str = "") -> Alert:
    if alert.status != Alert.Status.OPEN:
        raise Refused(_("only an open alert can be acknowledged"))
    return _handle(alert, user, Alert.Status.ACKNOWLEDGED, note)


def dismiss(alert: Alert, user: User, reason: str) -> Alert:
    if not reason.strip():
        raise Refused(_("say why the alert is dismissed"))
    return _handle(alert, user, Alert.Status.DISMISSED, reason.strip())


def reassess(alert: Alert, user: User, reason: str) -> Alert:
    """Open a reassessment of the operator's certificate (certification follow-up)."""
    certificate = (
        Certificate.objects.filter(operator=alert.operator, status__in=["active", "suspended"])
        .order_by("-valid_from")
        .first()
    )
    if certificate is None:
        raise Refused(_("the operator holds no certificate in force to reassess"))
    if alert.status in (Alert.Status.DISMISSED, Alert.Status.REASSESSMENT):
        raise _already_handled(alert)
    # No reason given: the officer's reason is the alert, written in their language, as the
    # reason they would have typed (a reason is their text, kept as written).
    text = reason.strip() or _("Monitoring alert: %(title)s") % {"title": alert.shown_title}
    try:
        with transaction.atomic():
            application = certification.open_reassessment(certificate, user, text)
            return _handle(alert, user, Alert.Status.REASSESSMENT, text, application=application)
    except (certification.NotAllowed, certification.Refused) as exc:
        raise Refused(str(exc)) from None
    except IntegrityError:
        raise Refused(_("a reassessment could not be opened; try again")) from None
