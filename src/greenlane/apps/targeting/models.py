"""The model registry and the scores it produced."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from greenlane.apps.declarations.models import Declaration


class ModelVersion(models.Model):
    """One trained risk model: what it learned from, how it did, and where its artifact is."""

    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(
        default=False, help_text="the version that scores new declarations"
    )
    training_from = models.DateField()
    training_to = models.DateField()
    training_rows = models.PositiveIntegerField()
    labelled_rows = models.PositiveIntegerField()
    holdout_from = models.DateField(null=True, blank=True)
    feature_schema = models.JSONField(help_text="feature names, in the model's order")
    hyperparameters = models.JSONField()
    library_versions = models.JSONField()
    metrics = models.JSONField(help_text="on the held-out last part of the training period")
    artifact = models.CharField(max_length=255, help_text="file under the var folder")
    artifact_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"model v{self.version}"


class Score(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="scores")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="scores")
    probability = models.FloatField(db_index=True)
    revenue_at_stake = models.DecimalField(max_digits=18, decimal_places=2)
    reasons = models.JSONField(default=list)
    scored_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-probability"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "model_version"], name="one_score_per_model"
            )
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.probability:.3f}"
