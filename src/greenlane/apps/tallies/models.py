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


class ImporterCount(models.Model):
    """How many importers have a declaration on record: the per-importer tally's nonzero rows,
    counted by that tally's own trigger, so that the figure is one row however many importers
    a country has (counting the per-importer tally grew with them). A single row, id 1."""

    importers = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.importers)


class Results(models.Model):
    """What a tally of inspection results adds up."""

    inspections = models.BigIntegerField(default=0)
    irregularities = models.BigIntegerField(default=0)
    critical = models.BigIntegerField(default=0)
    #: In cents, so that the sum stays exact on SQLite too (whose decimals are floats).
    revenue_recovered_cents = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class InspectionTally(Results):
    """Inspection results per day of inspection and office of the declaration."""

    day = models.DateField()
    office_code = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "office_code"], name="inspection_tally_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.office_code}: {self.inspections}"


class OfficeTally(models.Model):
    """Declarations per office and mode of transport, all days together: what the per-day
    tally gives summed, kept apart so that a total over the whole record reads a row per
    office and mode rather than one per day (ten years: 3,650 times fewer)."""

    office_code = models.CharField(max_length=10)
    transport_mode = models.CharField(max_length=2)
    declarations = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office_code", "transport_mode"], name="office_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.office_code} {self.transport_mode}: {self.declarations}"


class OfficeInspectionTally(Results):
    """Inspection results per office of the declaration, all days together."""

    office_code = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office_code"], name="office_inspection_tally_key")
        ]

    def __str__(self) -> str:
        return f"{self.office_code}: {self.inspections}"


class PartyTally(models.Model):
    """Declarations per pair of importer and declarant: a company's own figures (as importer
    or as declarant, each declaration once) are the sum of the rows naming it on either side,
    at a cost that follows its trading partners, not its history."""

    importer_code = models.CharField(max_length=40)
    declarant_code = models.CharField(max_length=40)
    declarations = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["importer_code", "declarant_code"], name="party_tally_key"
            )
        ]
        indexes = [models.Index(fields=["declarant_code"], name="party_tally_declarant")]

    def __str__(self) -> str:
        return f"{self.importer_code}/{self.declarant_code}: {self.declarations}"


class PartyInspectionTally(Results):
    """Inspection results per pair of importer and declarant of the declaration."""

    importer_code = models.CharField(max_length=40)
    declarant_code = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["importer_code", "declarant_code"], name="party_inspection_tally_key"
            )
        ]
        indexes = [models.Index(fields=["declarant_code"], name="party_inspection_declarant")]

    def __str__(self) -> str:
        return f"{self.importer_code}/{self.declarant_code}: {self.inspections}"


class ScoreTally(models.Model):
    """Scores per model version."""

    model_version = models.OneToOneField(
        ModelVersion, on_delete=models.CASCADE, db_constraint=False, related_name="tally"
    )
    scores = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"v{self.model_version_id}: {self.scores}"
