"""Two officers deciding the same application at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification import services
from greenlane.apps.certification.models import Application, Certificate
from greenlane.core.certification.lifecycle import NotAllowed, Stage
from tests import factories

from .world import recommended, world

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_officers_deciding_at_once_cannot_both_succeed() -> None:
    w = world()
    second_decider = factories.user(Role.DECISION_OFFICER, w.decider.organisation)
    app = recommended(w)

    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(name: str, officer: object, action: str) -> None:
        try:
            mine = Application.objects.get(pk=app.pk)  # each thread: its own connection
            barrier.wait(timeout=10)
            services.transition(mine, officer, action, reason=f"{name} decides", tier="A")  # type: ignore[arg-type]
            outcomes[name] = "done"
        except NotAllowed as exc:
            outcomes[name] = f"refused: {exc}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("first", w.decider, "approve")),
        threading.Thread(target=decide, args=("second", second_decider, "reject")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["done", "refused"]
    app.refresh_from_db()
    assert app.stage in (Stage.APPROVED, Stage.REJECTED)
    assert app.revision == 3  # assign, recommend, one decision: nothing lost, nothing doubled
    assert app.events.filter(to_stage__in=["approved", "rejected"]).count() == 1
    assert Certificate.objects.count() == (1 if app.stage == Stage.APPROVED else 0)
