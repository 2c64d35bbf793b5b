"""Failed logins lock the attacker's address, not the user (issue 16).

The reproduction: five anonymous requests locked ``statistician`` for everyone for 15 minutes.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db
ATTACKER = "203.0.113.66"
USER = "198.51.100.5"


def _login(address: str, username: str, password: str) -> int:
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code


def test_an_attackers_failures_do_not_lock_the_user_out() -> None:
    user = factories.user("statistician")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(ATTACKER, user.username, "guess")
    assert _login(USER, user.username, factories.PASSWORD) == 302


def test_the_attackers_address_is_locked_even_with_the_right_password() -> None:
    user = factories.user("statistician")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(ATTACKER, user.username, "guess")
    assert _login(ATTACKER, user.username, factories.PASSWORD) == 429


def test_failures_from_many_addresses_back_off_new_addresses_but_not_known_ones(
    settings,  # type: ignore[no-untyped-def]
) -> None:
    settings.LOCKOUT_USERNAME_ATTEMPTS = 8
    user = factories.user("statistician")
    assert _login(USER, user.username, factories.PASSWORD) == 302  # the user's usual address
    below_each_limit = settings.AXES_FAILURE_LIMIT - 1
    for n in range(2):  # 2 x 4 = 8 failures, none of the addresses locked on its own
        for _ in range(below_each_limit):
            _login(f"203.0.113.{n}", user.username, "guess")
    assert _login("192.0.2.1", user.username, factories.PASSWORD) == 429  # a new address waits
    assert _login(USER, user.username, factories.PASSWORD) == 302  # the usual one does not


def test_fewer_failures_from_many_addresses_do_not_back_off(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOCKOUT_USERNAME_ATTEMPTS = 8
    user = factories.user("statistician")
    for n in range(7):
        _login(f"203.0.113.{n}", user.username, "guess")
    assert _login("192.0.2.1", user.username, factories.PASSWORD) == 302


def test_behind_a_proxy_the_lockout_counts_the_client_it_names_not_the_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    """Every request reaches Greenlane from the proxy's address; the proxy appends the
    client's to X-Forwarded-For (after whatever the client wrote there itself)."""
    settings.TRUSTED_PROXIES = 1
    user = factories.user("statistician")
    proxy = "10.0.0.2"

    def via_proxy(client_address: str, password: str, forged: str = "") -> int:
        client = Client(
            REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{forged}{client_address}".lstrip(", ")
        )
        answer = client.post(reverse("login"), {"username": user.username, "password": password})
        return answer.status_code

    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new address of its own each time: it is not the one counted.
        via_proxy(ATTACKER, "guess", forged=f"192.0.2.{n}, ")
    assert via_proxy(ATTACKER, factories.PASSWORD) == 429
    assert via_proxy(USER, factories.PASSWORD) == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "192.0.2.9", "10.0.0.2"),  # no proxy trusted: the header is the client's word
        (1, "192.0.2.9", "192.0.2.9"),
        (1, "198.51.100.1, 192.0.2.9", "192.0.2.9"),
        (2, "198.51.100.1, 192.0.2.9, 10.0.0.1", "192.0.2.9"),
        (2, "192.0.2.9", "10.0.0.2"),  # fewer entries than proxies: not trusted
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_one_the_trusted_proxies_name(
    settings,
    proxies: int,
    forwarded: str,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    from django.test import RequestFactory

    from greenlane.apps.accounts.clients import client_address

    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
