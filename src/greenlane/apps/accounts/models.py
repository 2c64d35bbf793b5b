from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from greenlane.apps.accounts.roles import (
    COMPANY_ROLES,
    CUSTOMS_ROLES,
    ROLES_BY_KIND,
    OrganisationKind,
    Role,
)


class Organisation(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="users", null=True
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    manages_colleagues = models.BooleanField(
        gettext_lazy("Manages colleagues"),
        default=False,
        help_text=gettext_lazy(
            "a company's or consultancy's person who invites and removes its people"
        ),
    )
    pending_email = models.EmailField(
        blank=True, help_text="a new address, used once its owner follows the link sent to it"
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text="the interface's language for this person, their e-mails and PDF reports; "
        "empty: the browser's",
    )

    class Meta:
        ordering = ["username"]

    def clean(self) -> None:
        super().clean()
        if self.organisation and self.role not in ROLES_BY_KIND[self.organisation.kind]:
            raise ValidationError(
                {
                    "role": _("a %(kind)s user cannot be a %(role)s")
                    % {"kind": self.organisation.get_kind_display(), "role": self.role}
                }
            )
        if self.manages_colleagues and self.role not in COMPANY_ROLES:
            raise ValidationError(
                {"manages_colleagues": _("customs people are managed by an administrator")}
            )

    @property
    def is_customs(self) -> bool:
        return self.role in CUSTOMS_ROLES


class AccessRequest(models.Model):
    """A company or consultancy asking for access on its own (issue 18, point 2). It reaches
    customs once its e-mail address is confirmed by the link sent to it; an administrator then
    approves it (an organisation, its operator record, a first person) or refuses it."""

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", gettext_lazy("Address not confirmed")
        WAITING = "waiting", gettext_lazy("Waiting for customs")
        APPROVED = "approved", pgettext_lazy("state of a request", "Approved")
        REFUSED = "refused", pgettext_lazy("state of a request", "Refused")

    kind = models.CharField(
        max_length=20,
        choices=[
            (OrganisationKind.OPERATOR.value, gettext_lazy("Company (economic operator)")),
            (OrganisationKind.CONSULTANCY.value, OrganisationKind.CONSULTANCY.label),
        ],
    )
    legal_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    identifier = models.CharField(
        max_length=40, blank=True, help_text="the trader identifier on customs declarations"
    )
    national_id = models.CharField(max_length=40, blank=True)
    eori = models.CharField(max_length=17, blank=True)
    trade_role = models.CharField(max_length=20, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    established_on = models.DateField(null=True, blank=True)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    message = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNVERIFIED)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.get_status_display()})"
