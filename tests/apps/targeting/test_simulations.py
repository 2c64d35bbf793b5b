"""Simulations queued by an analyst, run in the background, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.targeting import simulations
from greenlane.apps.targeting.models import SimulationRun
from greenlane.apps.targeting.selectivity import Refused
from greenlane.apps.targeting.simulation_tasks import run_simulation
from greenlane.apps.wording import translated
from greenlane.core.words import english, read
from tests import factories
from tests.apps.targeting.sim_data import START, VALUES, inspected_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst() -> Any:
    return factories.user(Role.RISK_ANALYST)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"period_to": START - timedelta(days=1)}, "period_to", "ends before it starts"),
        ({"inspection_rate": 0.0}, "inspection_rate", "above 0"),
        ({"aeo_reduction": 1.5}, "aeo_reduction", "between 0 and 1"),
        ({"exploration_share": -0.1}, "exploration_share", "between 0 and 1"),
        ({"min_random_rate": 0.4}, "min_random_rate", "cannot exceed the inspection rate"),
        ({"period_to": START + timedelta(days=13)}, "period_from", "2 week(s)"),
        ({"office_code": "AIR9"}, "period_from", "0 week(s)"),
    ],
)
def test_it_refuses_a_simulation_that_cannot_run_naming_the_field(
    analyst: Any, change: dict[str, Any], field: str, words: str
) -> None:
    inspected_month()
    with pytest.raises(Refused, match=words.replace("(", r"\(").replace(")", r"\)")) as refused:
        simulations.request(analyst, {**VALUES, **change})
    assert refused.value.field == field
    assert not SimulationRun.objects.exists()


def test_a_queued_run_replays_the_scenario_and_the_scenario_without_exploration(
    analyst: Any,
) -> None:
    inspected_month()
    run = simulations.request(analyst, VALUES)  # the test worker runs it at once
    assert (run.status, run.progress) == (SimulationRun.Status.DONE, 1.0)
    result = run.result
    assert (result["declarations"], result["frauds"], result["weeks"]) == (224, 56, 4)
    assert result["aeo_declarations"] == 56  # half of the last two weeks
    assert "inherits the selection of the past" in result["limitation"]
    for name in ("scenario", "no_exploration"):
        weeks = result[name]["weeks"]
        assert [w["declarations"] for w in weeks] == [56] * 4
        assert all(w["inspections"] <= 17 for w in weeks)  # 30% of 56, rounded up
        assert result[name]["summary"]["inspections"] == sum(w["inspections"] for w in weeks)
    assert sum(w["explored"] for w in result["scenario"]["weeks"]) > 0
    assert result["scenario"]["weeks"][3]["what_if"]  # a model chose the last week's
    assert all(w["explored"] == 0 for w in result["no_exploration"]["weeks"])
    assert run.task_id
    events = AuditEvent.objects.filter(subject_type="targeting.simulationrun")
    assert list(events.values_list("action", flat=True)) == [
        "targeting.simulation.queued",
        "targeting.simulation.done",
    ]
    assert events.first().data["inspection_rate"] == 0.3  # type: ignore[union-attr]


def test_the_same_seed_gives_the_same_result(analyst: Any) -> None:
    inspected_month()
    first = simulations.request(analyst, VALUES)
    again = simulations.request(analyst, VALUES)
    assert first.result == again.result


def test_the_bar_moves_week_by_week_through_both_replays(analyst: Any) -> None:
    inspected_month()
    run = SimulationRun.objects.create(requested_by=analyst, **VALUES)
    steps: list[tuple[str, float]] = []
    simulations.execute(run, lambda text, share: steps.append((str(text), share)))
    shares = [share for _, share in steps]
    assert shares == sorted(shares)
    assert shares[-1] == 1.0
    assert ("the scenario: week 4 of 4", 0.5) in steps
    assert steps[-1][0] == "the scenario without exploration: week 4 of 4"


def test_a_failure_stores_a_plain_message_and_is_audited(
    analyst: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspected_month()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Traceback (most recent call last): secret internals")

    monkeypatch.setattr(simulations, "simulate", broken)
    run = simulations.request(analyst, VALUES)
    assert run.status == SimulationRun.Status.FAILED
    assert english(read(run.message)) == (
        f"an internal error stopped the simulation (run {run.pk}); nothing was stored"
    )
    with translation.override("es"):  # kept as words, read in the reader's language
        assert translated(read(run.message)) == gettext(
            "an internal error stopped the simulation (run %(pk)s); nothing was stored"
        ) % {"pk": run.pk}
    assert run.result == {}
    assert run.finished_at is not None
    assert AuditEvent.objects.filter(action="targeting.simulation.failed").count() == 1


def test_a_run_whose_data_went_away_fails_with_the_reason(analyst: Any) -> None:
    run = SimulationRun.objects.create(requested_by=analyst, **VALUES)  # nothing inspected
    run_simulation.enqueue(run.pk)
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED
    assert run.message == "no declaration with an inspection result in the period any more"


def test_a_run_is_claimed_only_once(analyst: Any) -> None:
    run = SimulationRun.objects.create(
        requested_by=analyst, status=SimulationRun.Status.RUNNING, **VALUES
    )
    assert run_simulation.enqueue(run.pk).return_value == "not queued"
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.RUNNING
