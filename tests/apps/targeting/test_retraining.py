"""Retraining, champion/challenger, promotion and drift of the risk model."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone
from typer.testing import CliRunner

from greenlane import demo
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Declaration, Inspection
from greenlane.apps.targeting import data, retraining, scoring, services
from greenlane.apps.targeting.models import ModelVersion, Score, TrainingRun
from greenlane.cli import app
from greenlane.core.risk import drift, metrics
from greenlane.core.words import read
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def seeded(tmp_path: Path) -> ModelVersion:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)
    champion = services.train()
    scoring.score_stored()
    return champion


def _pretend_trained_earlier(version: ModelVersion, days: int) -> None:
    """As if ``version`` had been trained ``days`` before the end of the data."""
    ModelVersion.objects.filter(pk=version.pk).update(
        training_to=version.training_to - timedelta(days=days)
    )


def test_the_weekly_retraining_compares_its_challenger_on_declarations_the_champion_never_saw(
    seeded: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retraining, "MIN_COMPARED", 50)  # the small demo has few inspections
    today = timezone.localdate()
    assert retraining.schedule_due(today) is None  # v1 was trained this week
    ModelVersion.objects.update(created_at=timezone.now() - timedelta(days=8))
    _pretend_trained_earlier(seeded, 60)
    champion = ModelVersion.objects.get(pk=seeded.pk)
    run = retraining.schedule_due(today)
    assert run is not None
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE  # the test settings run tasks at once
    assert run.week == today - timedelta(days=today.weekday())
    said = str(read(run.message))  # kept as words, English here
    assert f"than v{champion.version} on" in said or f"from v{champion.version} on" in said
    ModelVersion.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert retraining.schedule_due(today) is None  # one a week, however often it asks
    assert TrainingRun.objects.count() == 1

    challenger = run.version
    assert challenger is not None
    assert not challenger.is_active  # it waits for an analyst
    assert ModelVersion.objects.get(is_active=True) == champion
    compared = challenger.comparison
    assert compared["champion"] == champion.version
    assert compared["champion_saw_them"] is False
    unseen = Declaration.objects.filter(
        inspection__isnull=False,
        declaration_date__gt=champion.training_to,
        declaration_date__gte=challenger.holdout_from,
        declaration_date__lte=challenger.training_to,
    )
    assert compared["rows"] == unseen.count()
    assert compared["frauds"] == unseen.filter(inspection__fraud_found=True).count()
    # The champion's figure is the champion model's own precision on exactly those rows.
    rows = data.frame(unseen)
    own = services.load(champion).predict_proba(rows)[:, 1]
    first = compared["metrics"][0]
    assert first["metric"] == "precision@5"
    assert first["champion"] == pytest.approx(
        metrics.precision_at(own, rows["fraud"].astype(float).to_numpy(), 5)
    )
    assert first["low"] <= first["challenger"] - first["champion"] <= first["high"]
    assert compared["verdict"] == first["verdict"]
    _drift_is_counted_week_by_week_and_a_shift_is_flagged(champion)


def test_promotion_needs_a_current_comparison_and_a_reason_when_worse(
    seeded: ModelVersion,
) -> None:
    challenger = retraining.retrain()
    compared = challenger.comparison
    # Trained on the same data as the champion: the champion saw them all, so no verdict.
    assert compared["champion_saw_them"] is True
    assert compared["seen_rows"] == compared["rows"]
    assert compared["verdict"] == "not comparable"
    assert {m["verdict"] for m in compared["metrics"]} == {"not comparable"}
    analyst = factories.user("risk_analyst")
    with pytest.raises(retraining.Refused, match="could not be compared fairly with v1"):
        retraining.promote(challenger, analyst)
    ModelVersion.objects.filter(pk=challenger.pk).update(
        comparison={**compared, "verdict": "worse"}
    )
    challenger.refresh_from_db()
    with pytest.raises(retraining.Refused, match="did worse than v1: give the reason"):
        retraining.promote(challenger, analyst)
    runner = CliRunner()
    trained = runner.invoke(app, ["retrain"])
    assert trained.exit_code == 0, trained.output
    assert "v3 is a challenger" in trained.output
    shown = runner.invoke(app, ["drift", "--weeks", "4"])
    assert shown.exit_code == 0, shown.output
    assert "Model v1: drift against" in shown.output
    promoted = runner.invoke(app, ["promote", "3", "--reason", "needed for the new tariff chapter"])
    assert promoted.exit_code == 0, promoted.output
    third = ModelVersion.objects.get(version=3)
    assert third.is_active
    again = runner.invoke(app, ["promote", "3"])
    assert again.exit_code != 0
    assert "already the active version" in str(again.exception)
    # v2 was compared with v1; v3 is active now: v2 must be compared again.
    with pytest.raises(retraining.Refused, match="compare v2 with the active v3"):
        retraining.promote(challenger, analyst, "any reason")
    event = AuditEvent.objects.filter(action="targeting.model.promoted").latest("id")
    assert event.data["reason"] == "needed for the new tariff chapter"
    assert event.data["champion"] == seeded.version
    assert audit.verify()[1] is None

    client = Client()
    client.force_login(analyst)
    page = client.get(f"/risk/models/{challenger.version}/").content.decode()
    assert "compare again before promoting" in page
    assert "Promote: score" not in page
    client.post(f"/risk/models/{challenger.version}/compare/")
    challenger.refresh_from_db()
    assert challenger.comparison["champion"] == third.version
    page = client.get(f"/risk/models/{challenger.version}/").content.decode()
    assert 'data-testid="verdict"' in page
    assert "Promote: score new declarations with v2" in page
    assert "wait for new inspection results and compare again" in page
    assert 'name="reason"' in page  # a reason is asked for
    api = client.post(
        f"/api/v1/risk/models/{challenger.version}/promote",
        {"reason": ""},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert "give the reason" in api.json()["detail"]
    api = client.post(
        f"/api/v1/risk/models/{challenger.version}/promote",
        {"reason": "reviewed with the analysts' board"},
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert api.json()["is_active"] is True


def test_training_without_results_says_so() -> None:
    with pytest.raises(services.TrainingError, match="inspection results"):
        services.train()


def test_a_training_run_without_labels_fails_with_its_reason() -> None:
    run = retraining.request(factories.user("risk_analyst"))
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert "inspection results with and without irregularities" in run.message
    assert not ModelVersion.objects.exists()


def _drift_is_counted_week_by_week_and_a_shift_is_flagged(seeded: ModelVersion) -> None:
    until = Declaration.objects.latest("declaration_date").declaration_date
    report = retraining.drift(seeded, weeks=8, until=until)
    weeks = report["weeks"]
    assert len(weeks) == 8
    for w in weeks:
        start = timezone.datetime.fromisoformat(w["week"]).date()
        end = min(start + timedelta(days=6), until)
        scored = Score.objects.filter(
            model_version=seeded,
            declaration__declaration_date__gte=start,
            declaration__declaration_date__lte=end,
        )
        assert w["scored"] == scored.count()
        counts = Inspection.objects.filter(
            declaration__declaration_date__gte=start, declaration__declaration_date__lte=end
        ).aggregate(n=Count("id"), hits=Count("id", filter=Q(fraud_found=True)))
        assert (w["inspected"], w["hits"]) == (counts["n"], counts["hits"])
        probabilities = np.array(scored.values_list("probability", flat=True))
        bins = np.bincount(drift.bin_of(probabilities, seeded.reference["edges"]), minlength=10)
        assert w["shares"] == pytest.approx(drift.shares(bins).tolist(), abs=1e-4)
    # The reference period's own weeks have not moved.
    reference_start = timezone.datetime.fromisoformat(seeded.reference["from"]).date()
    inside = [
        w
        for w in weeks
        if timezone.datetime.fromisoformat(w["week"]).date() >= reference_start
        and w["scored"] > 100
    ]
    assert inside
    assert all(w["status"] != "major shift" for w in inside)
    # Push one week's scores to the top: a major shift, reported.
    last = weeks[-2]
    start = timezone.datetime.fromisoformat(last["week"]).date()
    Score.objects.filter(
        model_version=seeded,
        declaration__declaration_date__gte=start,
        declaration__declaration_date__lte=start + timedelta(days=6),
    ).update(probability=0.999)
    moved = retraining.drift(seeded, weeks=8, until=until)
    assert moved["weeks"][-2]["status"] == "major shift"
    assert last["week"] in moved["shifted_weeks"]

    client = Client()
    client.force_login(factories.user("risk_analyst"))
    page = client.get(f"/risk/models/{seeded.version}/?weeks=8").content.decode()
    assert 'data-chart="drift-spec"' in page
    assert "major shift" in page
    api = client.get(f"/api/v1/risk/models/{seeded.version}/drift?weeks=8")
    assert api.status_code == 200
    body: dict[str, Any] = api.json()
    assert [(w["week"], w["scored"], w["hits"]) for w in body["weeks"]] == [
        (w["week"], w["scored"], w["hits"]) for w in retraining.drift(seeded, weeks=8)["weeks"]
    ]


def test_a_training_run_stopped_after_its_training_does_not_train_twice(
    seeded: ModelVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is linked to its run as it is registered; run again (after a stop), the run
    compares that version and finishes, without a second challenger."""
    run = TrainingRun.objects.create()
    real_compare = retraining.compare

    def stopped(version: ModelVersion) -> None:
        raise RuntimeError("stopped between the training and the comparison")

    monkeypatch.setattr(retraining, "compare", stopped)
    with pytest.raises(RuntimeError):
        retraining.execute(run)
    run.refresh_from_db()
    assert run.version is not None
    assert ModelVersion.objects.count() == 2  # the champion and this run's challenger
    monkeypatch.setattr(retraining, "compare", real_compare)
    retraining.execute(run)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.DONE
    assert ModelVersion.objects.count() == 2
    assert run.version.comparison["champion"] == seeded.version  # type: ignore[union-attr]
