"""Pages of Time Release Studies: design a study, hand in event files, run it, read it."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.trs import services
from greenlane.apps.trs.models import Study
from greenlane.apps.trs.permissions import MANAGE_ROLES, VIEW_ROLES, can_manage, visible_studies
from greenlane.apps.wording import all_translated, said, translated
from greenlane.core.trs import study as core_study
from greenlane.core.words import Words
from greenlane.web import trs_report
from greenlane.web.context import limit
from greenlane.web.csvfiles import streamed_csv
from greenlane.web.middleware import takes_files
from greenlane.web.refusals import onto_form, shown


class StudyForm(forms.ModelForm):
    class Meta:
        model = Study
        fields = [
            "title",
            "scope",
            "period_start",
            "period_end",
            "sample_design",
            "targets_hours",
            "max_hours",
            "iqr_factor",
            "replicates",
            "rate_low",
            "rate_central",
            "rate_high",
            "rates_by_section",
            "engine",
            "previous",
        ]
        labels = {
            "title": gettext_lazy("Title"),
            "scope": gettext_lazy("Scope"),
            "period_start": gettext_lazy("Period from"),
            "period_end": gettext_lazy("Period to"),
            "sample_design": gettext_lazy("Sample design"),
            "targets_hours": gettext_lazy("Release-time targets (hours)"),
            "max_hours": gettext_lazy("Exclude release times over (hours)"),
            "iqr_factor": gettext_lazy(
                "Outlier factor k (exclude above Q3 + k times the interquartile range)"
            ),
            "replicates": gettext_lazy("Bootstrap replicates"),
            # xgettext:no-python-format
            "rate_low": gettext_lazy("Value of a day, low (% of goods value)"),
            # xgettext:no-python-format
            "rate_central": gettext_lazy("Value of a day, central (% of goods value)"),
            # xgettext:no-python-format
            "rate_high": gettext_lazy("Value of a day, high (% of goods value)"),
            "rates_by_section": gettext_lazy("Value of a day by HS section"),
            "engine": pgettext_lazy("computing engine", "Engine"),
            "previous": gettext_lazy("Compare with"),
        }
        help_texts = {"rate_low": "", "rate_central": "", "rate_high": "", "iqr_factor": ""}
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
            "scope": forms.Textarea(attrs={"rows": 2}),
            "sample_design": forms.Textarea(attrs={"rows": 2}),
            "rates_by_section": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["previous"].queryset = visible_studies(user).filter(status=Study.Status.DONE)
        self.fields["previous"].help_text = _("A finished study to compare with")
        available = services.engines()
        self.fields["engine"].choices = [c for c in Study.Engine.choices if c[0] in available]

    def clean_targets_hours(self) -> str:
        try:
            values = services.parse_targets(self.cleaned_data["targets_hours"])
        except services.Refused as exc:
            raise forms.ValidationError(said(exc)) from None
        return ", ".join(f"{v:g}" for v in values)

    def clean_rates_by_section(self) -> str:
        text = self.cleaned_data["rates_by_section"]
        try:
            services.parse_rates(text)
        except services.Refused as exc:
            raise forms.ValidationError(said(exc)) from None
        return str(text)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        rates = [data.get(k) for k in ("rate_low", "rate_central", "rate_high")]
        if all(r is not None for r in rates) and not rates[0] <= rates[1] <= rates[2]:  # type: ignore[operator]
            self.add_error("rate_central", _("Rates must rise from low to central to high."))
        return data


class EventsForm(forms.Form):
    file = forms.FileField(help_text=gettext_lazy("Event log: CSV or Parquet, wide or long layout"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit(self.fields["file"])


@require_safe
@role_required(VIEW_ROLES)
def study_list(request: AuthenticatedRequest) -> HttpResponse:
    studies = visible_studies(request.user).select_related("created_by")
    return render(
        request,
        "trs/study_list.html",
        {"studies": studies, "can_manage": can_manage(request.user)},
    )


@role_required(MANAGE_ROLES)
def study_new(request: AuthenticatedRequest) -> HttpResponse:
    form = StudyForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with onto_form(form):
            study = services.create_study(request.user, **form.cleaned_data)
            return redirect("trs_detail", pk=study.pk)
    return render(request, "trs/study_new.html", {"form": form})


def _study(request: AuthenticatedRequest, pk: int) -> Study:
    return get_object_or_404(visible_studies(request.user).select_related("previous"), pk=pk)


@require_safe
@role_required(VIEW_ROLES)
def study_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    body = None
    if study.result:
        body = trs_report.render_page_body(
            study.result,
            rejected_url=reverse("trs_rejected", args=[study.pk]),
        )
    return render(
        request,
        "trs/study_detail.html",
        {
            "study": study,
            "files": study.files.select_related("uploaded_by"),
            "form": EventsForm(),
            "can_manage": can_manage(request.user),
            "report_body": body,
            "message": translated(services.message(study)),
            "progress_text": progress_text(study.progress_text),
        },
    )


#: What a running study says it is doing (English as stored), by its text.
STEPS = {str(words): words for words in core_study.STEPS}


def progress_text(text: str) -> str:
    """A study's progress text in the reader's language (a text it does not know, as it is)."""
    return translated(STEPS.get(text, text))


@takes_files("data")
@require_POST
@role_required(MANAGE_ROLES)
def study_events(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    form = EventsForm(request.POST, request.FILES)
    if form.is_valid():
        with shown(request):
            added = services.add_event_file(study, request.user, form.cleaned_data["file"])
            messages.success(
                request, _("%(file)s added to the study.") % {"file": added.original_name}
            )
    else:
        messages.error(request, _("Choose an event file to hand in."))
    return redirect("trs_detail", pk=study.pk)


@require_POST
@role_required(MANAGE_ROLES)
def study_event_remove(request: AuthenticatedRequest, pk: int, file: int) -> HttpResponse:
    """Take a wrong or broken file out of the study (another can be handed in instead)."""
    study = _study(request, pk)
    with shown(request):
        name = services.remove_event_file(study, file, request.user)
        messages.success(request, _("%(file)s removed from the study.") % {"file": name})
    return redirect("trs_detail", pk=study.pk)


@require_POST
@role_required(MANAGE_ROLES)
def study_run(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    study = _study(request, pk)
    with shown(request):
        services.request_run(study, request.user)
    return redirect("trs_detail", pk=study.pk)


@require_safe
@role_required(VIEW_ROLES)
def study_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    study = _study(request, pk)
    return JsonResponse(
        {
            "status": study.status,
            "progress": study.progress,
            "text": progress_text(study.progress_text),
            "message": translated(services.message(study)),
        }
    )


def _finished(request: AuthenticatedRequest, pk: int) -> Study:
    study = _study(request, pk)
    if not study.result:
        from django.http import Http404

        raise Http404(_("this study has no result yet"))
    return study


def _download(content: bytes | str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
@role_required(VIEW_ROLES)
def study_report_html(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    study = _finished(request, pk)
    html = trs_report.render_standalone(study.result)  # type: ignore[arg-type]
    return _download(html, "text/html; charset=utf-8", f"trs-{study.pk}-report.html")


@require_safe
@role_required(VIEW_ROLES)
def study_report_pdf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    study = _finished(request, pk)
    pdf = trs_report.render_pdf(study.result)  # type: ignore[arg-type]
    return _download(pdf, "application/pdf", f"trs-{study.pk}-report.pdf")


@require_safe
@role_required(VIEW_ROLES)
@csp_update({"style-src": [trs_report.SUMMARY_STYLE_SOURCE]})
def study_summary(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    study = _finished(request, pk)
    return HttpResponse(trs_report.render_summary(study.result))  # type: ignore[arg-type]


@require_safe
@role_required(VIEW_ROLES)
def study_rejected(request: AuthenticatedRequest, pk: int) -> StreamingHttpResponse:
    study = _finished(request, pk)
    rows: list[tuple[Any, ...]] = [("file", "row", "consignment", "reason")]
    for f in study.result["input"]["files"]:  # type: ignore[index]
        rows += [(f["file"], r["row"], r["consignment"], _reason(r)) for r in f["rejected"]]
    return streamed_csv(rows, f"trs-{study.pk}-rejected.csv")


def _reason(rejection: dict[str, Any]) -> str:
    """A rejected row's reasons in the reader's language (each a sentence of its own); the
    English text of a result stored before reasons were kept as words."""
    if "reasons" not in rejection:
        return str(rejection["reason"])
    return "; ".join(all_translated(Words.from_json(r) for r in rejection["reasons"]))
