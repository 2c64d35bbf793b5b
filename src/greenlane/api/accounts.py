from __future__ import annotations

from ninja import Router, Schema

from greenlane.apps.accounts.requests import AuthenticatedRequest

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str
    organisation: str | None
    organisation_kind: str | None


@router.get("/me", response=MeOut, summary="The logged-in user, role and organisation")
def me(request: AuthenticatedRequest) -> MeOut:
    user = request.user
    org = user.organisation
    return MeOut(
        username=user.get_username(),
        role=user.role,
        organisation=org.name if org else None,
        organisation_kind=org.kind if org else None,
    )
