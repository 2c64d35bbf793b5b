"""The model registry and the scores it produced."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.declarations.models import Declaration
from greenlane.core.words import Words, gettext_noop


class ModelVersion(models.Model):
    """One trained risk model: what it learned from, how it did, and where its artifact is."""

    version = models.PositiveIntegerField(unique=True)
    is_active = models.BooleanField(
        default=False, help_text="the version that scores new declarations"
    )
    activated_at = models.DateTimeField(
        null=True, blank=True, help_text="when it last became the active version (kept after)"
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
    comparison = models.JSONField(
        default=dict,
        blank=True,
        help_text="champion/challenger: both versions on the same held-out declarations",
    )
    reference = models.JSONField(
        default=dict, blank=True, help_text="the score distribution at training, for drift"
    )
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
    """A declaration's score by one model version: derived data, written in bulk
    (``scoring.store``), 10^5 rows a second. So the table keeps only what its reads need:
    three indexes (the key; one score per declaration and version, which also finds a
    declaration's scores; a version's scores highest first, for its lists) and no foreign-key
    constraints in the database, whose row-by-row checks cost twice the write itself. The
    relations hold in Django (a declaration deleted through it takes its scores along, a
    version with scores cannot be deleted); decision 0021."""

    declaration = models.ForeignKey(
        Declaration,
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,
        db_constraint=False,
    )
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        related_name="scores",
        db_index=False,
        db_constraint=False,
    )
    probability = models.FloatField()
    revenue_at_stake = models.DecimalField(max_digits=18, decimal_places=2)
    reasons = models.JSONField(default=list)
    scored_at = models.DateTimeField(auto_now_add=True)
    #: The declaration's date, kept with its score (a declaration's date never changes): a
    #: version's scores of a period are read from the (version, date) index alone, without
    #: joining the declarations (the model page's drift, at any number of years on record).
    declaration_date = models.DateField(null=True)

    class Meta:
        ordering = ["-probability"]
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "model_version"], name="one_score_per_model"
            )
        ]
        indexes = [
            models.Index(fields=["model_version", "-probability", "id"], name="score_version_rank"),
            models.Index(fields=["model_version", "declaration_date"], name="score_version_date"),
        ]

    def __str__(self) -> str:
        return f"{self.declaration_id}: {self.probability:.3f}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.declaration_date is None and self.declaration_id is not None:
            self.declaration_date = self.declaration.declaration_date
        super().save(*args, **kwargs)


#: The channels by their names, as a sentence or a table cell says them ("red"; the codes are
#: the same words in English).
CHANNEL_NAMES = {
    "red": pgettext_lazy("selectivity channel", "red"),
    "yellow": pgettext_lazy("selectivity channel", "yellow"),
    "blue": pgettext_lazy("selectivity channel", "blue"),
    "green": pgettext_lazy("selectivity channel", "green"),
}


def channel_name(code: str) -> str:
    """A channel's name in the reader's language (a code it does not know, as it is)."""
    return str(CHANNEL_NAMES.get(code, code))


class RuleProfile(models.Model):
    """A risk analyst's selectivity rule (``core.risk.rulelang``), dated, with its action.

    A rule acts only when active; it is activated only after a dry run on recent
    declarations has shown how many it selects, and any change sends it back to draft."""

    class Action(models.TextChoices):
        FORCE = "force", _("Force a channel")
        SHIFT = "shift", _("Move the risk score")

    class Channel(models.TextChoices):
        RED = "red", _("Red (physical examination)")
        YELLOW = "yellow", _("Yellow (documents)")
        BLUE = "blue", _("Blue (post-clearance audit)")
        GREEN = "green", _("Green (release)")

    name = models.SlugField(max_length=60, unique=True)
    expression = models.TextField()
    action = models.CharField(max_length=5, choices=Action.choices)
    channel = models.CharField(max_length=6, choices=Channel.choices, blank=True)
    shift = models.FloatField(default=0.0, help_text=_("added to the score, -1 to 1"))
    reason = models.CharField(max_length=300, help_text=_("what officers read"))
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=False)
    revision = models.PositiveIntegerField(default=1)
    dry_run_revision = models.PositiveIntegerField(null=True, blank=True)
    dry_run_hits = models.PositiveIntegerField(null=True, blank=True)
    dry_run_rows = models.PositiveIntegerField(null=True, blank=True)
    dry_run_from = models.DateField(null=True, blank=True)
    dry_run_to = models.DateField(null=True, blank=True)
    dry_run_sample = models.JSONField(
        default=list, blank=True, help_text="numbers of declarations the dry run matched"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_name(self) -> str:
        """The channel it forces, in the reader's language ("" for a rule that shifts)."""
        return channel_name(self.channel) if self.channel else ""


class SelectivityPolicy(models.Model):
    """One version of an office's selectivity policy; the newest version of an office is in
    force, and earlier ones stay for the decisions they made."""

    office_code = models.CharField(max_length=10)
    version = models.PositiveIntegerField()
    capacity = models.PositiveIntegerField(help_text=_("physical examinations a day"))
    documentary_capacity = models.PositiveIntegerField(help_text=_("documentary checks a day"))
    expected_daily = models.PositiveIntegerField(help_text=_("declarations a day, expected"))
    min_random_rate = models.FloatField(default=0.01)
    exploration_share = models.FloatField(default=0.1)
    aeo_reduction = models.FloatField(default=0.2)
    partner_reduction = models.FloatField(
        default=0.1,
        help_text=_("share off the score when the seller is a partner AEO under an MRA"),
    )
    red_threshold = models.FloatField(default=0.0)
    yellow_threshold = models.FloatField(default=0.0)
    blue_revenue = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["office_code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["office_code", "version"], name="policy_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.office_code} v{self.version}"


class ApiToken(models.Model):
    """A customs system's key to the channel-decision API. Only its SHA-256 is kept; the key
    itself is shown once, when it is made (``greenlane token create``)."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(
        max_length=8, help_text="the key's first characters, to tell keys apart"
    )
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_label(self) -> str:
        """How the audit log names what the key did: ``key:`` and its name (a username cannot
        hold a colon, so the two never meet)."""
        return f"key:{self.name}"


class ChannelDecision(models.Model):
    """A channel given to a declaration, with everything that produced it."""

    number = models.CharField(max_length=40, db_index=True)
    office_code = models.CharField(max_length=10)
    declaration_date = models.DateField()
    importer_code = models.CharField(max_length=40)
    channel = models.CharField(max_length=6)
    probability = models.FloatField()
    score = models.FloatField(help_text="after the AEO benefit and score rules")
    revenue_at_stake = models.FloatField()
    reasons = models.JSONField(default=list)
    random = models.BooleanField(default=False)
    explored = models.BooleanField(default=False)
    aeo = models.BooleanField(default=False)
    policy = models.ForeignKey(SelectivityPolicy, on_delete=models.PROTECT, related_name="+")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    rules = models.JSONField(default=list, help_text="[name, revision] of the rules in force")
    matched_rules = models.JSONField(
        default=list, help_text="names of the rules this declaration matched"
    )
    token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the inspection officer who is to check it",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    waiting = models.BooleanField(
        db_default=False,
        editable=False,
        help_text="sent to a check (red or yellow) and no result recorded yet; kept by the "
        "database (apps/targeting/waiting.py)",
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["office_code", "declaration_date"], name="decision_office_day_idx"
            ),
            # A month's decisions, for the lake (export and retirement, ``targeting.lake``).
            models.Index(fields=["declaration_date"], name="decision_day_idx"),
            # The inspection queue: only what waits, oldest first (partial: the decisions
            # settled over the years are not in it).
            models.Index(
                fields=["declaration_date", "decided_at", "id"],
                condition=models.Q(waiting=True),
                name="decision_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.channel}"

    @property
    def channel_name(self) -> str:
        """The channel, in the reader's language (``channel`` stays the code)."""
        return channel_name(self.channel)


class Job(models.Model):
    """What a background job of this app shares: status, progress and who asked."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", pgettext_lazy("state of a background job", "Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    message = models.JSONField(default=str, blank=True)  # words (Words.as_json) or a text
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at"]


class TrainingRun(Job):
    """One (re)training: asked for by an analyst or by the weekly schedule. The version it
    trained waits as a challenger until an analyst promotes it."""

    #: The Monday of the week a scheduled run belongs to (one per week, whatever the workers).
    week = models.DateField(null=True, blank=True)
    version = models.ForeignKey(
        ModelVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(Job.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["week"], condition=models.Q(week__isnull=False), name="one_retrain_a_week"
            )
        ]

    def __str__(self) -> str:
        return f"training {self.requested_at:%Y-%m-%d %H:%M}"


class ScoringRun(Job):
    """Scoring what is stored with one model version, in the background: after an ingest,
    after a promotion or a rollback, or on request. It scores what that version has not
    scored yet, so a run stopped half-way is finished by the next one."""

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    cause = models.CharField(max_length=200, help_text="why it was queued, in words")
    scored = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(
        null=True, blank=True, help_text="declarations to score, counted when it starts"
    )

    def __str__(self) -> str:
        return f"scoring with v{self.version_id} ({self.cause})"

    @property
    def cause_words(self) -> Words | str:
        """Why it was queued, to read in the reader's language: ``cause`` keeps the English
        (audit, CLI); the causes Greenlane writes itself are read back as words."""
        for pattern, message in CAUSES:
            found = pattern.fullmatch(self.cause)
            if found:
                return Words(message.message, found.groupdict())
        return self.cause


#: Why scoring runs are queued: each cause as words, and the English it is kept as.
INGESTED = gettext_noop("ingest of %(file)s")
ACTIVATED = gettext_noop("v%(version)s became the active model")
CAUSES = [
    (re.compile(r"ingest of (?P<file>.+)", re.S), INGESTED),
    (re.compile(r"v(?P<version>\d+) became the active model"), ACTIVATED),
]


class SimulationRun(Job):
    """A replay of a past period under a policy scenario (``core.risk.simulation``)."""

    period_from = models.DateField()
    period_to = models.DateField()
    office_code = models.CharField(max_length=10, blank=True, help_text="empty: every office")
    inspection_rate = models.FloatField()
    min_random_rate = models.FloatField()
    exploration_share = models.FloatField()
    aeo_reduction = models.FloatField()
    seed = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"simulation {self.period_from} to {self.period_to}"


class KeyUsage(models.Model):
    """Declarations one API key sent in one window (a minute or a day), counted with a
    conditional update so that every process and host shares the count (``quota.py``)."""

    class Window(models.TextChoices):
        MINUTE = "minute"
        DAY = "day"

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="usage")
    window = models.CharField(max_length=6, choices=Window.choices)
    starts_at = models.DateTimeField()
    declarations = models.PositiveBigIntegerField(default=0)
    alerted = models.BooleanField(default=False, help_text="the limit was reported once")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "window", "starts_at"], name="one_count_per_key_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.window} {self.starts_at:%Y-%m-%d %H:%M}: {self.declarations}"
