"""Rolling back an ingested file: what it brought leaves the record in one audited step, the
batch stays marked, the file can come again; refused while later work stands on it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from typer.testing import CliRunner

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations import ingest, rollback
from greenlane.apps.declarations.models import Declaration, IngestBatch, Inspection, RejectedRow
from greenlane.apps.declarations.services import Result, correct_inspection, record_inspection
from greenlane.apps.targeting import scoring
from greenlane.apps.targeting.models import ModelVersion, Score
from greenlane.core.errors import NotAllowed, Refused
from tests import factories
from tests.core.risk.rows import MAPPING, good_row, spoil, write_csv

pytestmark = pytest.mark.django_db


def _file(tmp_path: Path, name: str = "f.csv", prefix: str = "N") -> Path:
    rows = [good_row(i, prefix) for i in range(6)] + [spoil(good_row(6, prefix), "bad_hs")]
    return write_csv(tmp_path / name, rows)


def _scored(batch: IngestBatch) -> int:
    """Scores for the batch's declarations, as the background scoring writes them."""
    version = ModelVersion.objects.first() or factories.model_version(active=False)
    ids = list(batch.declarations.values_list("pk", flat=True))
    scoring.store(version, ids, [0.5] * len(ids), [1.0] * len(ids))
    return len(ids)


def test_a_rollback_removes_what_the_file_brought_and_the_file_can_come_again(
    tmp_path: Path,
) -> None:
    analyst = factories.user(Role.RISK_ANALYST)
    before = ingest.ingest(_file(tmp_path, "other.csv", "O"), MAPPING)  # stays untouched
    other = (Declaration.objects.count(), Inspection.objects.count(), _scored(before.batch))
    result = ingest.ingest(_file(tmp_path), MAPPING, actor=analyst)
    batch = result.batch
    assert _scored(batch) == 6
    results = Inspection.objects.filter(batch=batch).count()
    assert results > 0

    done = rollback.roll_back(batch, analyst, "  wrong mapping: values were in USD  ")
    assert done.rollback_counts == {"scores": 6, "inspection results": results, "declarations": 6}
    assert (Declaration.objects.count(), Inspection.objects.count(), Score.objects.count()) == other
    assert not Score.objects.filter(declaration_id__in=[]).exists()
    assert (done.rolled_back_by, done.rollback_reason) == (
        analyst,
        "wrong mapping: values were in USD",
    )
    assert RejectedRow.objects.filter(batch=batch).count() == 1  # its history stays
    event = AuditEvent.objects.get(action="declarations.declarations.rolled_back")
    assert (event.actor_id, event.data["declarations"], event.data["scores"]) == (analyst.pk, 6, 6)
    assert event.data["reason"] == "wrong mapping: values were in USD"

    again = ingest.ingest(_file(tmp_path, "again.csv"), MAPPING, actor=analyst)  # same content
    assert again.rows_accepted == 6
    with pytest.raises(NotAllowed, match="already rolled back"):
        rollback.roll_back(batch, analyst, "twice")


def test_a_rollback_is_refused_while_later_work_stands_on_the_file(tmp_path: Path) -> None:
    analyst = factories.user(Role.RISK_ANALYST)
    officer = factories.user(Role.INSPECTION_OFFICER)
    batch = ingest.ingest(_file(tmp_path), MAPPING).batch
    unlabelled = Declaration.objects.filter(batch=batch, inspection__isnull=True).first()
    assert unlabelled is not None
    record_inspection(unlabelled, officer, fraud_found=False)
    with pytest.raises(NotAllowed, match=r"1 inspection result\(s\) were recorded later"):
        rollback.roll_back(batch, analyst, "mistake")
    assert Declaration.objects.filter(batch=batch).count() == 6  # nothing moved
    assert IngestBatch.objects.get(pk=batch.pk).rolled_back_at is None

    second = ingest.ingest(_file(tmp_path, "g.csv", "G"), MAPPING).batch
    own = Inspection.objects.filter(batch=second).first()
    assert own is not None
    correct_inspection(own, officer, Result(fraud_found=True, revenue_recovered=Decimal(5)), "x")
    with pytest.raises(NotAllowed, match="corrected"):
        rollback.roll_back(second, analyst, "mistake")
    with pytest.raises(Refused, match="say why"):
        rollback.roll_back(second, analyst, " ")
    with pytest.raises(NotAllowed, match="your role"):
        rollback.roll_back(second, officer, "mistake")


def test_rolling_back_a_results_file_removes_only_its_results(tmp_path: Path) -> None:
    from greenlane.core.risk import mapping

    analyst = factories.user(Role.RISK_ANALYST)
    importer = factories.operator()
    kept = [factories.declaration(importer, number=f"K{i}") for i in range(3)]
    path = tmp_path / "results.csv"
    path.write_text(
        "declaration_number,inspected_on,fraud_found,critical,revenue_recovered\n"
        + "".join(f"K{i},2025-03-02,{i % 2},0,{10 * (i % 2)}\n" for i in range(3))
    )
    batch = ingest.ingest(path, mapping.named("greenlane-inspections")).batch
    assert Inspection.objects.filter(batch=batch).count() == 3
    done = rollback.roll_back(batch, analyst, "results of another office")
    assert done.rollback_counts["inspection results"] == 3
    assert not Inspection.objects.exists()
    assert Declaration.objects.filter(pk__in=[d.pk for d in kept]).count() == 3


def test_the_batch_page_asks_for_a_reason_and_a_tick_then_says_what_went(tmp_path: Path) -> None:
    analyst = factories.user(Role.RISK_ANALYST)
    batch = ingest.ingest(_file(tmp_path), MAPPING).batch
    client = Client()
    client.force_login(analyst)
    page = client.get(f"/declarations/batches/{batch.pk}/").content.decode()
    assert 'data-testid="rollback-form"' in page
    assert "removes its 6 declarations" in page
    url = f"/declarations/batches/{batch.pk}/rollback/"
    unticked = client.post(url, {"reason": "wrong file"})
    assert unticked.status_code == 400
    assert "tick the box to confirm" in unticked.content.decode()
    assert Declaration.objects.filter(batch=batch).count() == 6
    done = client.post(url, {"reason": "wrong file", "confirm": "on"}, follow=True)
    text = done.content.decode()
    assert "Rolled back f.csv: removed 0 scores" in text
    assert 'data-testid="rolled-back"' in text
    assert 'data-testid="rollback-form"' not in text
    assert not Declaration.objects.filter(batch=batch).exists()
    assert (
        'f.csv <span class="hint">(rolled back '
        in client.get("/declarations/batches/").content.decode()
    )

    officer_page = Client()
    officer_page.force_login(factories.user(Role.INSPECTION_OFFICER))
    other = ingest.ingest(_file(tmp_path, "h.csv", "H"), MAPPING).batch
    assert (
        'data-testid="rollback-form"'
        not in officer_page.get(f"/declarations/batches/{other.pk}/").content.decode()
    )  # an officer may read the batch, not roll it back


def test_the_api_and_the_command_line_roll_back_too(tmp_path: Path) -> None:
    from greenlane.cli import app

    first = ingest.ingest(_file(tmp_path), MAPPING).batch
    second = ingest.ingest(_file(tmp_path, "b.csv", "B"), MAPPING).batch
    client = Client()
    client.force_login(factories.user(Role.ADMINISTRATOR))
    url = f"/api/v1/declarations/batches/{first.pk}/rollback"
    refused = client.post(url, {"reason": ""}, content_type="application/json")
    assert (refused.status_code, refused.json()["detail"]) == (
        400,
        "say why the file is rolled back",
    )
    answer = client.post(url, {"reason": "test file"}, content_type="application/json").json()
    assert answer["rollback_counts"]["declarations"] == 6
    assert answer["rolled_back_at"] is not None
    assert client.post(url, {"reason": "again"}, content_type="application/json").status_code == 409

    run = CliRunner().invoke(app, ["batch-rollback", str(second.pk), "--reason", "old", "--yes"])
    assert run.exit_code == 0, run.output
    assert "removed 0 scores" in run.output
    assert "6 declarations" in run.output
    assert not Declaration.objects.filter(batch=second).exists()
