"""Import declarations and inspection results.

Field names follow the WCO Data Model where one exists (declaration date, customs office,
mode of transport, declarant, importer, seller, commodity code, country of origin, country of
dispatch, net mass, customs value, duty). Traders are referred to by identifier (``*_code``):
declarations arrive from customs systems and may name traders Greenlane has no record of.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.core.words import Words


class TransportMode(models.TextChoices):
    """UN/ECE Recommendation 19 codes."""

    SEA = "1", pgettext_lazy("mode of transport", "Sea")
    RAIL = "2", pgettext_lazy("mode of transport", "Rail")
    ROAD = "3", pgettext_lazy("mode of transport", "Road")
    AIR = "4", pgettext_lazy("mode of transport", "Air")
    POST = "5", pgettext_lazy("mode of transport", "Post")
    MULTIMODAL = "6", _("Multimodal")
    FIXED = "7", _("Fixed installation")
    INLAND_WATER = "8", _("Inland waterway")
    UNKNOWN = "9", pgettext_lazy("mode of transport", "Unknown")


def in_english(stored: Any) -> str:
    """A stored reason or message (words as data, or an older text) in English: for the
    command line and logs."""
    if isinstance(stored, dict) and "message" in stored:
        return str(Words.from_json(stored))
    return str(stored)


class IngestBatch(models.Model):
    """One file ingested: what was read, accepted and rejected. Written in the same transaction
    as its declarations, so a batch row exists only for a complete ingest."""

    class Kind(models.TextChoices):
        DECLARATIONS = "declarations", _("Declarations")
        INSPECTIONS = "inspections", _("Inspection results")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    file_format = models.CharField(max_length=10)
    mapping = models.CharField(max_length=60)
    currency = models.CharField(max_length=3, blank=True)
    source_columns = models.JSONField(default=list, help_text="the file's columns the mapping read")
    rows_read = models.PositiveIntegerField()
    rows_accepted = models.PositiveIntegerField()
    rows_rejected = models.PositiveIntegerField()
    inspections = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rollback_reason = models.TextField(blank=True)
    rollback_counts = models.JSONField(
        default=dict, blank=True, help_text="what the rollback removed, by kind"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A file rolled back may be ingested again (corrected mapping, say).
            models.UniqueConstraint(
                fields=["kind", "sha256"],
                condition=models.Q(rolled_back_at__isnull=True),
                name="one_batch_per_file_content",
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows_accepted}/{self.rows_read})"


class RejectedRow(models.Model):
    batch = models.ForeignKey(IngestBatch, on_delete=models.CASCADE, related_name="rejected_rows")
    row = models.PositiveIntegerField(help_text="1-based data row in the file (header not counted)")
    #: Words as data (``Words.as_json``), translated when read; a text stored before is shown
    #: as it is (``greenlane.apps.wording.translated``).
    reason = models.JSONField()
    raw = models.JSONField()

    class Meta:
        ordering = ["batch", "row"]

    def __str__(self) -> str:
        return f"row {self.row}: {in_english(self.reason)}"


class Declaration(models.Model):
    number = models.CharField(max_length=40)
    #: No foreign-key constraint in the database (decision 0033): PostgreSQL checked it row by
    #: row at commit, a sixth of a large ingest, for a link the ingest writes itself to the
    #: batch it created in the same transaction. Django keeps PROTECT: a batch with
    #: declarations cannot be deleted through the ORM (batches are rolled back, never deleted).
    batch = models.ForeignKey(
        IngestBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="declarations",
        db_constraint=False,
    )
    declaration_date = models.DateField()
    office_code = models.CharField(max_length=10)
    transport_mode = models.CharField(max_length=2, choices=TransportMode.choices)
    declarant_code = models.CharField(max_length=40, blank=True)
    importer_code = models.CharField(max_length=40)
    seller_code = models.CharField(max_length=40, blank=True)
    hs6 = models.CharField(max_length=6)
    origin_country = models.CharField(max_length=2)
    dispatch_country = models.CharField(max_length=2, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    net_mass_kg = models.DecimalField(max_digits=14, decimal_places=3)
    customs_value = models.DecimalField(max_digits=18, decimal_places=2)
    tax_rate = models.DecimalField(
        max_digits=7, decimal_places=3, null=True, blank=True, help_text="ad valorem, %"
    )
    duty_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    attributes = models.JSONField(
        default=dict, blank=True, help_text="other columns of the source file"
    )

    class Meta:
        ordering = ["-declaration_date", "number"]
        # Declared here rather than with unique=True / db_index=True: on PostgreSQL those also
        # build a varchar_pattern_ops copy of each text index for LIKE queries, which nothing
        # runs and which cost 40% of the ingest time (measured: 1M rows COPY 15.1 s -> 9.1 s).
        constraints = [models.UniqueConstraint(fields=["number"], name="declaration_number_unique")]
        indexes = [
            models.Index(fields=["declaration_date"], name="declaration_date_idx"),
            # An importer's declarations, newest first (an operator's page), and its count.
            models.Index(
                fields=["importer_code", "declaration_date"], name="declaration_importer_day_idx"
            ),
            # A party's year before a declaration (the declaration page), for each role.
            models.Index(
                fields=["declarant_code", "declaration_date"],
                name="declaration_declarant_day_idx",
            ),
            models.Index(
                fields=["seller_code", "declaration_date"], name="declaration_seller_day_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Inspection(models.Model):
    declaration = models.OneToOneField(
        Declaration, on_delete=models.CASCADE, related_name="inspection"
    )
    batch = models.ForeignKey(
        IngestBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    inspected_on = models.DateField()
    fraud_found = models.BooleanField()
    critical = models.BooleanField(default=False)
    revenue_recovered = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    notes = models.TextField(blank=True)

    class Meta:
        # Results of a period: a result is never dated before its declaration, so the
        # declarations of a period have their results on or after its first day.
        indexes = [models.Index(fields=["inspected_on"], name="inspection_day_idx")]

    def __str__(self) -> str:
        return f"inspection of {self.declaration_id}"


class InspectionCorrection(models.Model):
    """A change to a recorded result, with its reason: the result holds the values in force
    (what training learns from); each correction keeps what it replaced, so the first one's
    ``before`` is the result as first recorded."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="corrections")
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrected_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    before = models.JSONField(help_text="the result's values this correction replaced")
    after = models.JSONField(help_text="the result's values from this correction on")

    class Meta:
        ordering = ["corrected_at", "id"]

    def __str__(self) -> str:
        return f"correction of inspection {self.inspection_id}"

    @property
    def before_after(self) -> tuple[dict[str, object], dict[str, object]]:
        return self.before, self.after


class RetiredMonth(models.Model):
    """A month of declarations moved out of the database to the Parquet lake
    (``lake.retire``): its file there is the record from then on. No declaration dated in it
    is taken in again (the ingest rejects the row), and the lake's export never writes it
    again."""

    month = models.DateField(unique=True, help_text="the month's first day")
    declarations = models.PositiveIntegerField()
    inspections = models.PositiveIntegerField()
    scores = models.PositiveIntegerField()
    corrections = models.PositiveIntegerField()
    channel_decisions = models.PositiveIntegerField()
    file = models.CharField(max_length=1000, help_text="the month's Parquet file when retired")
    sha256 = models.CharField(max_length=64)
    retired_at = models.DateTimeField(auto_now_add=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} in the lake"


def upload_path(instance: Upload, filename: str) -> str:
    """A folder of its own per upload, so the file keeps its name in messages."""
    return f"uploads/{uuid.uuid4().hex}/{filename}"


class Upload(models.Model):
    """A file handed in through the web page or the API, ingested by a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("state of a background job", "Done")
        FAILED = "failed", _("Failed")

    file = models.FileField(upload_to=upload_path)
    original_name = models.CharField(max_length=255)
    mapping_name = models.CharField(max_length=60)
    mapping_text = models.TextField(
        blank=True, help_text="a mapping file handed in with the upload"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    #: Words as data (``Words.as_json``), translated when read; a text as it is.
    message = models.JSONField(default=str, blank=True)
    batch = models.OneToOneField(
        IngestBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="upload"
    )
    task_id = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"


class SavedMapping(models.Model):
    """A column mapping made in the web app (or handed in as YAML) and kept for reuse."""

    name = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, default="declarations")
    text = models.TextField(help_text="the mapping in YAML, validated when saved")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
