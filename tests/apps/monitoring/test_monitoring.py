"""A monitoring run on the application's own database: indicators, alerts once per cause,
the validator's handling, the operator's own view (and nobody else's)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.monitoring import services
from greenlane.apps.monitoring.models import Alert, Indicator, Run
from greenlane.apps.operators.models import AeoAuthorisation
from greenlane.core.words import Words
from tests import factories

# The analytics connection reads committed data: these tests commit (and clean up after).
pytestmark = pytest.mark.django_db(transaction=True)
AS_OF = date(2026, 6, 30)


def _declare(operator: Any, n: int, frauds: int, inspected: int, hs6: str = "850440") -> None:
    for i in range(n):
        decl = factories.declaration(
            operator, declaration_date=AS_OF - timedelta(days=i % 80), hs6=hs6
        )
        if i < inspected:
            factories.inspection(decl, fraud=i < frauds, revenue="250" if i < frauds else "0")


@pytest.fixture
def world() -> dict[str, Any]:
    trader_org = factories.organisation("operator")
    flagged = factories.operator(trader_org)  # certified, detections far above its peers
    clean = factories.operator(factories.organisation("operator"))  # certified, like its peers
    peers = [factories.operator(factories.organisation("operator")) for _ in range(3)]
    for op in (flagged, clean):
        AeoAuthorisation.objects.create(
            operator=op, programme="kr-aeo", tier="A", valid_from=date(2025, 1, 1)
        )
    _declare(flagged, 30, frauds=12, inspected=20)
    _declare(clean, 30, frauds=1, inspected=20)
    for peer in peers:
        _declare(peer, 40, frauds=2, inspected=20)
    customs = factories.organisation("customs")
    return {
        "flagged": flagged,
        "clean": clean,
        "peers": peers,
        "trader": factories.user(Role.TRADER, trader_org),
        "validator": factories.user(Role.VALIDATOR, customs),
        "decision": factories.user(Role.DECISION_OFFICER, customs),
    }


def _run() -> Run:
    return services.execute(Run.objects.create(as_of=AS_OF))


def test_a_run_stores_indicators_and_raises_each_alert_once(world: dict[str, Any]) -> None:
    run = _run()
    assert run.status == Run.Status.DONE
    assert run.operators == 2  # the certified ones with declarations
    figures = Indicator.objects.get(run=run, operator=world["flagged"], window_days=90).figures
    assert (figures["declarations"], figures["inspections"], figures["detections"]) == (30, 20, 12)
    # Peers: the clean operator and the three others (same chapter, same size class).
    assert figures["peer_inspections"] == 20 + 3 * 20
    assert figures["peer_detection_rate"] == pytest.approx((1 + 3 * 2) / 80)
    alerts = Alert.objects.filter(rule="detection-above-peers")
    assert [a.operator for a in alerts] == [world["flagged"]]
    assert alerts[0].details["reference"] == "peers"
    assert not Indicator.objects.filter(operator__in=world["peers"]).exists()  # not certified

    second = _run()
    assert second.alerts_raised == 0  # the same evidence: no second alert
    assert Alert.objects.filter(rule="detection-above-peers").count() == 1
    factories.inspection(
        factories.declaration(world["flagged"], declaration_date=AS_OF), fraud=True
    )
    assert _run().alerts_raised == 1  # a new detection is a new cause


def test_the_validator_handles_alerts_and_every_step_is_audited(world: dict[str, Any]) -> None:
    _run()
    alert = Alert.objects.get(rule="detection-above-peers")
    client = Client()
    client.force_login(world["validator"])
    assert world["flagged"].code in client.get("/monitoring/alerts/").content.decode()
    client.post(f"/monitoring/alerts/{alert.pk}/acknowledge", {"note": "Looking into it"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    refused = client.post(f"/monitoring/alerts/{alert.pk}/dismiss", {"reason": ""}, follow=True)
    assert "say why the alert is dismissed" in refused.content.decode()
    client.post(f"/monitoring/alerts/{alert.pk}/dismiss", {"reason": "Known supplier issue, fixed"})
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DISMISSED
    assert alert.note == "Known supplier issue, fixed"
    again = client.post(f"/monitoring/alerts/{alert.pk}/acknowledge", follow=True)
    assert "only an open alert" in again.content.decode()
    actions = list(
        AuditEvent.objects.filter(subject_type="monitoring.alert", subject_id=str(alert.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "monitoring.alert.raised", "monitoring.alert.acknowledged", "monitoring.alert.dismissed",
    ]  # fmt: skip


def test_a_company_sees_its_own_indicators_against_anonymous_peers(world: dict[str, Any]) -> None:
    _run()
    client = Client()
    client.force_login(world["trader"])
    own = client.get(f"/operators/{world['flagged'].pk}/monitoring/")
    page = own.content.decode()
    assert own.status_code == 200
    assert "60.0%" in page  # its detection rate: 12 detections in 20 inspections
    for peer in [world["clean"], *world["peers"]]:
        assert peer.code not in page
        assert peer.name not in page
    assert client.get(f"/operators/{world['clean'].pk}/monitoring/").status_code == 404
    response = client.get(f"/api/v1/monitoring/operators/{world['flagged'].pk}/indicators")
    api = response.json()
    assert api[0]["figures"]["detections"] == 12
    assert set(api[0]["figures"]) >= {"peer_detection_rate", "peers"}
    # No internal declaration id (issue 16): the rules keep it, the company never sees it.
    assert all("last_detection" not in w["figures"] for w in api)
    for peer in [world["clean"], *world["peers"]]:
        assert peer.code not in response.content.decode()
    assert (
        client.get(f"/api/v1/monitoring/operators/{world['clean'].pk}/indicators").status_code
        == 404
    )
    assert client.get("/monitoring/alerts/").status_code == 403


def test_a_decision_officer_opens_a_reassessment_from_an_alert(world: dict[str, Any]) -> None:
    from greenlane.apps.assessments import services as assessments

    trader = world["trader"]
    factories.answered_draft(world["flagged"], trader)
    snapshot = assessments.submit(world["flagged"], trader)
    _, certificate = factories.certified(world["flagged"], snapshot, world["decision"])
    _run()
    alert = Alert.objects.get(rule="detection-above-peers")
    with pytest.raises(services.Refused, match="decision officers"):
        services.reassess(alert, world["validator"], "too many detections")
    handled = services.reassess(alert, world["decision"], "Detections three times the peers'")
    assert handled.status == Alert.Status.REASSESSMENT
    assert handled.application is not None
    assert handled.application.kind == "reassessment"
    assert handled.application.replaces == certificate


def test_greenlane_monitor_runs_from_the_command_line(world: dict[str, Any]) -> None:
    from typer.testing import CliRunner

    from greenlane.cli import app

    result = CliRunner().invoke(app, ["monitor", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "certified operators with declarations: 2; new alerts: 1" in said
    assert Run.objects.get().status == Run.Status.DONE


def test_the_schedule_queues_one_run_a_day_however_often_it_asks(world: dict[str, Any]) -> None:
    first = services.schedule_due(AS_OF)
    assert first is not None
    assert services.schedule_due(AS_OF) is None  # a second worker, or the next check
    first.refresh_from_db()
    assert first.status == Run.Status.DONE  # the test settings run tasks at once
    assert Run.objects.filter(as_of=AS_OF).count() == 1
    assert services.schedule_due(AS_OF + timedelta(days=1)) is not None


def test_peer_figures_of_fewer_than_three_peers_are_never_shown() -> None:
    from greenlane.web.monitoring import for_the_company

    figures = {"peers": 2, "detections": 3, "peer_detections": 5, "peer_detection_rate": 0.1}
    assert for_the_company(figures) == {
        "peers": 2, "detections": 3, "peer_detections": None, "peer_detection_rate": None,
    }  # fmt: skip
    assert for_the_company({**figures, "peers": 3}) == {**figures, "peers": 3}


# ------------------------------------------------------------------ each reader's language


def test_an_alert_raised_in_english_is_read_in_korean(world: dict[str, Any]) -> None:
    from django.utils import translation

    from greenlane.apps.notices.models import Kind, Notice
    from greenlane.apps.wording import translated

    with translation.override("en"):  # the worker writes while English is active
        _run()
    alert = Alert.objects.get(rule="detection-above-peers")
    assert alert.title == "Detection rate significantly above peers"  # English kept
    assert alert.title_words == {"message": alert.title}
    assert alert.summary_words is not None
    assert alert.summary_words["params"]["inspections"] == 20
    with translation.override("ko"):
        title = translated(alert.title_words)
        summary = translated(alert.summary_words)
        severity = str(Alert.Severity.HIGH.label)
    assert "12 detections in 20 inspections over the last 365 days" in str(
        Words.from_json(alert.summary_words)
    )
    validator = world["validator"]
    validator.language = "ko"
    validator.save()
    client = Client()
    client.force_login(validator)
    listed = client.get("/monitoring/alerts/").content.decode()
    assert title in listed
    detail = client.get(f"/monitoring/alerts/{alert.pk}/").content.decode()
    assert title in detail
    assert summary in detail
    assert severity in detail
    api = client.get("/api/v1/monitoring/alerts").json()
    mine = next(a for a in api if a["id"] == alert.pk)
    assert (mine["title"], mine["summary"], mine["severity"]) == (title, summary, "high")
    # The notice (to the decision officers: the operator has no validator): words too.
    told = Notice.objects.get(recipient=world["decision"], kind=Kind.ALERT_RAISED)
    assert told.title.startswith(f"High-severity alert on {world['flagged']}: Detection rate")
    with translation.override("ko"):
        assert told.shown_title == translated(told.title_words)
        assert told.shown_body == summary
    assert translated(told.title_words) == told.title  # English while English is active


def test_an_alert_kept_before_words_were_stored_still_shows(world: dict[str, Any]) -> None:
    from importlib import import_module

    from django.apps import apps
    from django.utils import translation

    old = Alert.objects.create(
        operator=world["flagged"], rule="old-rule", rules_version=AS_OF, cause="x",
        severity="low", title="Something the rules said long ago",
    )  # fmt: skip
    other = Alert.objects.create(
        operator=world["flagged"], rule="detection-above-peers", rules_version=AS_OF,
        cause="y", severity="high", title="Detection rate significantly above peers",
    )  # fmt: skip
    with translation.override("ko"):
        assert old.shown_title == "Something the rules said long ago"
        assert old.shown_summary == ""
    client = Client()
    client.force_login(world["validator"])
    assert "Something the rules said long ago" in client.get("/monitoring/alerts/").content.decode()
    detail = client.get(f"/monitoring/alerts/{old.pk}/").content.decode()
    assert "Something the rules said long ago" in detail
    assert 'data-testid="alert-summary"' not in detail
    # The migration keeps the title as words: a rule's title the catalogues know is translated.
    migration = import_module("greenlane.apps.monitoring.migrations.0002_alert_words")
    migration.titles_as_words(apps, None)
    other.refresh_from_db()
    old.refresh_from_db()
    assert other.title_words == {"message": "Detection rate significantly above peers"}
    assert old.shown_title == "Something the rules said long ago"  # unknown: as it is
