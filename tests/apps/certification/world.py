"""People and a self-tested operator for the certification tests."""

from __future__ import annotations

from dataclasses import dataclass

from greenlane.apps.accounts.models import User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services as assessments
from greenlane.apps.assessments.models import SelfAssessment
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
