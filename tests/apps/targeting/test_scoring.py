"""Scoring what is stored, in the background: after an ingest, after a promotion or a
rollback; progress on the pages; a run stopped half-way loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from greenlane import demo
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations import ingest
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import retraining, scoring, services
from greenlane.apps.targeting.models import ModelVersion, Score, ScoringRun
from greenlane.core.risk import mapping
from tests import factories

pytestmark = pytest.mark.django_db

COLUMNS = (
    "declaration_number", "declaration_date", "office_code", "transport_mode", "declarant_code",
    "importer_code", "seller_code", "hs6", "origin_country", "dispatch_country", "quantity",
    "net_mass_kg", "customs_value", "tax_rate", "duty_amount",
)  # fmt: skip


@pytest.fixture
def seeded(tmp_path: Path) -> None:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)


def _new_file(tmp_path: Path, n: int) -> Path:
    """``n`` new declarations, copied from the latest on record under new numbers."""
    fields = [c if c != "declaration_number" else "number" for c in COLUMNS]
    rows = Declaration.objects.order_by("-declaration_date")[:n].values_list(*fields)
    lines = [",".join(COLUMNS)]
    for i, row in enumerate(rows):
        values = ["" if v is None else str(v) for v in row]
        values[0] = f"NEW-{i:05d}"
        lines.append(",".join(values))
    path = tmp_path / "new.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.slow
def test_new_declarations_promotion_and_rollback_are_scored_in_the_background(
    seeded: None, tmp_path: Path
) -> None:
    analyst = factories.user("risk_analyst")
    first = services.train()  # active at once: everything on record is scored by v1
    assert Score.objects.filter(model_version=first).count() == Declaration.objects.count()

    result = ingest.ingest(_new_file(tmp_path, 5), mapping.named("greenlane"), actor=analyst)
    assert result.rows_accepted == 5
    run = ScoringRun.objects.get(cause="ingest of new.csv")
    assert (run.status, run.scored, run.version, run.requested_by) == ("done", 5, first, analyst)
    new = Declaration.objects.filter(number__startswith="NEW-")
    assert Score.objects.filter(declaration__in=new, model_version=first).count() == 5

    second = services.train(activate=False)
    assert not Score.objects.filter(model_version=second).exists()  # a challenger scores nothing
    retraining.compare(second)
    retraining.promote(second, analyst, "the newer period")
    everything = Declaration.objects.count()
    assert Score.objects.filter(model_version=second).count() == everything
    assert ScoringRun.objects.get(version=second).cause == "v2 became the active model"
    client = Client()
    client.force_login(analyst)
    page = client.get("/risk/scores/").content.decode()
    assert "Scores of the active model" in page
    assert 'href="/risk/models/2/"' in page
    assert "Nothing scored" not in page

    with pytest.raises(retraining.Refused, match="say why") as refused:
        retraining.roll_back(first, analyst, "  ")
    assert refused.value.field == "reason"
    with pytest.raises(retraining.Refused, match="already the active"):
        retraining.roll_back(second, analyst, "why not")
    response = client.post("/risk/models/1/rollback/", {"reason": "v2 misses textile cases"})
    assert response.status_code == 302
    assert ModelVersion.objects.get(is_active=True) == first
    event = AuditEvent.objects.get(action="targeting.model.rolled_back")
    assert (event.data["from"], event.data["reason"]) == (2, "v2 misses textile cases")
    assert event.actor_id == analyst.pk
    # The scores of both versions are kept; v1 had scored everything, so nothing was left.
    assert Score.objects.filter(model_version=first).count() == everything
    assert Score.objects.filter(model_version=second).count() == everything
    third = services.train(activate=False)
    with pytest.raises(retraining.Refused, match="never been the active version"):
        retraining.roll_back(third, analyst, "try it")


def test_a_waiting_scoring_run_shows_its_progress_where_scores_are_read() -> None:
    version = factories.model_version()
    run = ScoringRun.objects.create(
        version=version, cause="ingest of march.csv", status="running", progress=0.4,
        total=120_000, message="scored 48,000 of 120,000 declarations with v1",
    )  # fmt: skip
    declaration = factories.declaration(factories.operator())
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    for url in ("/risk/scores/", f"/risk/declarations/{declaration.pk}/", "/risk/models/1/"):
        page = client.get(url).content.decode()
        assert f'data-progress-url="/risk/scoring/{run.pk}/progress/"' in page, url
        assert "ingest of march.csv" in page, url
    assert (
        "Not scored yet: scoring is under way"
        in client.get(f"/risk/declarations/{declaration.pk}/").content.decode()
    )
    assert (
        "No score of v1 yet: scoring is under way" in client.get("/risk/scores/").content.decode()
    )
    progress = client.get(f"/risk/scoring/{run.pk}/progress/").json()
    assert (progress["status"], progress["progress"]) == ("running", 0.4)
    run.status = "done"
    run.save()
    assert "data-progress-url" not in client.get("/risk/scores/").content.decode()


def test_a_waiting_run_is_reused_and_a_running_one_is_not() -> None:
    version = factories.model_version()
    waiting = ScoringRun.objects.create(version=version, cause="an ingest")
    assert scoring.request(version, None, "another ingest") == waiting
    ScoringRun.objects.filter(pk=waiting.pk).update(status="running")
    # A running run counted its work when it started: new declarations need a run of their own.
    assert scoring.request(version, None, "a third ingest") != waiting


@pytest.mark.slow
def test_a_run_stopped_half_way_keeps_its_chunks_and_the_next_one_scores_the_rest(
    seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = services.train(activate=False)
    monkeypatch.setattr(scoring, "CHUNK", 1_000)
    real = services.predict
    calls = {"n": 0}

    def breaks_on_the_third_chunk(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the worker was stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "predict", breaks_on_the_third_chunk)
    with pytest.raises(RuntimeError):
        scoring.score_stored(version)
    assert Score.objects.filter(model_version=version).count() == 2_000  # two chunks committed
    monkeypatch.setattr(services, "predict", real)
    rest = scoring.score_stored(version)
    everything = Declaration.objects.count()
    assert rest.scored == everything - 2_000
    assert Score.objects.filter(model_version=version).count() == everything  # none twice
