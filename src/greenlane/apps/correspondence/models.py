"""A message is written once and never changed; its attachments passed the evidence checks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Side(models.TextChoices):
    COMPANY = "company", _("The company")
    CUSTOMS = "customs", pgettext_lazy("side of a correspondence", "Customs")


class Message(models.Model):
    application = models.ForeignKey(
        "certification.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    certificate = models.ForeignKey(
        "certification.Certificate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    text = models.TextField(blank=True)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False, certificate__isnull=True)
                | Q(application__isnull=True, certificate__isnull=False),
                name="message_on_one_thing",
            )
        ]
        indexes = [
            models.Index(fields=["application", "sent_at"], name="message_application"),
            models.Index(fields=["certificate", "sent_at"], name="message_certificate"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} by {self.author_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="correspondence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name
