"""A trader sees only its own company; a consultant only the companies that granted it access."""

from __future__ import annotations

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.declarations.permissions import (
    visible_declarations,
    visible_declarations_of_importer,
)
from greenlane.apps.operators import services as operator_services
from greenlane.apps.operators.permissions import visible_operators
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_companies() -> dict[str, object]:
    mine_org, theirs_org = factories.organisation("operator"), factories.organisation("operator")
    mine = factories.operator(mine_org, name="Mine Trading")
    theirs = factories.operator(theirs_org, name="Theirs Trading")
    for _ in range(3):
        factories.inspection(factories.declaration(mine), fraud=True, revenue="10")
    for _ in range(5):
        factories.declaration(theirs)
    return {
        "mine": mine,
        "theirs": theirs,
        "trader": factories.user("trader", mine_org),
        "colleague": factories.user("trader", mine_org),
        "outsider": factories.user("trader", theirs_org),
        "consultancy": factories.organisation("consultancy"),
    }


def test_a_trader_and_its_colleague_see_the_same_single_company(two_companies: dict) -> None:
    for who in ("trader", "colleague"):
        assert list(visible_operators(two_companies[who])) == [two_companies["mine"]]
        assert visible_declarations(two_companies[who]).count() == 3


def test_the_outsider_sees_only_its_own(two_companies: dict) -> None:
    assert list(visible_operators(two_companies["outsider"])) == [two_companies["theirs"]]
    assert visible_declarations(two_companies["outsider"]).count() == 5


def test_pages_and_api_list_only_the_own_company(two_companies: dict) -> None:
    client = Client()
    client.force_login(two_companies["trader"])
    page = client.get("/operators/").content.decode()
    assert "Mine Trading" in page
    assert "Theirs Trading" not in page
    items = client.get("/api/v1/operators").json()["items"]
    assert [i["name"] for i in items] == ["Mine Trading"]
    home = client.get("/").content.decode()
    assert 'data-figure="declarations" data-value="3"' in home
    assert 'data-figure="inspections" data-value="3"' in home


def test_a_consultant_sees_clients_only_while_access_lasts(two_companies: dict) -> None:
    consultancy = two_companies["consultancy"]
    consultant = factories.user("consultant", consultancy)
    assert visible_operators(consultant).count() == 0
    operator_services.grant_consultant_access(
        two_companies["mine"], consultancy, two_companies["trader"]
    )
    assert list(visible_operators(consultant)) == [two_companies["mine"]]
    assert visible_declarations(consultant).count() == 3
    client = Client()
    client.force_login(consultant)
    assert client.get(f"/operators/{two_companies['mine'].pk}/").status_code == 200
    assert client.get(f"/operators/{two_companies['theirs'].pk}/").status_code == 404
    operator_services.revoke_consultant_access(
        two_companies["mine"], consultancy, two_companies["trader"]
    )
    assert visible_operators(consultant).count() == 0
    assert client.get(f"/operators/{two_companies['mine'].pk}/").status_code == 404


def test_an_inactive_user_sees_nothing(two_companies: dict) -> None:
    trader = two_companies["trader"]
    trader.is_active = False
    assert visible_operators(trader).count() == 0
    assert visible_declarations(trader).count() == 0


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_an_importers_declarations_are_what_the_user_sees_of_them(
    two_companies: dict, role: str
) -> None:
    """The operator page's narrow query gives, for every role and every importer, exactly
    the declarations the general rule shows: those of a company's own code, of a client's,
    and of another importer only where the company was the declarant."""
    mine, theirs = two_companies["mine"], two_companies["theirs"]
    for _ in range(2):
        factories.declaration(theirs, declarant_code=mine.code)
    user = factories.user(role, mine.organisation if role == Role.TRADER else None)
    if role == Role.CONSULTANT:
        operator_services.grant_consultant_access(
            theirs, user.organisation, two_companies["outsider"]
        )
    for code in (mine.code, theirs.code, "NOBODY"):
        narrow = set(visible_declarations_of_importer(user, code))
        assert narrow == set(visible_declarations(user).filter(importer_code=code)), code
    if role == Role.TRADER:
        assert len(visible_declarations_of_importer(user, theirs.code)) == 2
        assert len(visible_declarations_of_importer(user, mine.code)) == 3
