"""Pages for handing in files and reading ingest reports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations import ingest, rollback
from greenlane.apps.declarations.models import IngestBatch, SavedMapping, Upload
from greenlane.apps.declarations.permissions import INGEST_ROLES
from greenlane.apps.declarations.services import UploadRefused, progress_of, submit_upload
from greenlane.apps.wording import translated
from greenlane.core.risk.mapping import MAX_MAPPING_BYTES, shipped
from greenlane.web.context import limit
from greenlane.web.csvfiles import streamed_csv
from greenlane.web.middleware import takes_files
from greenlane.web.refusals import onto_form


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"), help_text=gettext_lazy("CSV, Parquet or Excel (.xlsx)")
    )
    mapping = forms.ChoiceField(
        label=pgettext_lazy("column mapping of a file", "Mapping"),
        help_text=gettext_lazy("How the file's columns map onto declarations"),
    )
    mapping_file = forms.FileField(
        required=False,
        label=gettext_lazy("Mapping file"),
        help_text=gettext_lazy("Or your own mapping (YAML); it replaces the choice above"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit(self.fields["file"])
        saved = [
            (
                m.name,
                _("%(title)s (%(name)s, saved)") % {"title": m.title or m.name, "name": m.name},
            )
            for m in SavedMapping.objects.all()
        ]
        self.fields["mapping"].choices = saved + [
            (name, f"{m.title} ({name})") for name, m in sorted(shipped().items())
        ]


@takes_files("data")
@role_required(INGEST_ROLES)
def upload_new(request: AuthenticatedRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with onto_form(form):
            text = _mapping_text(data["mapping_file"])
            upload = submit_upload(request.user, data["file"], data["mapping"], text)
            return redirect("upload_detail", pk=upload.pk)
    return render(request, "declarations/upload_new.html", {"form": form})


def _mapping_text(mapping_file: UploadedFile | None) -> str:
    """The text of the mapping file handed in with the upload ("" when none). Reads no more of
    it than a mapping may be."""
    raw = mapping_file.read(MAX_MAPPING_BYTES + 1) if mapping_file else b""
    if len(raw) > MAX_MAPPING_BYTES:
        raise UploadRefused(
            _("The mapping file is longer than %(n)s KB; no column mapping needs that.")
            % {"n": number_format(MAX_MAPPING_BYTES >> 10, force_grouping=True)}
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(_("The mapping file is not UTF-8 text."), "mapping_file") from None


@require_safe
@role_required(INGEST_ROLES)
def upload_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    upload = get_object_or_404(Upload.objects.select_related("batch", "uploaded_by"), pk=pk)
    return render(
        request, "declarations/upload_detail.html", {"upload": upload, **_progress(upload)}
    )


@require_safe
@role_required(INGEST_ROLES)
def upload_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    upload = get_object_or_404(Upload.objects.select_related("batch"), pk=pk)
    return JsonResponse(
        {"status": upload.status, "message": translated(upload.message), **_progress(upload)}
    )


def _progress(upload: Upload) -> dict[str, Any]:
    done, total = progress_of(upload)
    return {"done": done, "total": total, "batch_id": upload.batch_id}


@require_safe
@role_required(INGEST_ROLES)
def batch_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(IngestBatch.objects.select_related("created_by"), 50).get_page(
        request.GET.get("page")
    )
    uploads = Upload.objects.exclude(status=Upload.Status.DONE).select_related("uploaded_by")[:20]
    return render(request, "declarations/batch_list.html", {"page": page, "uploads": uploads})


class RollbackForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why roll it back"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("kept with the batch and in the audit log"),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that what the file put on record is removed for good"),
        error_messages={"required": gettext_lazy("tick the box to confirm")},
    )


@require_safe
@role_required(INGEST_ROLES)
def batch_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(IngestBatch.objects.select_related("rolled_back_by"), pk=pk)
    return _batch_page(request, batch, RollbackForm())


def _batch_page(
    request: AuthenticatedRequest, batch: IngestBatch, form: RollbackForm, status: int = 200
) -> HttpResponse:
    may = request.user.role in rollback.ROLLBACK_ROLES and batch.rolled_back_at is None
    context = {
        "batch": batch,
        "rejected": batch.rejected_rows.order_by("row")[:100],
        "impact": rollback.impact(batch) if may else None,
        "form": form if may else None,
        "removed": rollback.removed(batch.rollback_counts or {}),
    }
    return render(request, "declarations/batch_detail.html", context, status=status)


@require_POST
@role_required(rollback.ROLLBACK_ROLES)
def batch_rollback(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Roll back an ingested file, with a reason and a tick; refused with why when later work
    stands on it."""
    batch = get_object_or_404(IngestBatch, pk=pk)
    form = RollbackForm(request.POST)
    if not form.is_valid():
        return _batch_page(request, batch, form, status=400)
    with onto_form(form):
        done = rollback.roll_back(batch, request.user, form.cleaned_data["reason"])
        messages.success(
            request,
            _("Rolled back %(file)s: removed %(removed)s.")
            % {
                "file": done.file_name,
                "removed": ", ".join(rollback.removed(done.rollback_counts)),
            },
        )
        return redirect("batch_detail", pk=batch.pk)
    return _batch_page(request, batch, form, status=409)


@require_safe
@role_required(INGEST_ROLES)
def batch_rejected_csv(request: AuthenticatedRequest, pk: int) -> StreamingHttpResponse:
    """The rejected rows, their reasons in the reader's language: the rows are written after
    the view returns, when the request's language is no longer active, so it is kept here."""
    batch = get_object_or_404(IngestBatch, pk=pk)
    language = translation.get_language()

    def say(reason: Any) -> str:
        with translation.override(language):
            return translated(reason)

    rows = ingest.rejected_rows_csv(batch, say=say)
    return streamed_csv(rows, f"batch-{batch.pk}-rejected.csv")
