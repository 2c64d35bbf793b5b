"""The audit log for administrators: filtered by person, organisation, object, kind of event and
period; each event with what it recorded (before and after where the change names them) and a
link to its object; the filter exported as CSV or as JSON Lines that re-verify offline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from greenlane.apps.accounts.models import Organisation
from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit import queries
from greenlane.apps.audit.models import AuditEvent
from greenlane.web.exports import table_file
from greenlane.web.keyset import Keyset

PAGES = Keyset(("-seq",))

#: Where an event's object is shown, by its type: the page's URL name, taking the object's key.
OBJECT_PAGES = {
    "accounts.accessrequest": "access_request_detail",
    "certification.application": "application_detail",
    "certification.certificate": "certificate_detail",
    "certification.mutualrecognition": "mra_detail",
    "operators.operator": "operator_detail",
    "declarations.ingestbatch": "batch_detail",
    "declarations.upload": "upload_detail",
    "declarations.declaration": "declaration_detail",
    "declarations.savedmapping": "mapping_detail",
    "origin.origincertificate": "origin_detail",
    "targeting.ruleprofile": "rule_detail",
    "targeting.simulationrun": "simulation_detail",
    "monitoring.alert": "alert_detail",
    "trs.study": "trs_detail",
}


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label=gettext_lazy("Person (username)"))
    organisation = forms.ModelChoiceField(
        Organisation.objects.order_by("name"), required=False, label=gettext_lazy("Organisation")
    )
    subject_type = forms.CharField(
        required=False,
        max_length=80,
        label=gettext_lazy("Kind of object"),
        help_text=gettext_lazy("e.g. certification.application"),
        widget=forms.TextInput(attrs={"list": "object-kinds"}),
    )
    subject_id = forms.CharField(required=False, max_length=80, label=gettext_lazy("Object number"))
    action = forms.CharField(
        required=False,
        max_length=120,
        label=gettext_lazy("Event starts with"),
        help_text=gettext_lazy("e.g. certification."),
    )
    date_from = forms.DateField(
        required=False,
        label=gettext_lazy("From (UTC)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False,
        label=gettext_lazy("To (UTC)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("the end comes before the start"))
        return data

    def chosen(self) -> queries.Filter:
        """The filter the valid fields make (a field in error filters nothing)."""
        self.is_valid()
        data = self.cleaned_data
        organisation = data.get("organisation")
        return queries.Filter(
            actor=(data.get("actor") or "").strip(),
            organisation_id=organisation.pk if organisation else None,
            subject_type=(data.get("subject_type") or "").strip().lower(),
            subject_id=(data.get("subject_id") or "").strip(),
            action=(data.get("action") or "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def object_link(event: AuditEvent, role: str) -> str | None:
    """The page of the event's object, when there is one the person's role may open."""
    name = OBJECT_PAGES.get(event.subject_type)
    if not name or not event.subject_id.isdigit():
        return None
    try:
        url = reverse(name, args=[int(event.subject_id)])
    except NoReverseMatch:  # a key past what the page's URL takes
        return None
    allowed = getattr(resolve(url).func, "allowed_roles", None)
    return url if allowed is None or role in allowed else None


def changes(data: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for an event that recorded both sides of a change."""
    before, after = data.get("before"), data.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after))]


@require_safe
@role_required({Role.ADMINISTRATOR})
def audit_log(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    chosen = form.chosen() if request.GET else queries.Filter()
    export = request.GET.get("export")
    if export == "jsonl":
        response = StreamingHttpResponse(
            queries.export_jsonl(chosen), content_type="application/x-ndjson; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="audit-log.jsonl"'
        return response
    if export == "csv":
        return table_file("csv", queries.CSV_HEADER, queries.export_rows(chosen), "audit-log")
    page = PAGES.page(queries.events(chosen), request)
    rows = [
        {
            "event": e,
            "link": object_link(e, request.user.role),
            "changes": changes(e.data),
            "data": e.data,
        }
        for e in page
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "object_kinds": sorted(OBJECT_PAGES),
        "filtered": any(v for k, v in request.GET.items() if k not in ("after", "before")),
    }
    return render(request, "audit/log.html", context)
