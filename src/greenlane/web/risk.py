"""Pages for risk analysts: model versions, scored declarations, the declaration page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.accounts.requests import AuthenticatedRequest
from greenlane.apps.declarations.models import Declaration, Inspection
from greenlane.apps.declarations.permissions import RESULT_ROLES
from greenlane.apps.declarations.services import Result, correct_inspection, record_inspection
from greenlane.apps.tallies import queries as tallies
from greenlane.apps.targeting import queue, retraining, services
from greenlane.apps.targeting.models import (
    ChannelDecision,
    Job,
    ModelVersion,
    Score,
    ScoringRun,
    TrainingRun,
)
from greenlane.apps.targeting.permissions import MODEL_ROLES, SCORE_ROLES
from greenlane.apps.wording import translated
from greenlane.web.exports import FORMATS, table_file
from greenlane.web.filters import ListFilter, offices
from greenlane.web.keyset import Keyset
from greenlane.web.refusals import shown


@require_safe
@role_required(MODEL_ROLES)
def model_list(request: AuthenticatedRequest) -> HttpResponse:
    active = ModelVersion.objects.filter(is_active=True).first()
    context = {
        "versions": ModelVersion.objects.all()[:50],
        "runs": TrainingRun.objects.select_related("version", "requested_by")[:10],
        "scorings": ScoringRun.objects.select_related("version", "requested_by")[:10],
        "active": active,
        "drift": _drift(request, active, weeks=4),
    }
    return render(request, "risk/model_list.html", context)


def _drift(request: HttpRequest, version: ModelVersion | None, weeks: int) -> dict[str, Any] | None:
    """The version's drift, each week with its status as the reader says it (``status_label``;
    ``status`` stays the code)."""
    if version is None or not version.reference:
        return None
    report = retraining.drift(version, weeks=weeks)
    for week in report["weeks"]:  # the latest week is one of them
        week["status_label"] = retraining.drift_label(week["status"])
    return report


@require_POST
@role_required(MODEL_ROLES)
def model_train(request: AuthenticatedRequest) -> HttpResponse:
    retraining.request(request.user)
    messages.info(
        request,
        _(
            "Training queued: the new version appears here when the background worker is done, "
            "compared with the active one; it scores only once promoted."
        ),
    )
    return redirect("model_list")


@require_safe
@role_required(MODEL_ROLES)
def training_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    return job_progress(get_object_or_404(TrainingRun, pk=pk))


def job_progress(run: Job) -> JsonResponse:
    """A background job's state as ``job-progress.js`` polls it."""
    return JsonResponse(
        {
            "status": run.status,
            "progress": run.progress,
            "text": translated(run.message),
            "message": "",
        }
    )


def scoring_runs() -> list[ScoringRun]:
    """The scoring runs waiting or under way, for the pages whose scores they will change."""
    return list(
        ScoringRun.objects.filter(
            status__in=(ScoringRun.Status.QUEUED, ScoringRun.Status.RUNNING)
        ).select_related("version")[:5]
    )


@require_safe
@role_required(SCORE_ROLES)
def scoring_progress(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    return job_progress(get_object_or_404(ScoringRun, pk=pk))


@require_safe
@role_required(MODEL_ROLES)
def model_detail(request: AuthenticatedRequest, version: int) -> HttpResponse:
    item = get_object_or_404(ModelVersion, version=version)
    active = ModelVersion.objects.filter(is_active=True).first()
    raw = request.GET.get("weeks", "12")
    weeks = min(max(int(raw), 1), 104) if raw.isdigit() else 12
    report = _drift(request, item, weeks)
    context = {
        "item": item,
        "scored": tallies.scores(item),
        "active": active,
        "compared": _comparison(item),
        "stale": active is not None
        and not item.is_active
        and (item.comparison or {}).get("champion") != active.version,
        "drift": report,
        "weeks": weeks,
        "drift_chart": _drift_chart(report) if report else None,
        "scoring_runs": scoring_runs(),
    }
    return render(request, "risk/model_detail.html", context)


def _comparison(item: ModelVersion) -> dict[str, Any]:
    """The version's stored comparison for its page: codes as stored (``verdict`` is compared
    there), with what the reader reads beside them (``verdict_label``, ``error``, ``note``)."""
    compared = dict(item.comparison or {})
    if compared.get("verdict"):
        compared["verdict_label"] = retraining.verdict_label(compared["verdict"])
    if compared.get("metrics"):
        compared["metrics"] = [
            {**m, "verdict_label": retraining.verdict_label(m.get("verdict"))}
            for m in compared["metrics"]
        ]
    if compared.get("error"):
        compared["error"] = retraining.comparison_problem(compared, item.version)
    if compared.get("note"):
        compared["note"] = retraining.comparison_note(compared)
    return compared


def _drift_chart(report: dict[str, Any]) -> dict[str, Any]:
    """Vega-Lite: each week's score shares by reference decile (stacked), and the PSI."""
    shares = [
        {"week": w["week"], "decile": i + 1, "share": s}
        for w in report["weeks"]
        if w["scored"]
        for i, s in enumerate(w["shares"])
    ]
    psi = [{"week": w["week"], "psi": w["psi"]} for w in report["weeks"] if w["psi"] is not None]
    week, decile, share = _("Week (Monday)"), _("Decile"), _("Share of the week's scores")
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "vconcat": [
            {
                "title": _("Scores by reference decile (10%% each when nothing moved)") % {},
                "width": 560, "height": 180, "data": {"values": shares}, "mark": "bar",
                "encoding": {
                    "x": {"field": "week", "type": "ordinal", "title": week},
                    "y": {"field": "share", "type": "quantitative", "stack": "normalize",
                          "axis": {"format": "%"}, "title": share},
                    "color": {"field": "decile", "type": "ordinal",
                              "scale": {"scheme": "blues"}, "title": decile},
                    "tooltip": [
                        {"field": "week", "title": pgettext("chart tooltip", "week")},
                        {"field": "decile", "title": pgettext("chart tooltip", "decile")},
                        {"field": "share", "format": ".1%",
                         "title": pgettext("chart tooltip", "share")},
                    ],
                },
            },
            {
                "title": _("Population stability index (0.1 moderate, 0.25 major shift)"),
                "width": 560, "height": 120, "data": {"values": psi},
                "layer": [
                    {"mark": {"type": "line", "point": True},
                     "encoding": {"x": {"field": "week", "type": "ordinal",
                                        "title": pgettext("axis of a chart", "Week")},
                                  "y": {"field": "psi", "type": "quantitative",
                                        "title": pgettext("population stability index", "PSI")}}},
                    # The 0.25 line repeats what the title says: hidden from screen readers,
                    # which would otherwise meet an image without a name (WCAG 1.1.1).
                    {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#b00",
                              "aria": False},
                     "encoding": {"y": {"datum": 0.25}}},
                ],
            },
        ],
    }  # fmt: skip


@require_POST
@role_required(MODEL_ROLES)
def model_compare(request: AuthenticatedRequest, version: int) -> HttpResponse:
    item = get_object_or_404(ModelVersion, version=version)
    result = retraining.compare(item)
    if result.get("error"):
        problem = retraining.comparison_problem(result, item.version)
        messages.error(request, _("Not compared: %(error)s") % {"error": problem})
    elif result.get("champion") is None:
        messages.info(request, _("There is no other active version to compare with."))
    else:
        messages.success(
            request,
            _("Compared with v%(champion)s: %(verdict)s.")
            % {
                "champion": result["champion"],
                "verdict": retraining.verdict_label(result["verdict"]),
            },
        )
    return redirect("model_detail", version=item.version)


@require_POST
@role_required(MODEL_ROLES)
def model_activate(request: AuthenticatedRequest, version: int) -> HttpResponse:
    item = get_object_or_404(ModelVersion, version=version)
    with shown(request):
        retraining.promote(item, request.user, request.POST.get("reason", ""))
        messages.success(
            request,
            _("Model v%(version)s now scores new declarations.") % {"version": item.version},
        )
    return redirect("model_detail", version=item.version)


@require_POST
@role_required(MODEL_ROLES)
def model_rollback(request: AuthenticatedRequest, version: int) -> HttpResponse:
    item = get_object_or_404(ModelVersion, version=version)
    with shown(request, lambda exc: _("Not rolled back: %(error)s.") % {"error": exc}):
        retraining.roll_back(item, request.user, request.POST.get("reason", ""))
        messages.success(
            request,
            _(
                "Rolled back: v%(version)s scores new declarations again; what it has not "
                "scored yet is being scored in the background."
            )
            % {"version": item.version},
        )
    return redirect("model_detail", version=item.version)


#: The order of ``queue.scores``, which the index ``score_version_rank`` keeps.
SCORE_PAGES = Keyset(("-probability", "id"))


@require_safe
@role_required(SCORE_ROLES)
def score_list(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    active = ModelVersion.objects.filter(is_active=True).first()
    form = ListFilter(request.GET)
    scores = Score.objects.none()
    if active is not None:
        scores = queue.scores(form.chosen(), active)
    kind = request.GET.get("export", "")
    if kind in FORMATS and active is not None:
        name = f"scores-v{active.version}"
        return table_file(kind, queue.SCORE_HEADER, queue.score_rows(scores), name)
    page = SCORE_PAGES.page(scores, request)
    services.fill_reasons(page.rows)  # bulk scoring leaves them to the page that shows them
    filtered = any(v for k, v in request.GET.items() if k not in ("after", "before"))
    context = {
        "page": page,
        "total": tallies.scores(active) if active and not filtered else None,
        "active": active,
        "form": form,
        "filtered": filtered,
        "offices": offices(),
        "scoring_runs": scoring_runs(),
    }
    return render(request, "risk/score_list.html", context)


class ResultForm(forms.Form):
    fraud_found = forms.TypedChoiceField(
        label=pgettext_lazy("outcome of an inspection", "Result"),
        choices=[
            ("", gettext_lazy("Choose…")),
            ("1", gettext_lazy("Irregularity found")),
            ("0", gettext_lazy("No irregularity")),
        ],
        coerce=lambda v: v == "1",
    )
    critical = forms.BooleanField(required=False, label=gettext_lazy("Critical finding"))
    revenue_recovered = forms.DecimalField(
        min_value=0, max_digits=16, decimal_places=2, initial=0,
        label=gettext_lazy("Revenue recovered"),
        help_text=gettext_lazy("0 when no irregularity was found"),
    )  # fmt: skip
    inspected_on = forms.DateField(
        required=False,
        label=gettext_lazy("Inspected on"),
        help_text=gettext_lazy(
            "YYYY-MM-DD; today when empty; not in the future, not before the declaration"
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(
        required=False,
        max_length=5_000,
        label=gettext_lazy("Notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def result(self) -> Result:
        return Result(**self.cleaned_data)


class CorrectionForm(ResultForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("kept with the correction and in the audit log"),
    )

    def result(self) -> Result:
        data = {k: v for k, v in self.cleaned_data.items() if k != "reason"}
        return Result(**data)

    @classmethod
    def of(cls, inspection: Inspection) -> CorrectionForm:
        return cls(
            initial={
                "fraud_found": "1" if inspection.fraud_found else "0",
                "critical": inspection.critical,
                "revenue_recovered": inspection.revenue_recovered,
                "inspected_on": inspection.inspected_on,
                "notes": inspection.notes,
            },
            auto_id="correct_%s",
        )


def _form_refused(request: HttpRequest, form: forms.Form, sentence: str) -> None:
    """The form's errors as one message: ``sentence`` (translated) with ``%(problems)s``."""
    problems = "; ".join(
        # Translators: a form field's name, then what is wrong with its value.
        _("%(field)s: %(errors)s")
        % {
            "field": (form.fields[field].label or field) if field in form.fields else field,
            "errors": " ".join(errors),
        }
        for field, errors in form.errors.items()
    )
    messages.error(request, sentence % {"problems": problems})


@require_POST
@role_required(RESULT_ROLES)
def declaration_result(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = get_object_or_404(Declaration, pk=pk)
    form = ResultForm(request.POST)
    if form.is_valid():
        with shown(
            request, lambda exc: _("The result was not recorded: %(error)s.") % {"error": exc}
        ):
            record_inspection(declaration, request.user, **form.cleaned_data)
            messages.success(request, _("Result recorded."))
    else:
        _form_refused(request, form, _("The result was not recorded: %(problems)s"))
    return redirect("declaration_detail", pk=pk)


@require_POST
@role_required(RESULT_ROLES)
def declaration_correction(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    inspection = get_object_or_404(Inspection.objects.select_related("declaration"), declaration=pk)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        with shown(
            request, lambda exc: _("The result was not corrected: %(error)s.") % {"error": exc}
        ):
            correct_inspection(inspection, request.user, form.result(), form.cleaned_data["reason"])
            messages.success(request, _("Result corrected; the values it replaced are kept below."))
    else:
        _form_refused(request, form, _("The result was not corrected: %(problems)s"))
    return redirect(reverse("declaration_detail", args=[pk]) + "#inspection")


@require_safe
@role_required(SCORE_ROLES)
def declaration_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    declaration = get_object_or_404(
        Declaration.objects.select_related("inspection", "batch"), pk=pk
    )
    scores = list(Score.objects.filter(declaration=declaration).select_related("model_version"))
    for item in scores:
        if item.model_version.is_active:
            try:
                services.ensure_reasons(item)
            except services.TrainingError as exc:
                messages.warning(request, _("Reasons unavailable: %(error)s") % {"error": exc})
    context = {
        "d": declaration,
        "inspection": getattr(declaration, "inspection", None),
        "scores": scores,
        "decision": ChannelDecision.objects.filter(number=declaration.number)
        .select_related("model_version")
        .order_by("-decided_at")
        .first(),
        "parties": services.party_history(declaration),
        "result_form": ResultForm() if request.user.role in RESULT_ROLES else None,
        "correction_form": (
            CorrectionForm.of(declaration.inspection)
            if request.user.role in RESULT_ROLES and hasattr(declaration, "inspection")
            else None
        ),
        "scoring_runs": scoring_runs(),
        "corrections": (
            declaration.inspection.corrections.select_related("corrected_by")
            if hasattr(declaration, "inspection")
            else []
        ),
    }
    return render(request, "risk/declaration_detail.html", context)
