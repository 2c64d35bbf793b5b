"""Time Release Studies: the study's design and settings, its event files, its result."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.accounts.models import Organisation


class Study(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (not run yet)")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("state of a study", "Done")
        FAILED = "failed", _("Failed")

    class Engine(models.TextChoices):
        DUCKDB = "duckdb", _("DuckDB (in process)")
        POSTGRES = "postgres", _("PostgreSQL (the application's database)")
        SPARK = "spark", "Apache Spark"  # a name, the same in every language

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    scope = models.TextField(blank=True, help_text=_("Offices, modes, goods and flows covered"))
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    sample_design = models.TextField(
        blank=True,
        help_text=_("How consignments were chosen (e.g. all declarations of one week)"),
    )
    targets_hours = models.CharField(
        max_length=100, default="24, 48, 72", help_text=_("Release-time targets, in hours")
    )
    max_hours = models.FloatField(
        null=True,
        blank=True,
        default=720.0,
        help_text=_("Outlier rule: exclude over this many hours"),
    )
    # The help texts of the outlier factor and the rates are not shown (the form blanks them:
    # its labels say it, web/trs.py), so they are not translated.
    iqr_factor = models.FloatField(
        null=True, blank=True, default=3.0, help_text="Outlier rule: exclude above Q3 + k x IQR"
    )
    replicates = models.PositiveIntegerField(default=200, help_text=_("Bootstrap replicates"))
    rate_low = models.FloatField(default=0.6, help_text="Value of a day, % of goods value (low)")
    rate_central = models.FloatField(default=1.35, help_text="... central")
    rate_high = models.FloatField(default=2.1, help_text="... high")
    rates_by_section = models.TextField(
        blank=True,
        help_text=_("Other rates for some goods, one HS section a line: XVI: 0.8, 1.5, 2.1"),
    )
    engine = models.CharField(max_length=10, choices=Engine.choices, default=Engine.DUCKDB)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    progress = models.FloatField(default=0.0)
    progress_text = models.CharField(max_length=200, blank=True)
    #: Words (``core.words``), translated when read; a study run before 0003 holds its text.
    message = models.JSONField(blank=True, default=str)
    result = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.title


class EventFile(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="trs/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["study", "sha256"], name="trs_file_once_per_study")
        ]

    def __str__(self) -> str:
        return self.original_name
