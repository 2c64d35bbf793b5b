"""The inbox in the API: one's own notices, newest first, and marking them read."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from greenlane.api.pagination import Pages
from greenlane.api.parser import Id
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.notices import services as notices
from greenlane.apps.notices.models import Notice

router = Router(tags=["notices"])


class NoticeOut(Schema):
    """A notice; its title and body in the request's language."""

    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None
    mail: str

    @staticmethod
    def resolve_title(obj: Notice) -> str:
        return obj.shown_title

    @staticmethod
    def resolve_body(obj: Notice) -> str:
        return obj.shown_body


class CountOut(Schema):
    unread: int


@router.get("", response=list[NoticeOut], summary="My notices, newest first")
@paginate(Pages)
def list_notices(request: AuthenticatedRequest, unread: bool = False) -> list[Notice]:
    found = notices.inbox(request.user)
    return found.filter(read_at__isnull=True) if unread else found  # type: ignore[return-value]


@router.get("/unread", response=CountOut, summary="How many of my notices are unread")
def unread_count(request: AuthenticatedRequest) -> CountOut:
    return CountOut(unread=notices.unread_count(request.user))


@router.post("/{notice_id}/read", response=NoticeOut, summary="Mark one of my notices read")
def read_notice(request: AuthenticatedRequest, notice_id: Id) -> Notice:
    notice = notices.open_notice(request.user, notice_id)
    if notice is None:
        raise Http404(_("no such notice"))
    notice.refresh_from_db()
    return notice


@router.post("/read", response=CountOut, summary="Mark all my notices read")
def read_all(request: AuthenticatedRequest) -> CountOut:
    notices.mark_all_read(request.user)
    return CountOut(unread=0)
