"""Pages for risk analysts: model versions, scored declarations, the declaration page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from greenlane.apps.accounts.permissions import role_required
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.declarations.permissions import RESULT_ROLES
from greenlane.apps.declarations.services import ResultRefused, record_inspection
from greenlane.apps.targeting import services
from greenlane.apps.targeting.models import ModelVersion, Score
from greenlane.apps.targeting.permissions import MODEL_ROLES, SCORE_ROLES
from greenlane.apps.targeting.tasks import train_model


@role_required(MODEL_ROLES)
def model_list(request: HttpRequest) -> HttpResponse:
    return render(request, "risk/model_list.html", {"versions": ModelVersion.objects.all()[:50]})


@require_POST
@role_required(MODEL_ROLES)
def model_train(request: HttpRequest) -> HttpResponse:
    train_model.enqueue(request.user.pk)
    messages.info(
        request, "Training queued: the new version appears here when the background worker is done."
    )
    return redirect("model_list")


@role_required(MODEL_ROLES)
def model_detail(request: HttpRequest, version: int) -> HttpResponse:
    item = get_object_or_404(ModelVersion, version=version)
    return render(request, "risk/model_detail.html", {"item": item, "scored": item.scores.count()})


@require_POST
@role_required(MODEL_ROLES)
def model_activate(request: HttpRequest, version: int) -> HttpResponse:
    item = get_object_or_404(ModelVersion, version=version)
    services.activate_version(item, request.user)  # type: ignore[arg-type]
    messages.success(request, f"Model v{item.version} now scores new declarations.")
    return redirect("model_detail", version=item.version)


@role_required(SCORE_ROLES)
def score_list(request: HttpRequest) -> HttpResponse:
    active = ModelVersion.objects.filter(is_active=True).first()
    scores = Score.objects.none()
    office = request.GET.get("office", "").strip()
    if active is not None:
        scores = Score.objects.filter(model_version=active).select_related("declaration")
        if office:
            scores = scores.filter(declaration__office_code=office)
    page = Paginator(scores.order_by("-probability", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request, "risk/score_list.html", {"page": page, "active": active, "office": office}
    )


class ResultForm(forms.Form):
    fraud_found = forms.TypedChoiceField(
        label="Result",
        choices=[("", "Choose…"), ("1", "Irregularity found"), ("0", "No irregularity")],
        coerce=lambda v: v == "1",
    )
    critical = forms.BooleanField(required=False, label="Critical finding")
    revenue_recovered = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, initial=0)
    inspected_on = forms.DateField(required=False, help_text="YYYY-MM-DD; today when empty")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


@require_POST
@role_required(RESULT_ROLES)
def declaration_result(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = get_object_or_404(Declaration, pk=pk)
    form = ResultForm(request.POST)
    if form.is_valid():
        try:
            record_inspection(declaration, request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ResultRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Result recorded.")
    else:
        messages.error(request, "The result was not recorded: " + "; ".join(
            f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
        ))  # fmt: skip
    return redirect("declaration_detail", pk=pk)


@role_required(SCORE_ROLES)
def declaration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    declaration = get_object_or_404(
        Declaration.objects.select_related("inspection", "batch"), pk=pk
    )
    scores = list(Score.objects.filter(declaration=declaration).select_related("model_version"))
    for item in scores:
        if item.model_version.is_active:
            try:
                services.ensure_reasons(item)
            except services.TrainingError as exc:
                messages.warning(request, f"Reasons unavailable: {exc}")
    context = {
        "d": declaration,
        "inspection": getattr(declaration, "inspection", None),
        "scores": scores,
        "parties": services.party_history(declaration),
        "result_form": ResultForm() if request.user.role in RESULT_ROLES else None,  # type: ignore[union-attr]
    }
    return render(request, "risk/declaration_detail.html", context)
