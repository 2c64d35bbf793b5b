"""What one assess API key may send: declarations per minute and per day (issue 16: a leaked
key could use up an office's capacity with invented declarations)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client, override_settings

from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.targeting import quota
from greenlane.apps.targeting.keys import make_token
from greenlane.apps.targeting.models import KeyUsage

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 6, 1, 12, 0, 20, tzinfo=UTC)
DECLARATION = {
    "number": "N1", "declaration_date": "2026-06-01", "office_code": "SEA1",
    "importer_code": "OP1", "hs6": "850440", "origin_country": "CN", "net_mass_kg": 10,
    "customs_value": 100,
}  # fmt: skip


def _counts(token: object) -> dict[str, int]:
    return dict(KeyUsage.objects.filter(token=token).values_list("window", "declarations"))


@override_settings(KEY_DECLARATIONS_PER_MINUTE=10, KEY_DECLARATIONS_PER_DAY=25)
def test_a_batch_past_the_minute_is_refused_whole_until_the_next_minute() -> None:
    token, _ = make_token("ASYCUDA", None)
    quota.charge(token, 6, NOON)
    with pytest.raises(quota.Exceeded) as refused:
        quota.charge(token, 5, NOON + timedelta(seconds=10))
    assert (refused.value.window, refused.value.limit, refused.value.retry_after) == (
        "minute", 10, 30,
    )  # fmt: skip
    assert _counts(token) == {"minute": 6, "day": 6}  # nothing of the refused batch counted
    quota.charge(token, 4, NOON + timedelta(seconds=30))  # exactly up to the limit
    quota.charge(token, 10, NOON + timedelta(minutes=1))
    assert KeyUsage.objects.get(token=token, window="day").declarations == 20


@override_settings(KEY_DECLARATIONS_PER_MINUTE=10, KEY_DECLARATIONS_PER_DAY=25)
def test_the_day_limit_holds_across_minutes_and_is_reported_once() -> None:
    token, _ = make_token("ASYCUDA", None)
    other, _ = make_token("NCTS", None)
    for minute in range(2):
        quota.charge(token, 10, NOON + timedelta(minutes=minute))
    for attempt in range(3):  # a client retrying
        with pytest.raises(quota.Exceeded) as refused:
            quota.charge(token, 6, NOON + timedelta(minutes=5 + attempt))
        assert refused.value.window == "day"
    assert refused.value.retry_after == int(
        (datetime(2026, 6, 2, tzinfo=UTC) - (NOON + timedelta(minutes=7))).total_seconds()
    )
    quota.charge(other, 6, NOON + timedelta(minutes=5))  # each key has its own count
    (event,) = AuditEvent.objects.filter(action="targeting.key.limited")
    assert (event.subject_id, event.data["window"], event.data["limit"]) == (
        str(token.pk), "day", 25,
    )  # fmt: skip
    quota.charge(token, 6, NOON + timedelta(days=1))  # a new day
    tomorrow = datetime(2026, 6, 2, tzinfo=UTC)
    assert KeyUsage.objects.get(token=token, window="day", starts_at=tomorrow).declarations == 6


def test_a_key_s_windows_older_than_yesterday_are_forgotten() -> None:
    token, _ = make_token("ASYCUDA", None)
    quota.charge(token, 1, NOON - timedelta(days=3))
    quota.charge(token, 1, NOON)
    assert {r.starts_at.date() for r in KeyUsage.objects.filter(token=token)} == {NOON.date()}


@override_settings(KEY_DECLARATIONS_PER_MINUTE=3)
def test_the_api_answers_429_with_retry_after_past_the_limit() -> None:
    _, key = make_token("ASYCUDA", None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    batch = {"declarations": [DECLARATION, {**DECLARATION, "number": "N2"}]}
    first = client.post("/api/v1/declarations/assess", batch, content_type="application/json")
    assert first.status_code == 409  # within the limit: assessed (no model in this test)
    second = client.post("/api/v1/declarations/assess", batch, content_type="application/json")
    assert second.status_code == 429
    assert 1 <= int(second["Retry-After"]) <= 60
    assert "may send 3 declarations a minute" in second.json()["detail"]
    assert AuditEvent.objects.filter(action="targeting.key.limited").count() == 1
