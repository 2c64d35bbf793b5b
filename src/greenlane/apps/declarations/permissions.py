"""Who may see which declarations: the one place the declarations app decides it."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from greenlane.apps.accounts.roles import DECLARATION_ROLES, Role
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.operators.permissions import visible_operators


def sees_declarations(user: Any) -> bool:
    """Whether ``user`` sees any declarations at all (which ones: ``visible_declarations``)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.role in DECLARATION_ROLES or user.role in (Role.TRADER, Role.CONSULTANT))
    )


def visible_declarations(user: Any) -> QuerySet[Declaration]:
    """Customs risk, inspection and statistics roles see all declarations; traders and their
    consultants see the declarations their operators lodged as importer or declarant."""
    if not user.is_authenticated or not user.is_active:
        return Declaration.objects.none()
    if user.role in DECLARATION_ROLES:
        return Declaration.objects.all()
    if user.role in (Role.TRADER, Role.CONSULTANT):
        # The codes as a list, not a subquery: "importer IN (list) OR declarant IN (list)" is
        # two index scans joined (a bitmap OR); with two subqueries PostgreSQL reads every
        # declaration on record to test each one.
        codes = list(visible_operators(user).values_list("code", flat=True))
        return Declaration.objects.filter(Q(importer_code__in=codes) | Q(declarant_code__in=codes))
    return Declaration.objects.none()


def visible_declarations_of_importer(user: Any, code: str) -> QuerySet[Declaration]:
    """The declarations ``code`` lodged as importer that ``user`` sees. For a company's own
    code (or a client's) that is one range of the (importer, date) index: filtering
    ``visible_declarations`` instead asks PostgreSQL for every declaration naming the
    company on either side, its whole history, before the importer's newest are picked."""
    if not sees_declarations(user):
        return Declaration.objects.none()
    mine = Declaration.objects.filter(importer_code=code)
    if user.role in DECLARATION_ROLES:
        return mine
    codes = list(visible_operators(user).values_list("code", flat=True))
    return mine if code in codes else mine.filter(declarant_code__in=codes)


#: Who hands in declaration files and inspection results, and reads the ingest reports.
INGEST_ROLES = frozenset({Role.RISK_ANALYST, Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})

#: Who records inspection results.
RESULT_ROLES = frozenset({Role.INSPECTION_OFFICER, Role.ADMINISTRATOR})
