"""Organisation kinds and user roles, and which roles belong to which kind of organisation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    CUSTOMS = "customs", _("Customs administration")
    OPERATOR = "operator", _("Economic operator")
    CONSULTANCY = "consultancy", _("Consultancy")


class Role(models.TextChoices):
    TRADER = "trader", _("Trader")
    CONSULTANT = "consultant", _("Consultant")
    VALIDATOR = "validator", _("AEO validator")
    DECISION_OFFICER = "decision_officer", _("AEO decision officer")
    RISK_ANALYST = "risk_analyst", _("Risk analyst")
    INSPECTION_OFFICER = "inspection_officer", _("Inspection officer")
    STATISTICIAN = "statistician", _("Statistician")
    ADMINISTRATOR = "administrator", _("Administrator")


CUSTOMS_ROLES = frozenset(
    {
        Role.VALIDATOR,
        Role.DECISION_OFFICER,
        Role.RISK_ANALYST,
        Role.INSPECTION_OFFICER,
        Role.STATISTICIAN,
        Role.ADMINISTRATOR,
    }
)
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.CUSTOMS: CUSTOMS_ROLES,
    OrganisationKind.OPERATOR: frozenset({Role.TRADER}),
    OrganisationKind.CONSULTANCY: frozenset({Role.CONSULTANT}),
}
# The roles of a company's or a consultancy's people (who may manage their colleagues).
COMPANY_ROLES = frozenset({Role.TRADER, Role.CONSULTANT})
# Customs roles that work with operator files (AEO programme) and with declarations (risk).
AEO_ROLES = frozenset({Role.VALIDATOR, Role.DECISION_OFFICER, Role.ADMINISTRATOR})
DECLARATION_ROLES = frozenset(
    {Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.STATISTICIAN, Role.ADMINISTRATOR}
)
