"""People and a self-tested operator for the certification tests."""

from __future__ import annotations

from dataclasses import dataclass

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services as assessments
from greenlane.apps.assessments.models import SelfAssessment
from greenlane.apps.certification.models import Application
from greenlane.apps.operators.models import Operator
from tests import factories

KOREA_SCORES = {"kr-aeo": {"legal_compliance": "92", "internal_control": "88"}}


@dataclass
class World:
    operator: Operator
    trader: User
    validator: User
    other_validator: User
    decider: User
    admin: User
    snapshot: SelfAssessment


def world() -> World:
    customs = factories.organisation("customs")
    operator = factories.operator(factories.organisation("operator"))
    trader = factories.user(Role.TRADER, operator.organisation)
    trader.email = "trade@example.org"
    trader.save()
    factories.answered_draft(operator, trader)
    assessments.save_profile(operator, trader, {"scores": KOREA_SCORES})
    snapshot = assessments.submit(operator, trader)
    return World(
        operator=operator,
        trader=trader,
        validator=factories.user(Role.VALIDATOR, customs),
        other_validator=factories.user(Role.VALIDATOR, customs),
        decider=factories.user(Role.DECISION_OFFICER, customs),
        admin=factories.user(Role.ADMINISTRATOR, customs),
        snapshot=snapshot,
    )


def recommended(w: World) -> Application:
    """An application for tier A, assigned, found compliant on every criterion and sent to the
    decision officer."""
    from greenlane.apps.certification import services

    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    for criterion in services.version_today().criteria:
        services.record_finding(
            app, w.validator, {"criterion": criterion.id, "result": "compliant"}
        )
    return services.transition(app, w.validator, "recommend")


def approved(w: World) -> Application:
    """``recommended``, then approved: its certificate is issued."""
    from greenlane.apps.certification import services

    return services.transition(recommended(w), w.decider, "approve", reason="ok", tier="A")
