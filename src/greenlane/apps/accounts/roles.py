"""Organisation kinds and user roles, and which roles belong to which kind of organisation."""

from __future__ import annotations

from django.db import models


class OrganisationKind(models.TextChoices):
    CUSTOMS = "customs", "Customs administration"
    OPERATOR = "operator", "Economic operator"
    CONSULTANCY = "consultancy", "Consultancy"


class Role(models.TextChoices):
    TRADER = "trader", "Trader"
    CONSULTANT = "consultant", "Consultant"
    VALIDATOR = "validator", "AEO validator"
    DECISION_OFFICER = "decision_officer", "AEO decision officer"
    RISK_ANALYST = "risk_analyst", "Risk analyst"
    INSPECTION_OFFICER = "inspection_officer", "Inspection officer"
    STATISTICIAN = "statistician", "Statistician"
    ADMINISTRATOR = "administrator", "Administrator"


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
