from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from greenlane.apps.accounts.roles import CUSTOMS_ROLES, ROLES_BY_KIND, OrganisationKind, Role


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

    class Meta:
        ordering = ["username"]

    def clean(self) -> None:
        super().clean()
        if self.organisation and self.role not in ROLES_BY_KIND[self.organisation.kind]:
            raise ValidationError(
                {"role": f"a {self.organisation.get_kind_display()} user cannot be a {self.role}"}
            )

    @property
    def is_customs(self) -> bool:
        return self.role in CUSTOMS_ROLES
