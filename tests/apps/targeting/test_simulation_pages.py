"""The simulation and what-if pages of a risk analyst."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.targeting.models import (
    ChannelDecision,
    ModelVersion,
    Score,
    SelectivityPolicy,
    SimulationRun,
)
from tests import factories
from tests.apps.targeting.sim_data import START, VALUES, inspected_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    client = Client()
    client.force_login(factories.user(Role.RISK_ANALYST))
    return client


def _form(values: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in values.items()}


def _policy(office: str = "SEA1", **fields: Any) -> SelectivityPolicy:
    values = {"capacity": 20, "documentary_capacity": 10, "expected_daily": 200, **fields}
    return SelectivityPolicy.objects.create(office_code=office, version=1, **values)


def test_a_refused_simulation_shows_why_on_the_form(client: Client) -> None:
    inspected_month()
    page = client.post(
        "/risk/simulations/", _form({**VALUES, "period_to": START + timedelta(days=6)})
    )
    assert page.status_code == 200
    assert "1 week(s) of declarations with an inspection result" in page.content.decode()
    assert not SimulationRun.objects.exists()


def test_the_form_starts_from_the_last_weeks_with_results_and_the_office_policy(
    client: Client,
) -> None:
    inspected_month()
    _policy(min_random_rate=0.02, exploration_share=0.15, aeo_reduction=0.3)
    form = client.get("/risk/simulations/?office=SEA1").context["form"]
    assert form.initial["period_to"] == START + timedelta(weeks=4, days=-1)
    assert form.initial["period_from"] == START + timedelta(weeks=-22)
    assert (form.initial["office_code"], form.initial["inspection_rate"]) == ("SEA1", 0.05)
    assert (form.initial["min_random_rate"], form.initial["exploration_share"]) == (0.02, 0.15)
    assert form.initial["aeo_reduction"] == 0.3


def test_a_queued_simulation_shows_its_results_and_charts(client: Client) -> None:
    inspected_month()
    response = client.post("/risk/simulations/", _form(VALUES))
    run = SimulationRun.objects.get()
    assert response["Location"] == f"/risk/simulations/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "inherits the selection of the past" in page
    for chart in ("hit-rate", "captured", "aeo-rates"):
        found = re.search(
            rf'<script id="spec-{chart}" type="application/json">(.*?)</script>', page
        )
        assert found, chart
        assert json.loads(found.group(1))["data"]["values"]
    assert page.count('data-chart="spec-') == 3
    assert "<script>" not in page  # no inline script: the charts are data
    assert client.get("/risk/simulations/").content.decode().count(f"#{run.pk}<") == 1


def test_a_running_simulation_shows_its_progress(client: Client) -> None:
    run = SimulationRun.objects.create(
        status=SimulationRun.Status.RUNNING, progress=0.25, message="the scenario: week 2 of 4",
        **VALUES,
    )  # fmt: skip
    page = client.get(f"/risk/simulations/{run.pk}/").content.decode()
    assert f'data-progress-url="/risk/simulations/{run.pk}/progress/"' in page
    assert 'value="0.25"' in page
    progress = client.get(f"/risk/simulations/{run.pk}/progress/").json()
    assert progress == {"status": "running", "progress": 0.25, "text": run.message}


# Ten inspected declarations, scored: frauds at ranks 1, 3 and 4 (as in test_metrics).
SCORES = [0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.95, 0.05, 0.4, 0.6]
FRAUD = [0, 0, 1, 1, 0, 0, 1, 0, 0, 0]
REVENUE = ["0", "0", "30", "0", "0", "0", "70", "0", "0", "0"]
DAY = date(2026, 3, 2)


def _active(version: int = 1) -> ModelVersion:
    return ModelVersion.objects.create(
        version=version, is_active=True, training_from="2025-01-01", training_to="2025-12-31",
        training_rows=10, labelled_rows=5, feature_schema=["x"], hyperparameters={},
        library_versions={}, metrics={}, artifact="models/none.joblib", artifact_sha256="0" * 64,
    )  # fmt: skip


@pytest.fixture
def scored() -> dict[str, Any]:
    active = _active()
    importer = factories.operator()
    rows = []
    for i, (probability, fraud, revenue) in enumerate(zip(SCORES, FRAUD, REVENUE, strict=True)):
        declaration = factories.declaration(importer, declaration_date=DAY + timedelta(days=i))
        factories.inspection(declaration, fraud=bool(fraud), revenue=revenue)
        Score.objects.create(
            declaration=declaration, model_version=active, probability=probability,
            revenue_at_stake=Decimal("0"),
        )  # fmt: skip
        rows.append(declaration)
    uninspected = factories.declaration(importer, declaration_date=DAY)
    Score.objects.create(
        declaration=uninspected, model_version=active, probability=0.99, revenue_at_stake=0
    )
    return {"active": active, "rows": rows}


def _figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="what-if-([a-z-]+)">([^<]*)</(?:dd|span)>', page))


def test_the_what_if_figures_are_the_hand_computed_ones(client: Client, scored: Any) -> None:
    _policy()
    page = client.get(
        "/risk/what-if/?period_from=2026-03-02&period_to=2026-03-31&office=SEA1&percent=20"
    ).content.decode()
    # Top 20% of 10: rows 6 (fraud, 70 recovered) and 0: 1 of 3 frauds, 70 of 100 revenue.
    assert _figures(page) == {
        "inspected": "2", "frauds": "1", "frauds-share": "33.3%", "revenue-share": "70.0%",
        "hit-rate": "50.0%", "daily": "40",
    }  # fmt: skip
    curve = json.loads(
        re.search(r'<script id="what-if-curve" type="application/json">(.*?)</script>', page).group(
            1
        )  # type: ignore[union-attr]
    )
    assert len(curve) == 100
    assert curve[79] == {
        "percent": 40.0, "inspected": 4, "frauds_found": 3, "frauds_share": 1.0,
        "revenue_share": 1.0, "hit_rate": 0.75,
    }  # fmt: skip
    spec = json.loads(
        re.search(r'<script id="what-if-spec" type="application/json">(.*?)</script>', page).group(
            1
        )  # type: ignore[union-attr]
    )
    assert spec["layer"][1]["data"]["values"] == [{"rate": 0.2}]
    assert 'data-testid="in-sample"' not in page  # the model was trained before the period
    ModelVersion.objects.filter(pk=scored["active"].pk).update(training_to=date(2026, 3, 5))
    page = client.get("/risk/what-if/?period_from=2026-03-02&period_to=2026-03-31").content
    assert b'data-testid="in-sample"' in page  # it learned from part of it: said so


def test_random_compliance_samples_only(client: Client, scored: Any) -> None:
    policy = _policy()
    for declaration in (scored["rows"][i] for i in (6, 2, 1)):
        ChannelDecision.objects.create(
            number=declaration.number, office_code="SEA1", declaration_date=DAY,
            importer_code="X", channel="red", probability=0.5, score=0.5, revenue_at_stake=0,
            random=True, policy=policy, model_version=scored["active"],
        )  # fmt: skip
    ChannelDecision.objects.create(
        number=scored["rows"][3].number, office_code="SEA1", declaration_date=DAY,
        importer_code="X", channel="red", probability=0.5, score=0.5, revenue_at_stake=0,
        random=False, policy=policy, model_version=scored["active"],
    )  # fmt: skip
    page = client.get(
        "/risk/what-if/?period_from=2026-03-02&period_to=2026-03-31&percent=50&random_only=on"
    ).content.decode()
    # Three samples: 0.95 (fraud, 70), 0.8 (fraud, 30), 0.1; the top 50% is one of them.
    figures = _figures(page)
    assert (figures["inspected"], figures["frauds-share"], figures["revenue-share"]) == (
        "1", "50.0%", "70.0%",
    )  # fmt: skip
    assert "daily" not in figures  # no office chosen
    assert "stand for all declarations" in page


def test_the_slider_wins_when_it_moved_and_the_number_when_it_was_typed(
    client: Client, scored: Any
) -> None:
    query = "/risk/what-if/?period_from=2026-03-02&period_to=2026-03-31"
    moved = client.get(f"{query}&slider=40&percent=20&shown=20").content.decode()
    assert _figures(moved)["inspected"] == "4"
    typed = client.get(f"{query}&slider=20&percent=10&shown=20").content.decode()
    assert _figures(typed)["inspected"] == "1"


@pytest.mark.parametrize(
    "query",
    [
        "percent=abc&period_from=yesterday",
        "percent=80",
        "percent=-3&period_from=2026-03-31&period_to=2026-03-01",
        "office=<script>&random_only=maybe",
    ],
)
def test_bad_parameters_fall_back_to_the_defaults(client: Client, scored: Any, query: str) -> None:
    page = client.get(f"/risk/what-if/?{query}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "could not be used" in text
    assert "defaults shown" in text
    values = page.context["values"]
    assert values["period_to"] == DAY + timedelta(days=9)  # the newest scored and inspected
    assert values["period_from"] == values["period_to"] - timedelta(days=89)
    assert values["percent"] == 5.0


def test_without_an_active_model_the_page_says_so(client: Client) -> None:
    page = client.get("/risk/what-if/").content.decode()
    assert "No active risk model" in page


def test_a_period_without_scored_inspections_says_so(client: Client, scored: Any) -> None:
    page = client.get("/risk/what-if/?period_from=2020-01-01&period_to=2020-02-01")
    assert page.status_code == 200
    assert "has both a score of model v1 and a recorded inspection result" in (
        page.content.decode()
    )
