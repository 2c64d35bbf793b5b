from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.conf import settings
from django.test import Client

from greenlane import demo
from greenlane.apps.audit import services as audit
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import scoring, services
from greenlane.apps.targeting.models import ModelVersion, Score, ScoringRun
from tests import factories
from tests.kept import kept

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def seeded_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The demo economy, seeded once for the module (``tests.kept``); its data folder."""
    folder = tmp_path_factory.mktemp("seeded")
    with kept(django_db_blocker):
        demo.seed(demo.demo_config(declarations=12_000, operators_=400), folder)
        yield folder


@pytest.fixture
def seeded(seeded_once: Path, db: None) -> Path:
    return seeded_once


def test_it_trains_registers_and_scores_with_reasons(seeded: None) -> None:
    version = services.train()
    assert version.version == 1
    assert version.is_active
    assert version.labelled_rows > 300
    assert {"precision@5", "recall@10", "auc"} <= set(version.metrics)
    assert version.library_versions["lightgbm"]
    assert "importer_code.rate" in version.feature_schema
    artifact = Path(settings.VAR_DIR) / version.artifact
    assert artifact.is_file()

    # Becoming the active version queued the scoring of everything on record (the tests'
    # queue runs it at once).
    run = ScoringRun.objects.get()
    everything = Declaration.objects.count()
    assert (run.status, run.scored, run.total, run.version) == (
        "done",
        everything,
        everything,
        version,
    )
    assert run.cause == "v1 became the active model"
    assert Score.objects.filter(model_version=version).count() == everything
    top = Score.objects.order_by("-probability").first()
    assert top is not None
    assert top.reasons
    assert all(r["text"] for r in top.reasons)
    again = scoring.score_stored()
    assert again.scored == 0  # nothing scored twice by the same version
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "targeting.model.trained",
        "targeting.model.activated",
        "targeting.declarations.scored",
    } <= actions
    assert audit.verify()[1] is None


def test_reasons_outside_the_top_share_come_on_the_declaration_page(seeded: None) -> None:
    services.train()
    scoring.score_stored()
    low = Score.objects.order_by("probability").first()
    assert low is not None
    assert low.reasons == []
    client = Client()
    client.force_login(factories.user("inspection_officer"))
    page = client.get(f"/risk/declarations/{low.declaration_id}/").content.decode()
    low.refresh_from_db()
    assert low.reasons
    assert low.reasons[0]["text"] in page
    assert "Parties in the year before this declaration" in page


def test_the_api_gives_scores_with_reasons(seeded: None) -> None:
    services.train()
    scoring.score_stored()
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    listing = client.get("/api/v1/risk/scores?limit=5").json()
    assert listing["count"] == Declaration.objects.count()
    probabilities = [item["probability"] for item in listing["items"]]
    assert probabilities == sorted(probabilities, reverse=True)
    lowest = Score.objects.order_by("probability").first()
    assert lowest is not None
    one = client.get(f"/api/v1/risk/declarations/{lowest.declaration_id}/score").json()
    assert one["reasons"]  # computed on request
    assert one["model_version"] == 1
    models = client.get("/api/v1/risk/models").json()
    assert models[0]["is_active"] is True


def test_a_second_version_is_not_active_until_activated(seeded: None) -> None:
    first = services.train()
    second = services.train(activate=False)
    assert ModelVersion.objects.get(is_active=True) == first
    services.activate_version(second)
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_a_tampered_artifact_is_refused(seeded: None) -> None:
    version = services.train()
    path = Path(settings.VAR_DIR) / version.artifact
    path.write_bytes(path.read_bytes() + b"x")
    services._loaded.clear()
    with pytest.raises(services.TrainingError, match="does not match its registered hash"):
        scoring.score_stored()


def test_a_model_from_other_features_is_refused_not_crashed(seeded: None) -> None:
    import hashlib

    import joblib

    version = services.train()
    path = Path(settings.VAR_DIR) / version.artifact
    model = joblib.load(path)
    model.features_.version_ = 0
    joblib.dump(model, path)
    ModelVersion.objects.filter(pk=version.pk).update(
        artifact_sha256=hashlib.sha256(path.read_bytes()).hexdigest()
    )
    version.refresh_from_db()
    services._loaded.clear()
    with pytest.raises(services.TrainingError, match="features differ"):
        services.load(version)


def test_the_analyst_home_shows_the_active_model(seeded: None) -> None:
    services.train()
    scoring.score_stored()
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    home = client.get("/").content.decode()
    assert 'data-figure="model_version" data-value="v1"' in home
    assert f'data-figure="scored" data-value="{Declaration.objects.count()}"' in home


def test_scores_written_to_csv_hold_no_formulas(seeded: Path, tmp_path: Path) -> None:
    """`greenlane score --file F --out scores.csv`: a declaration number that a spreadsheet would
    run as a formula never reaches the file (a number has the form of one: the row is rejected),
    and every cell written goes through the formula guard."""
    import csv

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from greenlane.cli import app

    services.train()
    (made,) = (seeded / "synth").glob("seed-*/declarations.parquet")
    rows = pq.read_table(made).slice(0, 3).to_pylist()
    rows[0]["declaration_number"] = "=1+2"
    data = tmp_path / "hostile.csv"
    pacsv.write_csv(pa.Table.from_pylist(rows), data)
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["score", "--file", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "(1 rows rejected)" in " ".join(result.output.split())
    with out.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [line["declaration_number"] for line in written] == [
        str(r["declaration_number"]) for r in rows[1:]
    ]
    assert not any(
        cell.lstrip().startswith(("=", "+", "@")) for line in written for cell in line.values()
    )
