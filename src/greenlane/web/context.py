from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _

from greenlane import __version__
from greenlane.apps.notices.services import unread_count

NAV = (
    (_("Home"), "home"),
    (_("Self-test"), "selftest_start"),
    (_("Operators"), "operator_list"),
    (_("Programmes"), "catalogue_list"),
    (_("Applications"), "application_list"),
    (_("Certificates"), "certificate_list"),
    (_("MRAs"), "mra_list"),
    (_("Origin"), "origin_list"),
    (_("Alerts"), "alert_list"),
    (_("AEO statistics"), "certification_statistics"),
    (_("Ingests"), "batch_list"),
    (_("Risk scores"), "score_list"),
    (_("Models"), "model_list"),
    (_("Rules"), "rule_list"),
    (_("Queue"), "inspection_queue"),
    (_("Simulations"), "simulation_list"),
    (_("What-if"), "what_if"),
    (_("Release studies"), "trs_list"),
    (_("People"), "people_list"),
    (_("Access requests"), "access_request_list"),
    (_("Colleagues"), "colleague_list"),
    (_("Organisations"), "organisation_list"),
    (_("Audit log"), "audit_log"),
)


def _allowed(role: str, url_name: str) -> bool:
    """Read the roles off the view itself, so the menu never offers a page that answers 403."""
    allowed = getattr(resolve(reverse(url_name)).func, "allowed_roles", None)
    return allowed is None or role in allowed


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav = []
    pages: set[str] = set()
    if user is not None and user.is_authenticated:
        pages = {name for _label, name in NAV if _allowed(user.role, name)}
        nav = [(label, reverse(name)) for label, name in NAV if name in pages]
    return {
        "greenlane_version": __version__,
        "greenlane_mode": settings.MODE,
        "nav": nav,
        # The menu's pages the person may open: a link to one of their records is offered
        # only then ({% if "model_list" in menu_pages %}), never a link that answers 403.
        "menu_pages": pages,
        # The header's "Inbox (n)": one indexed count a page.
        "unread_notices": unread_count(user) if user is not None and user.is_authenticated else 0,
        "max_bytes": max_bytes(),
    }


def max_bytes() -> dict[str, int]:
    """The largest file each kind of form takes, for the browser to check before sending."""
    from greenlane.apps.certification.mra import MAX_LIST_MB
    from greenlane.apps.origin.services import MAX_DOCUMENT_BYTES

    return {
        "origin": MAX_DOCUMENT_BYTES,
        "data": settings.MAX_UPLOAD_MB << 20,
        "evidence": settings.MAX_EVIDENCE_MB << 20,
        "list": MAX_LIST_MB << 20,
    }


def limit(field: Any, kind: str = "data") -> None:
    """Mark a form's file field with its limit (see ``file-limits.js``)."""
    field.widget.attrs["data-max-bytes"] = str(max_bytes()[kind])
