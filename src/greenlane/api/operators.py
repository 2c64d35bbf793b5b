from __future__ import annotations

from datetime import date

from ninja import Router, Schema
from ninja.pagination import paginate

from greenlane.api.auth import RoleAuth
from greenlane.api.pagination import Pages
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.operators.models import Operator
from greenlane.apps.operators.permissions import (
    OPERATOR_ROLES,
    get_visible_operator,
    visible_operators,
)

router = Router(tags=["operators"], auth=RoleAuth(OPERATOR_ROLES))


class AuthorisationOut(Schema):
    programme: str
    tier: str
    valid_from: date
    valid_to: date | None


class OperatorOut(Schema):
    id: int
    code: str
    name: str
    country: str
    trade_role: str
    size_class: str
    is_msme: bool


class OperatorDetailOut(OperatorOut):
    national_id: str
    eori: str
    employees: int
    established_on: date
    authorisations: list[AuthorisationOut]


@router.get("", response=list[OperatorOut], summary="Operators the caller may see")
@paginate(Pages)
def list_operators(request: AuthenticatedRequest, q: str = "") -> list[Operator]:
    operators = visible_operators(request.user).order_by("name", "code")
    if q:
        operators = operators.filter(name__icontains=q) | operators.filter(code__iexact=q)
    return operators  # type: ignore[return-value]


@router.get(
    "/{operator_id}", response=OperatorDetailOut, summary="One operator with its AEO status"
)
def get_operator(request: AuthenticatedRequest, operator_id: Id) -> Operator:
    return get_visible_operator(request.user, operator_id)
