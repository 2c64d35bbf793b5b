"""Certificates of origin received from partner customs, and the trust list they are checked
against: each partner's certificates (roots or issuing authorities) with the dates this
administration trusted them, and their revocation lists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from greenlane.apps.accounts.models import Organisation


class TrustAnchor(models.Model):
    """A certificate this administration trusts for a partner's certificates of origin, from
    ``trusted_from`` until ``retired_on`` (exclusive). Rotating a key is adding the new one
    and retiring the old one on a date; nothing is deleted, so an old signature is still
    judged by the list as it stood on its signing date."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    partner = models.CharField(max_length=2, help_text=_("ISO 3166 code of the partner economy"))
    label = models.CharField(max_length=200, blank=True)
    pem = models.TextField()
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the DER certificate
    subject = models.CharField(max_length=500)
    serial = models.CharField(max_length=64)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    is_authority = models.BooleanField(default=False)  # a CA: it vouches for what it issued
    trusted_from = models.DateField()
    retired_on = models.DateField(null=True, blank=True)
    retired_reason = models.CharField(max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "-trusted_from", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "partner", "fingerprint"], name="origin_anchor_once"
            )
        ]

    def __str__(self) -> str:
        return self.label or self.subject


class RevocationList(models.Model):
    """A certificate revocation list (CRL) of an authority in a partner's trust list."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    partner = models.CharField(max_length=2)
    der = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    issuer = models.CharField(max_length=500)
    this_update = models.DateTimeField()
    next_update = models.DateTimeField(null=True, blank=True)
    revoked = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "-this_update", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sha256"], name="origin_crl_once")
        ]

    def __str__(self) -> str:
        return self.issuer


class OriginCertificate(models.Model):
    """A certificate of origin as received: its bytes unchanged, their hash, what verifying
    them found, and the figures the signature covers."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, verified")
        REJECTED = "rejected", _("Rejected")
        PARTLY_UTILISED = "partly_utilised", _("Partly utilised")
        UTILISED = "utilised", _("Utilised")
        EXHAUSTED = "exhausted", _("Exhausted")
        CANCELLED = "cancelled", _("Cancelled by its issuer")
        REPLACED = "replaced", _("Replaced by its issuer")

    class Channel(models.TextChoices):
        UPLOAD = "upload", _("Uploaded on a page")
        API = "api", _("Sent through the API")
        CLI = "cli", _("Read by the command line")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    partner = models.CharField(max_length=2, blank=True)
    number = models.CharField(max_length=64, blank=True)
    agreement = models.CharField(max_length=32, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    exporter_id = models.CharField(max_length=64, blank=True)
    importer_id = models.CharField(max_length=64, blank=True)
    document = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices)
    reasons = models.JSONField(default=list, blank=True)  # why it was rejected (stored words)
    figures = models.JSONField(default=dict, blank=True)  # core.origin.document.read
    signer = models.CharField(max_length=500, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["organisation", "-received_at", "-id"], name="origin_cert_recent"),
            models.Index(fields=["organisation", "number"], name="origin_cert_number"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sha256"], name="origin_cert_bytes_once"
            ),
            # One accepted certificate per number and partner; rejected copies may pile up.
            models.UniqueConstraint(
                fields=["organisation", "partner", "number"],
                condition=~Q(status="rejected"),
                name="origin_cert_number_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number or self.sha256[:12]

    def reason_words(self) -> list[Any]:
        """Why it was rejected: words to translate for the reader (``core.words.read``)."""
        from greenlane.core.words import read

        return [read(r) for r in self.reasons]

    def english_reasons(self) -> list[str]:
        """The same in English: the stable phrases a partner's system or the CLI reads."""
        return [str(r) for r in self.reason_words()]


class VerificationRequest(models.Model):
    """A request to the exporting side's authority to confirm a certificate of origin: the
    questions, the day it went out and the day a reply is due (from the agreement's terms,
    or set by the officer where the agreement data does not say), an extension, and the
    outcome. Goods may be released against a guarantee meanwhile."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for the reply")
        CONFIRMED = "confirmed", _("Origin confirmed")
        NOT_CONFIRMED = "not_confirmed", _("Origin not confirmed")
        NO_REPLY = "no_reply", _("No reply in time")

    class DueFrom(models.TextChoices):
        AGREEMENT = "agreement", _("the agreement's terms")
        OFFICER = "officer", _("the officer")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(
        OriginCertificate, on_delete=models.PROTECT, related_name="verifications"
    )
    questions = models.TextField()
    sent_on = models.DateField()
    due_on = models.DateField()
    due_from = models.CharField(max_length=10, choices=DueFrom.choices)
    extended_to = models.DateField(null=True, blank=True)
    released_against_guarantee = models.BooleanField(default=False)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, default=Outcome.PENDING)
    reply_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            # One open request per certificate: a second question goes into the first.
            models.UniqueConstraint(
                fields=["certificate"],
                condition=Q(outcome="pending"),
                name="origin_one_open_verification",
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate} ({self.sent_on})"

    @property
    def deadline(self) -> Any:
        return self.extended_to or self.due_on
