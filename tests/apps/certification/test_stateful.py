"""Random sequences of transitions by random people never reach an invalid state."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenlane.apps.audit import services as audit
from greenlane.apps.certification import services
from greenlane.apps.certification.models import Application, Certificate
from greenlane.core.certification.lifecycle import APPLICATION, OPEN_STAGES, NotAllowed, Stage

from .world import world

pytestmark = pytest.mark.django_db

ACTIONS = [*APPLICATION, "record_findings", "file_report"]
PEOPLE = ["trader", "validator", "other_validator", "decider", "admin"]


def _data(w: object, action: str) -> dict[str, object]:
    return {
        "validator": w.validator,  # type: ignore[attr-defined]
        "question": "Send the stock records",
        "answer": "Sent",
        "planned_on": date.today() + timedelta(days=7),
        "plan": "Warehouse visit",
        "reason": "Decided on the file",
        "tier": "A",
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(PEOPLE)), max_size=14))
def test_random_transitions_keep_the_application_valid(steps: list[tuple[str, str]]) -> None:
    w = world()
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    for action, who in steps:
        person = getattr(w, who)
        before = (app.stage, app.revision)
        try:
            if action == "record_findings":
                for criterion in services.version_today().criteria:
                    services.record_finding(
                        app, person, {"criterion": criterion.id, "result": "compliant"}
                    )
            elif action == "file_report":
                services.file_site_report(app, person, date.today(), "Everything seen")
            else:
                services.transition(app, person, action, **_data(w, action))
        except (NotAllowed, services.Refused):
            app.refresh_from_db()
            assert (app.stage, app.revision) == before  # a refusal changes nothing
            continue
        app.refresh_from_db()
        if action in APPLICATION:
            assert app.revision == before[1] + 1
            assert app.stage != before[0] or action == "assign"
    assert app.stage in set(Stage)
    assert Certificate.objects.filter(application=app).exists() == (app.stage == Stage.APPROVED)
    if app.stage in (Stage.APPROVED, Stage.REJECTED):
        assert app.decided_by_id is not None
        assert app.decided_by_id != app.validator_id
    assert (app.stage in OPEN_STAGES) == Application.objects.filter(
        pk=app.pk, stage__in=OPEN_STAGES
    ).exists()
    _, broken = audit.verify()
    assert broken is None
