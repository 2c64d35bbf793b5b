"""Running totals of the large tables, kept by the database itself (``triggers``).

Pages read their figures here instead of counting tens of millions of declarations per
request: each table is small (days x offices, importers, model versions) and grows with the
calendar, not with the number of declarations. Nothing in Greenlane writes these rows; the
triggers installed by this app's migrations do, in the same transaction as the change they
count, whatever wrote it (the ORM, COPY, a raw statement). Rows that fall to zero stay.
Decision 0023.
"""

from __future__ import annotations

from django.db import models

from greenlane.apps.targeting.models import ModelVersion


class DeclarationTally(models.Model):
    """Declarations per declaration date, office and mode of transport."""

    day = models.DateField()
    office_code = models.CharField(max_length=10)
    transport_mode = models.CharField(max_length=2)
    declarations = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "office_code", "transport_mode"], name="declaration_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.office_code} {self.transport_mode}: {self.declarations}"


class ImporterTally(models.Model):
    """Declarations per importer."""

    importer_code = models.CharField(max_length=40)
    declarations = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["importer_code"], name="importer_tally_key")]

    def __str__(self) -> str:
        return f"{self.importer_code}: {self.declarations}"


class InspectionTally(models.Model):
    """Inspection results per day of inspection and office of the declaration."""

    day = models.DateField()
    office_code = models.CharField(max_length=10)
    inspections = models.BigIntegerField(default=0)
    irregularities = models.BigIntegerField(default=0)
    critical = models.BigIntegerField(default=0)
    #: In cents, so that the sum stays exact on SQLite too (whose decimals are floats).
    revenue_recovered_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "office_code"], name="inspection_tally_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.office_code}: {self.inspections}"


class ScoreTally(models.Model):
    """Scores per model version."""

    model_version = models.OneToOneField(
        ModelVersion, on_delete=models.CASCADE, db_constraint=False, related_name="tally"
    )
    scores = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"v{self.model_version_id}: {self.scores}"
