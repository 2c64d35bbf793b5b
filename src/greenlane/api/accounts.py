from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str
    organisation: str | None
    organisation_kind: str | None


@router.get("/me", response=MeOut, summary="The logged-in user, role and organisation")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    org = user.organisation  # type: ignore[union-attr]
    return MeOut(
        username=user.get_username(),
        role=user.role,  # type: ignore[union-attr]
        organisation=org.name if org else None,
        organisation_kind=org.kind if org else None,
    )
