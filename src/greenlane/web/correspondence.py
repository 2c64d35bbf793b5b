"""Correspondence on an application or a certificate: the thread on the thing's page, the
form that writes to it, and the attachments' downloads (issue 18, point 5)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.certification.models import Application, Certificate
from greenlane.apps.certification.permissions import (
    VIEW_ROLES,
    visible_applications,
    visible_certificates,
)
from greenlane.apps.correspondence import services as correspondence
from greenlane.apps.correspondence.models import Attachment
from greenlane.apps.correspondence.permissions import Thing, may_read, side_of
from greenlane.apps.wording import said
from greenlane.web.exports import private_file
from greenlane.web.middleware import takes_files


def thread_of(user: Any, thing: Thing) -> dict[str, Any] | None:
    """What the thing's page shows of its thread (None: the person may not read it)."""
    if not may_read(user, thing):
        return None
    kind = "application" if isinstance(thing, Application) else "certificate"
    return {
        "messages": correspondence.thread(thing),
        "can_write": side_of(user, thing) is not None,
        "post_url": reverse(f"{kind}_message", args=[thing.pk]),
        "max_files": correspondence.MAX_FILES,
    }


def timeline(events: Any, thread: dict[str, Any] | None) -> list[tuple[Any, str, Any]]:
    """The thing's changes and, for those who read its thread, its messages, by date."""
    rows = [(e.at, "event", e) for e in events]
    rows += [(m.sent_at, "message", m) for m in (thread or {}).get("messages", [])]
    return sorted(rows, key=lambda row: row[0])


def _post(request: AuthenticatedRequest, thing: Thing) -> HttpResponse:
    if not may_read(request.user, thing):
        raise Http404(_("no such thread"))
    try:
        correspondence.post(
            request.user, thing, request.POST.get("text", ""), request.FILES.getlist("files")
        )
    except correspondence.NotAllowed as exc:
        raise PermissionDenied(said(exc)) from None
    except correspondence.Refused as exc:
        messages.error(request, _("Not sent: %(reason)s.") % {"reason": exc})
    else:
        messages.success(request, _("Message sent."))
    return redirect(correspondence.link(thing))


@require_POST
@takes_files("evidence")  # the files together
@role_required(VIEW_ROLES)
def application_message(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _post(request, get_object_or_404(visible_applications(request.user), pk=pk))


@require_POST
@takes_files("evidence")
@role_required(VIEW_ROLES)
def certificate_message(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(
        visible_certificates(request.user).select_related("application"), pk=pk
    )
    return _post(request, certificate)


@require_safe
@role_required(VIEW_ROLES)
def attachment_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(
        Attachment.objects.select_related("message__application", "message__certificate"), pk=pk
    )
    thing: Application | Certificate | None = (
        attachment.message.application or attachment.message.certificate
    )
    if thing is None or not may_read(request.user, thing):
        raise Http404(_("no such file"))
    correspondence.attachment_read(attachment, request.user)
    return private_file(attachment.file, attachment.original_name, attachment.content_type)
