from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from greenlane.apps.accounts.models import Organisation


class SizeClass(models.TextChoices):
    """EU Recommendation 2003/361 headcount classes; the first three are MSMEs."""

    MICRO = "micro", _("Micro (< 10 staff)")
    SMALL = "small", _("Small (< 50 staff)")
    MEDIUM = "medium", _("Medium (< 250 staff)")
    LARGE = "large", pgettext_lazy("size of a company", "Large")


MSME_CLASSES = (SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM)


class TradeRole(models.TextChoices):
    IMPORTER = "importer", _("Importer")
    BROKER = "broker", _("Customs broker (declarant)")
    EXPORTER = "exporter", _("Foreign exporter (seller)")


class Operator(models.Model):
    """A company known to customs. ``code`` is the trader identifier used on declarations."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    trade_role = models.CharField(max_length=20, choices=TradeRole.choices)
    national_id = models.CharField(
        max_length=40, blank=True, help_text="e.g. business registration number"
    )
    eori = models.CharField(max_length=17, blank=True)
    size_class = models.CharField(max_length=10, choices=SizeClass.choices)
    employees = models.PositiveIntegerField()
    established_on = models.DateField()
    organisation = models.OneToOneField(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="operator"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_msme(self) -> bool:
        return self.size_class in MSME_CLASSES

    def years_in_business(self, on: date) -> int:
        years = on.year - self.established_on.year
        return years - ((on.month, on.day) < (self.established_on.month, self.established_on.day))


class AeoAuthorisation(models.Model):
    """An AEO status an operator holds, domestic or under a partner's programme.

    The certification lifecycle (applications, decisions, certificates) is owned by the
    certification app; this record is the status other parts of the system read.
    """

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="authorisations")
    programme = models.CharField(max_length=40)
    tier = models.CharField(max_length=20, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    certificate = models.ForeignKey(
        "certification.Certificate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the certificate issued here; none for a status recorded from a register",
    )

    class Meta:
        ordering = ["operator", "programme"]

    def __str__(self) -> str:
        return f"{self.programme} {self.tier}".strip()


def supersede(operator_id: int, programme: str, start: date) -> int:
    """End the statuses of ``operator_id`` under ``programme`` that run on ``start`` or later
    the day before it: a new status (an upgrade, a renewal) replaces them, an operator holds
    one status per programme at a time. Returns how many were ended."""
    before = date.fromordinal(start.toordinal() - 1)
    # One that began on ``start`` itself is replaced whole (its end falls before its start:
    # in force on no day, kept for the record).
    overlapping = AeoAuthorisation.objects.filter(
        operator_id=operator_id, programme=programme, valid_from__lte=start
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
    return overlapping.update(valid_to=before)


def in_force(day: date, country: str | None = None) -> QuerySet[AeoAuthorisation]:
    """The statuses in force on ``day``; with ``country``, of operators established there
    (the administration's own AEOs, not partners' under an MRA). Every figure of AEOs
    counts from here."""
    held = AeoAuthorisation.objects.filter(valid_on(day))
    return held.filter(operator__country=country) if country is not None else held


def valid_on(day: date) -> Q:
    """Authorisations in force on ``day`` (valid_to is inclusive; open-ended when empty)."""
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class ConsultantAccess(models.Model):
    """An operator lets a consultancy act for it; revoking ends the access at once."""

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="consultant_access"
    )
    consultancy = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="clients")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "consultancy"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_access_per_consultancy",
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultancy_id} for {self.operator_id}"


class ValidatorAssignment(models.Model):
    """A customs validator assigned to an operator's file: the validators who may read its
    self-tests' evidence. Ending an assignment ends that access at once."""

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="validator_assignments"
    )
    validator = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "validator"],
                condition=Q(ended_at__isnull=True),
                name="one_active_assignment_per_validator",
            )
        ]

    def __str__(self) -> str:
        return f"validator {self.validator_id} on {self.operator_id}"
