"""Monitoring runs, the indicators they computed per certified operator, and alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.operators.models import Operator
from greenlane.apps.wording import translated


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("state of a monitoring run", "Done")
        FAILED = "failed", _("Failed")

    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.JSONField(default=str, blank=True)  # words (Words.as_json) or a text
    rules_version = models.DateField(null=True, blank=True)
    operators = models.PositiveIntegerField(default=0)
    alerts_raised = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    #: Started by the daily schedule (at most one such run per day, whatever the workers).
    scheduled = models.BooleanField(default=False)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["as_of"], condition=models.Q(scheduled=True), name="one_scheduled_run_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"monitoring {self.as_of}"


class Indicator(models.Model):
    """One certified operator's figures over one window, as a run computed them."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="indicators")
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    window_days = models.PositiveSmallIntegerField()
    figures = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "operator", "window_days"], name="indicator_once_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator_id} over {self.window_days} days"


class Alert(models.Model):
    """An alert a rule raised. ``title`` is the English text (the command line, audit,
    ``__str__``); a page shows ``shown_title`` and ``shown_summary``, the stored words
    translated in the reader's language (an alert raised before words were stored shows its
    English title as it is)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("state of an alert", "Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISMISSED = "dismissed", _("Dismissed")
        REASSESSMENT = "reassessment", _("Reassessment opened")

    class Severity(models.TextChoices):
        LOW = "low", pgettext_lazy("severity of an alert", "Low")
        MEDIUM = "medium", pgettext_lazy("severity of an alert", "Medium")
        HIGH = "high", pgettext_lazy("severity of an alert", "High")

    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="alerts")
    rule = models.CharField(max_length=60)
    rules_version = models.DateField()
    cause = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=200)
    #: The title as words (``Words.as_json()``), translated when read; None on older alerts.
    title_words = models.JSONField(null=True, blank=True)
    #: What raised the alert, in one sentence, as words; None on older alerts.
    summary_words = models.JSONField(null=True, blank=True)
    details = models.JSONField(default=dict)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    application = models.ForeignKey(
        "certification.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            # The same rule never raises twice for the same cause, however often it runs.
            models.UniqueConstraint(
                fields=["operator", "rule", "cause"], name="alert_once_per_cause"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.operator.code})"

    @property
    def shown_title(self) -> str:
        """The title in the active language (an older alert's English title as it is)."""
        return translated(self.title_words) if self.title_words else self.title

    @property
    def shown_summary(self) -> str:
        """What raised the alert, in the active language; empty on older alerts."""
        return translated(self.summary_words) if self.summary_words else ""
