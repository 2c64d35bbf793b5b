"""AEO applications, their review, findings and decision; certificates and their history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.assessments.models import SelfAssessment
from greenlane.apps.certification.codes import new_verification_code
from greenlane.apps.operators.models import Operator
from greenlane.core.certification.lifecycle import OPEN_STAGES as OPEN
from greenlane.core.certification.lifecycle import CertificateStatus, Stage

USER = settings.AUTH_USER_MODEL

#: How a stage of an application reads on a page (the stage's id is the code).
STAGE_LABELS: dict[str, Any] = {
    Stage.SUBMITTED: pgettext_lazy("stage of an application", "submitted"),
    Stage.DOCUMENT_REVIEW: pgettext_lazy("stage of an application", "document review"),
    Stage.INFORMATION_REQUESTED: pgettext_lazy("stage of an application", "information requested"),
    Stage.SITE_VALIDATION: pgettext_lazy("stage of an application", "site validation"),
    Stage.AWAITING_DECISION: pgettext_lazy("stage of an application", "awaiting decision"),
    Stage.APPROVED: pgettext_lazy("stage of an application", "approved"),
    Stage.REJECTED: pgettext_lazy("stage of an application", "rejected"),
    Stage.WITHDRAWN: pgettext_lazy("stage of an application", "withdrawn"),
}
#: How a certificate's status reads on a page and on its PDF (the status's id is the code).
CERTIFICATE_STATUS_LABELS: dict[str, Any] = {
    CertificateStatus.ACTIVE: pgettext_lazy("status of a certificate", "active"),
    CertificateStatus.SUSPENDED: pgettext_lazy("status of a certificate", "suspended"),
    CertificateStatus.REVOKED: pgettext_lazy("status of a certificate", "revoked"),
    CertificateStatus.SURRENDERED: pgettext_lazy("status of a certificate", "surrendered"),
    CertificateStatus.SUPERSEDED: pgettext_lazy("status of a certificate", "superseded"),
}

#: How a step in an application's or certificate's history reads there (the step's id,
#: ``transition``, is the code; an unknown one is shown in words).
TRANSITION_LABELS: dict[str, Any] = {
    "submit": pgettext_lazy("step in a history", "submit"),
    "assign": pgettext_lazy("step in a history", "assign"),
    "request_information": pgettext_lazy("step in a history", "request information"),
    "provide_information": pgettext_lazy("step in a history", "provide information"),
    "plan_site_visit": pgettext_lazy("step in a history", "plan site visit"),
    "recommend": pgettext_lazy("step in a history", "recommend"),
    "return_to_validator": pgettext_lazy("step in a history", "return to validator"),
    "approve": pgettext_lazy("step in a history", "approve"),
    "reject": pgettext_lazy("step in a history", "reject"),
    "withdraw": pgettext_lazy("step in a history", "withdraw"),
    "reassess": pgettext_lazy("step in a history", "reassess"),
    "suspend": pgettext_lazy("step in a history", "suspend"),
    "reinstate": pgettext_lazy("step in a history", "reinstate"),
    "revoke": pgettext_lazy("step in a history", "revoke"),
    "surrender": pgettext_lazy("step in a history", "surrender"),
    "supersede": pgettext_lazy("step in a history", "supersede"),
}


def transition_label(transition: str) -> Any:
    """A step of a history as a reader sees it (an unknown id in words)."""
    return TRANSITION_LABELS.get(transition, transition.replace("_", " "))


def stage_label(stage: str) -> Any:
    """A stage as a reader sees it (an unknown id in words)."""
    return STAGE_LABELS.get(stage, stage.replace("_", " "))


def certificate_status_label(status: str) -> Any:
    """A certificate's status as a reader sees it (an unknown id as it is)."""
    return CERTIFICATE_STATUS_LABELS.get(status, status)


class MraKind(models.TextChoices):
    BILATERAL = "bilateral", _("Bilateral")
    PLURILATERAL = "plurilateral", _("Plurilateral")


class Application(models.Model):
    """An operator's application for a tier of the administration's AEO programme.

    ``revision`` grows with every transition: a change is written only if the revision is
    still the one the officer saw, so two officers acting at once cannot both succeed.
    """

    number = models.CharField(max_length=30, unique=True)
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="applications")
    programme = models.CharField(max_length=40)
    version = models.CharField(max_length=40)
    tier = models.CharField(max_length=40)
    snapshot = models.ForeignKey(SelfAssessment, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        max_length=20,
        choices=[
            ("new", pgettext_lazy("kind of application", "new")),
            ("renewal", pgettext_lazy("kind of application", "renewal")),
            ("reassessment", pgettext_lazy("kind of application", "reassessment")),
        ],
        default="new",
    )
    replaces = models.ForeignKey(
        "Certificate", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the certificate a renewal or reassessment would replace",
    )  # fmt: skip
    stage = models.CharField(
        max_length=30, choices=[(s.value, stage_label(s.value)) for s in Stage]
    )
    resume_stage = models.CharField(max_length=30, blank=True)
    revision = models.PositiveIntegerField(default=0)
    eligibility = models.JSONField(default=dict, help_text="the check made on submission")
    validator = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_tier = models.CharField(max_length=40, blank=True)
    decision_reason = models.TextField(blank=True)
    submitted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["stage"], name="application_stage_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "programme"],
                condition=models.Q(stage__in=sorted(s.value for s in OPEN)),
                name="one_open_application_per_programme",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        from greenlane.core.certification.lifecycle import OPEN_STAGES

        return self.stage in OPEN_STAGES


class ApplicationEvent(models.Model):
    """One transition of an application: the timeline, and the service-standard clock."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    transition = models.CharField(max_length=40)
    from_stage = models.CharField(max_length=30, blank=True)
    to_stage = models.CharField(max_length=30)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.transition}: {self.from_stage} -> {self.to_stage}"

    @property
    def transition_label(self) -> Any:
        return transition_label(self.transition)

    @property
    def to_stage_label(self) -> Any:
        return stage_label(self.to_stage)


class Finding(models.Model):
    """The validator's finding on one criterion, in document review or on site."""

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        PARTLY = "partly", _("Partly compliant")
        NON_COMPLIANT = "non_compliant", _("Not compliant")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    class Severity(models.TextChoices):
        NONE = "none", pgettext_lazy("severity of a finding", "None")
        MINOR = "minor", pgettext_lazy("severity of a finding", "Minor")
        MAJOR = "major", pgettext_lazy("severity of a finding", "Major")
        CRITICAL = "critical", pgettext_lazy("severity of a finding", "Critical")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="findings")
    criterion = models.CharField(max_length=40)
    stage = models.CharField(max_length=30)
    result = models.CharField(max_length=20, choices=Result.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NONE)
    note = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    deadline = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["criterion", "stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "criterion", "stage"], name="one_finding_per_stage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion} ({self.stage}): {self.result}"


class InformationRequest(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="information_requests"
    )
    question = models.TextField()
    asked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]

    def __str__(self) -> str:
        return self.question[:60]


class SiteVisit(models.Model):
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="site_visit"
    )
    planned_on = models.DateField()
    plan = models.TextField()
    visited_on = models.DateField(null=True, blank=True)
    report = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"visit {self.planned_on}"


class Certificate(models.Model):
    number = models.CharField(max_length=40, unique=True)
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="certificate"
    )
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="certificates")
    programme = models.CharField(max_length=40)
    tier = models.CharField(max_length=40)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=[(s.value, certificate_status_label(s.value)) for s in CertificateStatus],
        default=CertificateStatus.ACTIVE,
    )
    status_reason = models.TextField(blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)
    public_consent = models.BooleanField(
        default=False, help_text="the holder agrees to appear in the public AEO register"
    )
    verification_code = models.CharField(
        max_length=16,
        default=new_verification_code,
        editable=False,
        help_text="printed on the certificate; a public check needs it with the number",
    )
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class CertificateEvent(models.Model):
    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")
    transition = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.transition}: {self.from_status} -> {self.to_status}"

    @property
    def transition_label(self) -> Any:
        return transition_label(self.transition)

    @property
    def to_status_label(self) -> Any:
        return certificate_status_label(self.to_status)


class DocumentKept(Exception):
    """A certificate's documents are never changed or removed through the application."""


def _document_path(document: CertificateDocument, name: str) -> str:
    return f"certificates/{document.certificate.number}/{name}"


class CertificateDocument(models.Model):
    """One version of the certificate as a PDF: made at issue and on every change of the
    certificate, in the transaction of that change (``documents.make``); kept for good."""

    class Reason(models.TextChoices):
        ISSUED = "issued", pgettext_lazy("why a certificate's document was made", "issued")
        RENEWED = "renewed", _("issued on renewal")
        REASSESSED = "reassessed", _("issued after a reassessment")
        SUSPENDED = "suspended", pgettext_lazy("why a certificate's document was made", "suspended")
        REINSTATED = (
            "reinstated",
            pgettext_lazy("why a certificate's document was made", "reinstated"),
        )
        REVOKED = "revoked", pgettext_lazy("why a certificate's document was made", "revoked")
        SURRENDERED = (
            "surrendered",
            pgettext_lazy("why a certificate's document was made", "surrendered"),
        )
        SUPERSEDED = (
            "superseded",
            pgettext_lazy("why a certificate's document was made", "superseded"),
        )
        REQUESTED = "requested", _("made when asked for (none showed the certificate as it stands)")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveIntegerField(help_text="1, 2, ... for each certificate")
    file = models.FileField(upload_to=_document_path)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    event = models.ForeignKey(
        CertificateEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="the change it shows; none for an issue",
    )  # fmt: skip
    status = models.CharField(max_length=20, help_text="the certificate's status it shows")
    certificate_revision = models.PositiveIntegerField(
        help_text="the certificate's revision it shows: an older one means it is out of date"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["certificate", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "version"], name="one_document_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise DocumentKept("a certificate's document is never changed; make a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise DocumentKept("a certificate's documents are kept")

    @property
    def status_label(self) -> Any:
        """The certificate's status it shows, as a reader sees it."""
        return certificate_status_label(self.status)


class SelfReview(models.Model):
    """A periodic self-review a certified operator owes under its programme's rule."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="reviews")
    period = models.PositiveSmallIntegerField()
    opens_on = models.DateField()
    due_on = models.DateField()
    snapshot = models.ForeignKey(
        SelfAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["certificate", "period"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "period"], name="one_review_per_period")
        ]

    def __str__(self) -> str:
        return f"review {self.period} of {self.certificate_id}, due {self.due_on}"


class MutualRecognition(models.Model):
    """An MRA: the administration recognises the AEOs of a partner programme (and tiers).

    Recorded by hand, or seeded from the cited data file ``catalogue/mras.yaml`` (``data_id``
    is then the file's record id). A plurilateral arrangement (e.g. the ASEAN AAMRA) names its
    ``parties``; ``partner_programme`` is empty when the partner's programme is not in the
    catalogue, and ``effective_from`` when no source gives the day it took effect (an MRA
    whose start is unknown is in force on no day: its benefits are not applied).
    """

    kind = models.CharField(max_length=12, choices=MraKind.choices, default=MraKind.BILATERAL)
    name = models.CharField(max_length=120, blank=True, help_text="e.g. ASEAN AAMRA")
    parties = models.JSONField(
        default=list, blank=True, help_text="[{economy, programme, tiers, roles}]"
    )
    partner_programme = models.CharField(
        max_length=40, blank=True, help_text="catalogue id, e.g. eu-aeo; empty: not encoded"
    )
    partner_authority = models.CharField(max_length=200)
    partner_tiers = models.JSONField(default=list, blank=True, help_text="empty: every tier")
    partner_roles = models.JSONField(
        default=list, blank=True, help_text="operator types covered; empty: every role"
    )
    signed_on = models.DateField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True, help_text="empty: not known")
    effective_to = models.DateField(null=True, blank=True)
    signed_text = models.CharField(
        max_length=10, blank=True, help_text="as the source gives it: YYYY[-MM[-DD]] or unknown"
    )
    effective_text = models.CharField(max_length=10, blank=True, help_text="likewise")
    benefits = models.JSONField(default=list, help_text="benefits granted to partner AEOs")
    reference_url = models.URLField(blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="[{title, url}]")
    checked_on = models.DateField(null=True, blank=True, help_text="record checked against sources")
    notes = models.TextField(blank=True)
    data_id = models.CharField(
        max_length=40, null=True, blank=True, unique=True, help_text="id in catalogue/mras.yaml"
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="empty: seeded by the system",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner_programme", "partner_authority", "-effective_from"]

    def __str__(self) -> str:
        return f"MRA with {self.partner_name}"

    @property
    def partner_name(self) -> str:
        return self.name or self.partner_programme or self.partner_authority

    def in_force(self, day: Any) -> bool:
        return (
            self.effective_from is not None
            and self.effective_from <= day
            and (self.effective_to is None or day <= self.effective_to)
        )


class PartnerImport(models.Model):
    """One partner AEO list handed in: what was read, kept and refused."""

    mra = models.ForeignKey(MutualRecognition, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows_read = models.PositiveIntegerField()
    rows_accepted = models.PositiveIntegerField()
    rows_rejected = models.PositiveIntegerField()
    rejected = models.JSONField(default=list, help_text="[{row, reason, raw}]")
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        constraints = [models.UniqueConstraint(fields=["mra", "sha256"], name="partner_list_once")]

    def __str__(self) -> str:
        return self.file_name


class PartnerAeo(models.Model):
    """An AEO of a partner programme, from the partner's list."""

    mra = models.ForeignKey(MutualRecognition, on_delete=models.CASCADE, related_name="aeos")
    source = models.ForeignKey(PartnerImport, on_delete=models.CASCADE, related_name="aeos")
    partner_id = models.CharField(max_length=40, help_text="the partner's identifier, e.g. EORI")
    national_id = models.CharField(max_length=40, blank=True, help_text="our identifier")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    tier = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=20, blank=True, help_text="operator type, when listed")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["partner_id"], name="partner_aeo_id_idx"),
            models.Index(fields=["national_id"], name="partner_aeo_national_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner_id})"
