"""Making a column mapping in the browser: hand in a sample file, pick a column per field."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations.models import SavedMapping
from greenlane.apps.declarations.permissions import INGEST_ROLES
from greenlane.apps.declarations.services import MappingRefused, save_mapping
from greenlane.apps.wording import translated
from greenlane.core.risk.mapping import MappingError, parse, shipped
from greenlane.core.risk.readers import MAX_COLUMNS, FileError, read_header
from greenlane.core.risk.schema import DECLARATION_FIELDS, LABEL_FIELDS
from greenlane.web.context import limit
from greenlane.web.middleware import takes_files


class SampleForm(forms.Form):
    sample = forms.FileField(
        label=gettext_lazy("Sample"),
        help_text=gettext_lazy(
            "A file of the layout to map (CSV, Parquet or .xlsx); only its header is read"
        ),
    )
    delimiter = forms.CharField(
        max_length=1,
        initial=",",
        label=gettext_lazy("Delimiter"),
        help_text=gettext_lazy("CSV only"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit(self.fields["sample"])


def _field_form(columns: list[str]) -> type[forms.Form]:
    choices = [("", _("— not in the file —")), *[(c, c) for c in columns]]
    fields: dict[str, Any] = {
        "name": forms.RegexField(
            regex=r"^[a-z0-9][a-z0-9_-]{0,59}$",
            label=_("Name"),
            help_text=_("lower case, digits, - and _"),
        ),
        "title": forms.CharField(required=False, max_length=200, label=_("Title")),
        "date_format": forms.CharField(
            initial="%Y-%m-%d",
            label=_("Date format"),
            help_text=_("e.g. %(example)s") % {"example": "%d/%m/%Y"},
        ),
        "currency": forms.CharField(required=False, max_length=3, label=_("Currency")),
        "columns": forms.CharField(widget=forms.HiddenInput, initial=json.dumps(columns)),
        "delimiter": forms.CharField(widget=forms.HiddenInput, initial=","),
    }
    for f in (*DECLARATION_FIELDS, *LABEL_FIELDS):
        guess = next(
            (
                c
                for c in columns
                if c.lower().replace(" ", "_") in (f.name, f.name.replace("_code", ""))
            ),
            "",
        )
        # The field's title is the core schema's, in English.
        label = _("%(title)s (required)") % {"title": f.title} if f.required else f.title
        fields[f"field_{f.name}"] = forms.ChoiceField(
            choices=choices, required=f.required, label=label, initial=guess
        )
    fields["attributes"] = forms.MultipleChoiceField(
        choices=[(c, c) for c in columns], required=False, widget=forms.CheckboxSelectMultiple,
        label=pgettext("other columns of a file, kept with each declaration", "Attributes"),
        help_text=_("Other columns to keep with each declaration"),
    )  # fmt: skip
    return type("FieldForm", (forms.Form,), fields)


@require_safe
@role_required(INGEST_ROLES)
def mapping_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "declarations/mapping_list.html",
        {
            "shipped": sorted(shipped().values(), key=lambda m: m.name),
            "saved": SavedMapping.objects.select_related("created_by"),
        },
    )


@require_safe
@role_required(INGEST_ROLES)
def mapping_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render(
        request,
        "declarations/mapping_detail.html",
        {"saved": get_object_or_404(SavedMapping, pk=pk)},
    )


@takes_files("data")
@role_required(INGEST_ROLES)
def mapping_new(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST" and "columns" in request.POST:
        columns = _columns(request.POST["columns"])
        if columns is None:
            context = {"form": SampleForm(), "error": BAD_COLUMNS}
            return render(request, "declarations/mapping_new.html", context, status=400)
        form = _field_form(columns)(request.POST)
        if form.is_valid():
            try:
                saved = save_mapping(request.user, _mapping(form.cleaned_data))
            except (MappingError, MappingRefused) as exc:
                form.add_error(None, translated(getattr(exc, "words", str(exc))))
            else:
                messages.success(
                    request,
                    _("Mapping %(name)s saved: choose it when you hand in a file.")
                    % {"name": saved.name},
                )
                return redirect("mapping_detail", pk=saved.pk)
        return render(
            request, "declarations/mapping_fields.html", {"form": form, "columns": columns}
        )
    sample = SampleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and sample.is_valid():
        upload = sample.cleaned_data["sample"]
        suffix = Path(upload.name or "sample.csv").suffix
        try:
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                columns = read_header(Path(handle.name), delimiter=sample.cleaned_data["delimiter"])
        except FileError as exc:
            sample.add_error(
                "sample",
                translated(exc.words).replace(Path(handle.name).name, upload.name or _("the file")),
            )
        else:
            form = _field_form(columns)(initial={"delimiter": sample.cleaned_data["delimiter"]})
            return render(
                request, "declarations/mapping_fields.html", {"form": form, "columns": columns}
            )
    return render(request, "declarations/mapping_new.html", {"form": sample})


BAD_COLUMNS = gettext_lazy(
    "columns: the sample's column names did not come back as a list of names; "
    "hand in the sample file again."
)


def _columns(raw: str) -> list[str] | None:
    """The sample's column names, carried from the first step to the second in a hidden
    field; None when the field is not a JSON list of at most MAX_COLUMNS texts."""
    try:
        columns = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(columns, list) or len(columns) > MAX_COLUMNS:
        return None
    if not all(isinstance(c, str) and _is_unicode(c) for c in columns):
        return None
    return columns


def _is_unicode(text: str) -> bool:
    """False for text with a lone surrogate (JSON can carry one; no page can show it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _mapping(data: dict[str, Any]) -> Any:
    columns = {
        f.name: data[f"field_{f.name}"] for f in DECLARATION_FIELDS if data.get(f"field_{f.name}")
    }
    labels = {f.name: data[f"field_{f.name}"] for f in LABEL_FIELDS if data.get(f"field_{f.name}")}
    used = set(columns.values()) | set(labels.values())
    spec = {
        "name": data["name"],
        "title": data["title"],
        "currency": data["currency"],
        "options": {"date_format": data["date_format"], "delimiter": data["delimiter"] or ","},
        "columns": columns,
        "attributes": [c for c in data["attributes"] if c not in used],
        "labels": labels,
    }
    return parse(json.dumps(spec), "the mapping")
