"""Error pages keep the site's layout and a way back, and say what happened in words."""

from __future__ import annotations

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_not_found_and_not_for_your_role_are_pages_of_the_site() -> None:
    client = Client()
    client.force_login(factories.user(Role.TRADER))
    missing = client.get("/no/such/page/")
    text = missing.content.decode()
    assert missing.status_code == 404
    assert 'data-testid="who"' in text  # the layout, with its navigation
    assert "<h1>Not found</h1>" in text
    assert 'href="/">Back to your start page' in text
    refused = client.get("/risk/scores/")
    text = refused.content.decode()
    assert refused.status_code == 403
    assert 'data-testid="who"' in text
    assert "not open to a trader" in text
    assert "Nothing was changed" in text


def test_an_anonymous_visitor_gets_the_layout_too() -> None:
    missing = Client().get("/no/such/page/")
    assert missing.status_code == 404
    assert "<h1>Not found</h1>" in missing.content.decode()


def test_the_server_error_page_has_the_stylesheet_and_a_way_back() -> None:
    from django.test import RequestFactory

    from greenlane.web.views import server_error

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = server_error(RequestFactory().get("/risk/scores/"))
    text = response.content.decode()
    assert response.status_code == 500
    assert 'rel="stylesheet"' in text
    assert 'href="/">back to your start page' in text
    assert "boom" not in text
