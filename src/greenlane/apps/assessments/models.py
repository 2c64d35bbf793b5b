"""Self-tests (drafts and frozen snapshots), their answers and evidence, and action plans."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from greenlane.apps.operators.models import Operator
from greenlane.core.criteria.schema import Answer as AnswerValue


class SelfAssessment(models.Model):
    """An operator's answers to the baseline requirements.

    There is at most one draft per operator; submitting freezes it into a snapshot that keeps
    its answers, the readiness computed on submission and the catalogue versions used.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("state of a self-test", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("state of a self-test", "Submitted")

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="self_assessments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    profile = models.JSONField(default=dict, blank=True, help_text="facts the operator states")
    assessed_on = models.DateField(null=True, blank=True, help_text="rules date of a snapshot")
    result = models.JSONField(null=True, blank=True, help_text="readiness frozen on submission")
    catalogue_versions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["operator", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator"], condition=Q(status="draft"), name="one_draft_per_operator"
            )
        ]

    def __str__(self) -> str:
        return f"self-test {self.pk} of {self.operator_id} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class Answer(models.Model):
    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="answers")
    requirement = models.CharField(max_length=40)
    answer = models.CharField(
        max_length=10,
        blank=True,
        choices=[(a.value, a.name.replace("_", " ")) for a in AnswerValue],
    )
    comment = models.TextField(blank=True, max_length=4000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["assessment", "requirement"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "requirement"], name="one_answer_per_requirement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.requirement}: {self.answer or 'unanswered'}"


class Evidence(models.Model):
    """A file that supports an answer; its type was read from its content, not its name."""

    assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="evidence"
    )
    requirement = models.CharField(max_length=40)
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requirement", "uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "requirement", "sha256"], name="evidence_once_per_answer"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class ActionItem(models.Model):
    """One step of an operator's action plan towards closing a gap."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("state of an action in the plan", "Open")
        DONE = "done", pgettext_lazy("state of an action in the plan", "Done")

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="action_items")
    requirement = models.CharField(max_length=40)
    action = models.CharField(max_length=500)
    owner = models.CharField(max_length=120, blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["status", "target_date", "pk"]

    def __str__(self) -> str:
        return self.action
