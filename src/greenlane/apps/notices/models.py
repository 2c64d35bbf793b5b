"""A notice is one person's copy of an event that asks them to act or tells them an outcome.

It is made in the transaction of the change it reports (no notice for a change that rolled
back), read in the inbox, and mailed by the worker after the commit (never in a request): at
once, or in the person's daily digest, as they chose for its kind (``Preference``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.accounts.roles import Role
from greenlane.apps.wording import translated


class Kind(models.TextChoices):
    ASSIGNED = "assigned", _("An application is assigned for review")
    INFORMATION_REQUESTED = "information_requested", _("Customs asks for information")
    ANSWER_RECEIVED = "answer_received", _("The company answered")
    SITE_VISIT = "site_visit", _("An on-site validation is planned")
    RECOMMENDATION = "recommendation", _("A recommendation waits for a decision")
    DECISION = "decision", _("A decision on an application")
    MESSAGE = "message", _("A message on an application or certificate")
    CERTIFICATE_CHANGED = (
        "certificate_changed",
        _("A certificate is suspended, revoked or restored"),
    )
    CERTIFICATE_EXPIRING = "certificate_expiring", _("A certificate expires soon")
    SELF_REVIEW_DUE = "self_review_due", _("A self-review is due")
    SELF_REVIEW_OVERDUE = "self_review_overdue", _("A self-review is overdue")
    ALERT_RAISED = "alert_raised", _("A monitoring alert is raised")
    JOB_FINISHED = "job_finished", _("Your ingest, study or training finished")
    JOB_FAILED = "job_failed", _("Your ingest, study or training failed")
    ACCESS_REQUESTED = "access_requested", _("A company or consultancy asks for access")


_COMPANY = (Role.TRADER, Role.CONSULTANT)
_FILES = (*_COMPANY, Role.VALIDATOR)
_JOBS = (Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.STATISTICIAN, Role.ADMINISTRATOR)
_WHO_GETS: dict[Kind, tuple[str, ...]] = {
    Kind.ASSIGNED: _FILES,
    Kind.INFORMATION_REQUESTED: _COMPANY,
    Kind.ANSWER_RECEIVED: (Role.VALIDATOR,),
    Kind.SITE_VISIT: _COMPANY,
    Kind.RECOMMENDATION: (Role.DECISION_OFFICER,),
    Kind.DECISION: _FILES,
    Kind.MESSAGE: _FILES,
    Kind.CERTIFICATE_CHANGED: _FILES,
    Kind.CERTIFICATE_EXPIRING: _FILES,
    Kind.SELF_REVIEW_DUE: _COMPANY,
    Kind.SELF_REVIEW_OVERDUE: _FILES,
    Kind.ALERT_RAISED: (Role.VALIDATOR, Role.DECISION_OFFICER),
    Kind.JOB_FINISHED: _JOBS,
    Kind.JOB_FAILED: _JOBS,
    Kind.ACCESS_REQUESTED: (Role.ADMINISTRATOR,),
}
#: The kinds a person of each role can be sent: the only ones their settings page offers.
KINDS_BY_ROLE: dict[str, tuple[Kind, ...]] = {
    role: tuple(kind for kind, roles in _WHO_GETS.items() if role in roles) for role in Role
}


class Delivery(models.TextChoices):
    INBOX = "inbox", _("Inbox only")
    EMAIL = "email", _("Inbox and e-mail")
    DIGEST = "digest", _("Inbox and a daily e-mail digest")


class Mail(models.TextChoices):  # i18n: not shown
    """Where a notice's e-mail stands. These labels are the command line's (``greenlane mail
    status``, in English); a page shows ``MAIL_SHOWN``, in the reader's language."""

    NONE = "none", "Inbox only"
    PENDING = "pending", "To be sent"
    SENDING = "sending", "Being sent"
    DIGEST = "digest", "Waits for the daily digest"
    SENT = "sent", "Sent"
    FAILED = "failed", "Could not be sent"
    SKIPPED = "skipped", "Not sent (no address, or the person left)"


#: Each e-mail state as a page shows it (``Notice.get_mail_display``).
MAIL_SHOWN: dict[str, object] = {
    Mail.NONE: _("Inbox only"),
    Mail.PENDING: _("To be sent"),
    Mail.SENDING: _("Being sent"),
    Mail.DIGEST: _("Waits for the daily digest"),
    Mail.SENT: pgettext_lazy("state of an e-mail", "Sent"),
    Mail.FAILED: _("Could not be sent"),
    Mail.SKIPPED: _("Not sent (no address, or the person left)"),
}


class Notice(models.Model):
    """``title`` and ``body`` are the English text (search, the command line, ``__str__``);
    what a person reads is ``shown_title`` and ``shown_body``: the stored words
    (``title_words``, ``body_words``) translated in the active language, or, for a notice
    written before words were stored (or given as plain text), the text as it is."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    title_words = models.JSONField(
        null=True,
        blank=True,
        help_text="the title as words (Words.as_json()), translated when read",
    )
    body_words = models.JSONField(
        null=True, blank=True, help_text="the body as words (Words.as_json()), translated when read"
    )
    link = models.CharField(max_length=500, help_text="the path of the thing the notice is about")
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    key = models.CharField(
        max_length=120, blank=True, help_text="a reminder's identity: made once per person"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    mail = models.CharField(max_length=10, choices=Mail.choices, default=Mail.NONE)
    mail_attempts = models.PositiveSmallIntegerField(default=0)
    mail_next_at = models.DateTimeField(null=True, blank=True)
    mail_error = models.CharField(max_length=300, blank=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notice_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notice_inbox"),
            models.Index(fields=["mail", "mail_next_at"], name="notice_outbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="one_reminder_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"

    @property
    def shown_title(self) -> str:
        """The title in the active language (the request's, or the addressee's in an e-mail)."""
        return translated(self.title_words) if self.title_words else self.title

    @property
    def shown_body(self) -> str:
        """The body in the active language."""
        return translated(self.body_words) if self.body_words else self.body

    def get_mail_display(self) -> str:
        """Where the e-mail stands, in the reader's language."""
        return str(MAIL_SHOWN.get(self.mail, self.mail))


class Preference(models.Model):
    """How a person wants one kind of notice; a kind without a row is mailed at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} by {self.delivery}"


class Sweep(models.Model):
    """A periodic piece of work done for a day (the day's reminders): the database keeps one,
    whatever the number of workers asking every ten minutes."""

    name = models.CharField(max_length=60)
    day = models.DateField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="one_sweep_a_day")]

    def __str__(self) -> str:
        return f"{self.name} on {self.day}"
