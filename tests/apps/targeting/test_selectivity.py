"""Rule profiles and office policies through the analyst's pages and services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.targeting import selectivity
from greenlane.apps.targeting.models import RuleProfile, SelectivityPolicy
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst() -> Any:
    return factories.user(Role.RISK_ANALYST, factories.organisation("customs"))


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


RULE = {
    "name": "arms",
    "expression": 'hs6 startswith "93"',
    "action": "force",
    "channel": "red",
    "shift": "0",
    "reason": "Weapons are always examined",
}


def test_an_invalid_rule_is_refused_at_save_with_the_position(analyst: Any) -> None:
    page = _client(analyst).post(
        "/risk/rules/", {**RULE, "expression": 'hs6 startswith "93" and hs7 == 1'}
    )
    assert "line 1, column 25: unknown field &#x27;hs7&#x27;" in page.content.decode()
    assert not RuleProfile.objects.exists()


def test_a_rule_is_dry_run_before_it_can_act_and_a_change_sends_it_back(analyst: Any) -> None:
    importer = factories.operator(factories.organisation("operator"))
    for hs6 in ("930190", "930200", "851712"):
        factories.declaration(importer, hs6=hs6, declaration_date=date(2026, 5, 1))
    factories.declaration(importer, hs6="930190", declaration_date=date(2026, 1, 1))  # too old
    client = _client(analyst)
    client.post("/risk/rules/", RULE)
    rule = RuleProfile.objects.get()
    refused = client.post(f"/risk/rules/{rule.pk}/activate", follow=True)
    assert (
        "dry-run the rule on recent declarations before activating it" in refused.content.decode()
    )
    client.post(f"/risk/rules/{rule.pk}/dry-run")
    rule.refresh_from_db()
    assert (rule.dry_run_hits, rule.dry_run_rows) == (2, 3)
    assert (rule.dry_run_from, rule.dry_run_to) == (date(2026, 4, 2), date(2026, 5, 1))
    client.post(f"/risk/rules/{rule.pk}/activate")
    rule.refresh_from_db()
    assert rule.is_active
    client.post(f"/risk/rules/{rule.pk}/", {**RULE, "expression": 'hs6 startswith "930"'})
    rule.refresh_from_db()
    assert (rule.is_active, rule.revision) == (False, 2)  # changed: a draft again
    actions = list(
        AuditEvent.objects.filter(subject_type="targeting.ruleprofile").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "targeting.rule.saved", "targeting.rule.dry_run", "targeting.rule.activated",
        "targeting.rule.saved",
    ]  # fmt: skip


def test_switching_a_rule_off_takes_a_reason_and_a_tick_and_is_audited(analyst: Any) -> None:
    importer = factories.operator(factories.organisation("operator"))
    factories.declaration(importer, hs6="930190", declaration_date=date(2026, 5, 1))
    client = _client(analyst)
    client.post("/risk/rules/", RULE)
    rule = RuleProfile.objects.get()
    client.post(f"/risk/rules/{rule.pk}/dry-run")
    client.post(f"/risk/rules/{rule.pk}/activate")
    page = client.get(f"/risk/rules/{rule.pk}/").content.decode()
    assert "I understand: from the next decision on" in page  # says what will happen

    for form, words in (
        ({"reason": "Seasonal rule over"}, "Not done: tick the box to confirm"),
        ({"reason": "   ", "confirm": "yes"}, "say why the rule is switched off"),
        ({"reason": "x" * 2_001, "confirm": "yes"}, "longer than 2,000 characters"),
    ):
        refused = client.post(f"/risk/rules/{rule.pk}/deactivate", form, follow=True)
        assert words in refused.content.decode()
        rule.refresh_from_db()
        assert rule.is_active, form
    client.post(
        f"/risk/rules/{rule.pk}/deactivate", {"reason": "Seasonal rule over", "confirm": "yes"}
    )
    rule.refresh_from_db()
    assert not rule.is_active
    event = AuditEvent.objects.get(action="targeting.rule.deactivated")
    assert event.data == {"revision": 1, "reason": "Seasonal rule over"}
    assert event.actor_id == analyst.pk


def test_a_policy_whose_random_rate_exceeds_its_capacity_is_refused(analyst: Any) -> None:
    values = {
        "office_code": "sea1", "capacity": "20", "documentary_capacity": "10",
        "expected_daily": "1000", "min_random_rate": "0.05", "exploration_share": "0.1",
        "aeo_reduction": "0.2", "partner_reduction": "0.1", "red_threshold": "0",
        "yellow_threshold": "0",
    }  # fmt: skip
    client = _client(analyst)
    page = client.post("/risk/policies/", values).content.decode()
    assert "50 examinations, more than the capacity of 20" in page
    assert not SelectivityPolicy.objects.exists()
    client.post("/risk/policies/", {**values, "capacity": "60"})
    client.post("/risk/policies/", {**values, "capacity": "80"})
    versions = list(SelectivityPolicy.objects.values_list("office_code", "version", "capacity"))
    assert sorted(versions) == [("SEA1", 1, 60), ("SEA1", 2, 80)]
    assert [p.capacity for p in selectivity.policies_in_force()] == [80]


def test_a_forcing_rule_needs_its_channel_and_dates_in_order(analyst: Any) -> None:
    with pytest.raises(selectivity.Refused, match="needs its channel"):
        selectivity.save_rule(analyst, {**RULE, "channel": "", "shift": 0.0})
    with pytest.raises(selectivity.Refused, match="ends before it starts"):
        selectivity.save_rule(
            analyst,
            {**RULE, "shift": 0.0, "valid_from": date(2026, 2, 1), "valid_to": date(2026, 1, 1)},
        )


DEEP = "1+" * 932 + "1 > 0"  # saved, dry-run and activated before rules were bounded


def test_a_rule_nested_past_the_limit_is_refused_at_save_with_the_limit(analyst: Any) -> None:
    page = _client(analyst).post("/risk/rules/", {**RULE, "expression": DEEP})
    assert "line 1, column 1: a rule nests at most 32 levels deep" in page.content.decode()
    assert not RuleProfile.objects.exists()


def test_the_dry_run_of_a_rule_saved_before_the_limits_is_refused_not_a_500(
    analyst: Any,
) -> None:
    factories.declaration(
        factories.operator(factories.organisation("operator")), declaration_date=date(2026, 5, 1)
    )
    rule = RuleProfile.objects.create(
        name="deep", expression="1+" * 986 + "1 > 0", action="force", channel="red", reason="x"
    )
    page = _client(analyst).post(f"/risk/rules/{rule.pk}/dry-run", follow=True)
    assert page.status_code == 200
    assert "a rule nests at most 32 levels deep" in page.content.decode()
    rule.refresh_from_db()
    assert rule.dry_run_revision is None


def test_a_rule_saved_before_the_limits_cannot_be_activated(analyst: Any) -> None:
    rule = RuleProfile.objects.create(
        name="deep", expression=DEEP, action="force", channel="red", reason="x",
        dry_run_revision=1,
    )  # fmt: skip
    page = _client(analyst).post(f"/risk/rules/{rule.pk}/activate", follow=True)
    assert "a rule nests at most 32 levels deep" in page.content.decode()
    rule.refresh_from_db()
    assert not rule.is_active
