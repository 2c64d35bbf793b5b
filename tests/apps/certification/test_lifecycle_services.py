"""An application from submission to certificate, and what the workflow refuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services as assessments
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import services
from greenlane.apps.certification.models import Application, Certificate
from greenlane.apps.operators.models import AeoAuthorisation, ValidatorAssignment
from greenlane.core.certification.lifecycle import NotAllowed, Stage
from tests import factories

from .world import World, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


def _all_findings(app: Application, w: World) -> None:
    for criterion in services.version_today().criteria:
        services.record_finding(
            app, w.validator, {"criterion": criterion.id, "result": "compliant"}
        )


def approved(w: World) -> Application:
    app = services.apply(w.operator, w.trader, "AA", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    _all_findings(app, w)
    services.transition(app, w.validator, "recommend")
    return services.transition(app, w.decider, "approve", reason="All criteria met", tier="AA")


def test_the_whole_lifecycle_ends_with_a_certificate_and_an_aeo_status(
    w: World, django_capture_on_commit_callbacks: object
) -> None:
    app = services.apply(w.operator, w.trader, "AA", w.snapshot)
    assert app.stage == Stage.SUBMITTED
    assert app.eligibility["eligible"] is True
    assert app.number.startswith(f"APP-{timezone.now():%Y}-")
    services.transition(app, w.admin, "assign", validator=w.validator)
    assert ValidatorAssignment.objects.filter(operator=w.operator, validator=w.validator).exists()
    services.transition(
        app, w.validator, "request_information", question="Send the ERP audit trail"
    )
    assert app.stage == Stage.INFORMATION_REQUESTED
    services.transition(app, w.trader, "provide_information", answer="Attached as PDF")
    assert app.stage == Stage.DOCUMENT_REVIEW  # back where the request was made
    _all_findings(app, w)
    services.transition(
        app, w.validator, "plan_site_visit", planned_on=date.today(), plan="Warehouse, IT, HR"
    )
    with pytest.raises(services.Refused, match="file the on-site validation report"):
        services.transition(app, w.validator, "recommend")
    services.file_site_report(app, w.validator, date.today(), "Seals and access control in place")
    services.transition(app, w.validator, "recommend")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.transition(app, w.decider, "approve", reason="All criteria met", tier="AA")
    certificate = Certificate.objects.get(application=app)
    assert certificate.number == f"KR-AEO-{date.today():%Y}-{certificate.pk:06d}"
    assert certificate.tier == "AA"
    assert certificate.valid_to == date.today().replace(year=date.today().year + 5) - timedelta(1)
    status = AeoAuthorisation.objects.get(operator=w.operator)
    assert (status.programme, status.tier) == ("kr-aeo", "AA")
    assert [e.to_stage for e in app.events.all()] == [
        "submitted", "document_review", "information_requested", "document_review",
        "site_validation", "awaiting_decision", "approved",
    ]  # fmt: skip
    _, broken = audit.verify()
    assert broken is None
    assert any("approved" in m.subject for m in mail.outbox)


def test_an_ineligible_operator_is_told_why_at_once(w: World) -> None:
    assessments.save_profile(w.operator, w.trader, {"arrears": True})  # a new draft
    snapshot = assessments.submit(w.operator, w.trader)
    with pytest.raises(services.Refused, match="not eligible: arrears of duties or taxes"):
        services.apply(w.operator, w.trader, "A", snapshot)
    assert not Application.objects.exists()


def test_an_application_needs_a_submitted_snapshot_and_a_known_tier(w: World) -> None:
    with pytest.raises(services.Refused) as caught:
        services.apply(w.operator, w.trader, "A", None)
    assert caught.value.field == "snapshot"
    with pytest.raises(services.Refused, match="no tier 'Z'"):
        services.apply(w.operator, w.trader, "Z", w.snapshot)


def test_only_one_application_can_be_open(w: World) -> None:
    services.apply(w.operator, w.trader, "A", w.snapshot)
    with pytest.raises(services.Refused, match="already has an application in progress"):
        services.apply(w.operator, w.trader, "AA", w.snapshot)


def test_a_transition_not_allowed_changes_nothing(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    before = AuditEvent.objects.count()
    with pytest.raises(
        NotAllowed, match="not possible while the application waits for a validator"
    ):
        services.transition(app, w.decider, "approve", reason="x")
    with pytest.raises(NotAllowed, match="is for the supervisor"):
        services.transition(app, w.trader, "assign", validator=w.validator)
    app.refresh_from_db()
    assert (app.stage, app.revision) == (Stage.SUBMITTED, 0)
    assert AuditEvent.objects.count() == before


def test_the_validator_cannot_decide_and_another_validator_cannot_act(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    with pytest.raises(NotAllowed):
        services.transition(app, w.other_validator, "request_information", question="?")
    with pytest.raises(NotAllowed):
        services.record_finding(
            app, w.other_validator, {"criterion": "KR-LC-1", "result": "compliant"}
        )
    _all_findings(app, w)
    services.transition(app, w.validator, "recommend")
    with pytest.raises(NotAllowed, match="is for the decider"):
        services.transition(app, w.validator, "approve", reason="self-approval")


def test_a_stale_view_cannot_overwrite_a_newer_decision(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    _all_findings(app, w)
    services.transition(app, w.validator, "recommend")
    first = Application.objects.get(pk=app.pk)
    second = Application.objects.get(pk=app.pk)
    services.transition(first, w.decider, "approve", reason="ok", tier="A")
    with pytest.raises(NotAllowed, match="someone else changed this application"):
        services.transition(second, w.decider, "reject", reason="no")
    assert Certificate.objects.count() == 1


def test_findings_need_a_severity_and_corrective_actions_a_deadline(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    with pytest.raises(services.Refused, match="needs a severity"):
        services.record_finding(app, w.validator, {"criterion": "KR-SM-1", "result": "partly"})
    with pytest.raises(services.Refused, match="needs a deadline"):
        services.record_finding(
            app, w.validator,
            {"criterion": "KR-SM-1", "result": "partly", "severity": "minor",
             "corrective_action": "Screen carriers"},
        )  # fmt: skip
    finding = services.record_finding(
        app, w.validator,
        {"criterion": "KR-SM-1", "result": "partly", "severity": "minor",
         "corrective_action": "Screen carriers", "deadline": date.today() + timedelta(30)},
    )  # fmt: skip
    with pytest.raises(services.Refused):
        services.close_finding(finding, w.validator, "")
    closed = services.close_finding(finding, w.validator, "Carrier screening records seen")
    assert closed.closed_at is not None
    with pytest.raises(NotAllowed, match="already closed"):
        services.close_finding(finding, w.validator, "again")


def test_suspension_reinstatement_and_revocation(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    with pytest.raises(services.Refused, match="reason is needed"):
        services.certificate_transition(certificate, w.decider, "suspend")
    services.certificate_transition(
        certificate,
        w.decider,
        "suspend",
        "Critical finding at follow-up",
        date.today() + timedelta(60),
    )
    assert certificate.status == "suspended"
    with pytest.raises(NotAllowed, match="is for the decider"):
        services.certificate_transition(certificate, w.trader, "reinstate")
    services.certificate_transition(certificate, w.decider, "reinstate", "Corrected")
    services.certificate_transition(certificate, w.decider, "revoke", "Repeated infringements")
    assert AeoAuthorisation.objects.get(operator=w.operator).valid_to == date.today()
    with pytest.raises(NotAllowed):
        services.certificate_transition(certificate, w.trader, "surrender")
    assert [e.to_status for e in certificate.events.all()] == ["suspended", "active", "revoked"]


def test_an_operator_may_surrender_its_certificate(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    services.certificate_transition(certificate, w.trader, "surrender", "Ceasing imports")
    assert certificate.status == "surrendered"


def test_a_korea_certificate_schedules_annual_self_reviews(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    reviews = list(certificate.reviews.all())
    assert len(reviews) == 4  # yearly within five years of validity
    assert all(r.due_on.day == 15 for r in reviews)
    assert reviews[0].due_on.month == (certificate.valid_from.month % 12) + 1


def test_a_self_review_needs_a_fresh_snapshot_in_its_window_and_counts_once(w: World) -> None:
    from greenlane.apps.certification import queries

    certificate = Certificate.objects.get(application=approved(w))
    review = certificate.reviews.first()
    assert review is not None
    with pytest.raises(NotAllowed, match="opens on"):
        services.submit_self_review(review, w.trader, w.snapshot)
    review.opens_on = date.today() - timedelta(days=400)
    review.due_on = date.today() - timedelta(days=1)
    review.save()
    assert [r.pk for r in queries.overdue_reviews(w.validator)] == [review.pk]
    with pytest.raises(NotAllowed, match="only the holder"):
        services.submit_self_review(review, w.decider, w.snapshot)
    services.submit_self_review(review, w.trader, w.snapshot)  # the snapshot is recent enough
    review.refresh_from_db()
    assert review.submitted_at is not None
    with pytest.raises(NotAllowed, match="already been handed in"):
        services.submit_self_review(review, w.trader, w.snapshot)
    assert queries.overdue_reviews(w.validator) == []
    review.submitted_at = None
    review.opens_on = date.today() + timedelta(days=-1)
    review.save()
    w.snapshot.submitted_at = timezone.now() - timedelta(days=30)
    w.snapshot.save()
    with pytest.raises(services.Refused, match="submitted since"):
        services.submit_self_review(review, w.trader, w.snapshot)


def _through_review(app: Application, w: World, tier: str = "AA") -> Application:
    services.transition(app, w.admin, "assign", validator=w.validator)
    _all_findings(app, w)
    services.transition(app, w.validator, "recommend")
    return services.transition(app, w.decider, "approve", reason="ok", tier=tier)


def test_a_renewal_replaces_the_certificate_without_a_gap(w: World) -> None:
    from greenlane.apps.certification import queries

    first = Certificate.objects.get(application=approved(w))
    Certificate.objects.filter(pk=first.pk).update(valid_to=date.today() + timedelta(days=90))
    assert [c.pk for c in queries.renewals_due()] == [first.pk]
    renewal = services.apply(w.operator, w.trader, "AA", w.snapshot)
    assert (renewal.kind, renewal.replaces_id) == ("renewal", first.pk)
    assert queries.renewals_due() == []  # under way
    _through_review(renewal, w)
    first.refresh_from_db()
    assert first.status == "superseded"
    second = Certificate.objects.get(application=renewal)
    assert second.valid_from == date.today()
    old_status = AeoAuthorisation.objects.filter(operator=w.operator).order_by("pk").first()
    assert old_status is not None
    assert old_status.valid_to == date.today() - timedelta(days=1)


def test_customs_opens_a_reassessment_that_can_lower_the_grade(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    with pytest.raises(NotAllowed, match="decision officers"):
        services.open_reassessment(certificate, w.validator, "monitoring alert")
    with pytest.raises(services.Refused, match="reason"):
        services.open_reassessment(certificate, w.decider, " ")
    reassessment = services.open_reassessment(
        certificate, w.decider, "Critical finding in monitoring"
    )
    assert reassessment.number.startswith("REA-")
    with pytest.raises(NotAllowed, match="already has an application"):
        services.open_reassessment(certificate, w.decider, "again")
    _through_review(reassessment, w, tier="A")
    certificate.refresh_from_db()
    assert certificate.status == "superseded"
    assert Certificate.objects.get(application=reassessment).tier == "A"
    with pytest.raises(NotAllowed):
        services.certificate_transition(certificate, w.decider, "suspend", "late")


def test_each_notice_goes_to_one_recipient_so_no_one_sees_anothers_address(
    w: World, django_capture_on_commit_callbacks: object
) -> None:
    colleague = factories.user(Role.TRADER, w.operator.organisation)
    colleague.email = "colleague@trader.example"
    colleague.save()
    w.validator.email = "validator@customs.example"
    w.validator.save()
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.transition(app, w.admin, "assign", validator=w.validator)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "colleague@trader.example", "trade@example.org", "validator@customs.example",
    ]  # fmt: skip
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)


def test_an_application_finds_its_version_by_any_name_it_had_and_refuses_a_lost_one(
    w: World,
) -> None:
    app = services.apply(w.operator, w.trader, "AA", w.snapshot)
    for version in services.programme().versions:
        for name in (version.version, *version.aliases):
            app.version = name
            assert services.version_of(app) is version
    app.version = "a-version-the-catalogue-lost"
    with pytest.raises(services.Refused, match="no longer has the version"):
        services.version_of(app)


@pytest.mark.parametrize(("tier", "reviewed"), [("T1", True), ("T2", False)])
def test_an_india_t1_certificate_has_no_end_and_yearly_reviews_in_the_october_window(
    w: World, settings: object, tier: str, reviewed: bool
) -> None:
    settings.PROGRAMME = "in-aeo"  # type: ignore[attr-defined]
    facts = {"years_in_business": 10, "declarations_per_year": 500, "operator_types": ["importer"]}
    assessments.save_profile(w.operator, w.trader, facts)
    app = services.apply(w.operator, w.trader, tier, assessments.submit(w.operator, w.trader))
    services.transition(app, w.admin, "assign", validator=w.validator)
    _all_findings(app, w)
    services.transition(app, w.validator, "recommend")
    services.transition(app, w.decider, "approve", reason="All criteria met", tier=tier)
    certificate = Certificate.objects.get(application=app)
    reviews = [(r.opens_on, r.due_on) for r in certificate.reviews.all()]
    if reviewed:
        assert certificate.valid_to is None
        assert len(reviews) == 3
        assert all((o.month, o.day, d.month, d.day) == (10, 1, 12, 31) for o, d in reviews)
        assert reviews[0][0] > certificate.valid_from
        assert [o.year for o, _ in reviews] == [reviews[0][0].year + k for k in range(3)]
    else:
        assert certificate.valid_to is not None
        assert reviews == []
