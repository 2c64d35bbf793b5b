"""The channel-decision API: customs systems send declarations and get channels, scores and
reasons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from greenlane import demo
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import mra
from greenlane.apps.certification.models import MutualRecognition
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import selectivity, services
from greenlane.apps.targeting.keys import make_token
from greenlane.apps.targeting.models import (
    ApiToken,
    ChannelDecision,
    RuleProfile,
    Score,
    SelectivityPolicy,
)
from tests import factories

pytestmark = pytest.mark.django_db

FIELDS = (
    "office_code", "transport_mode", "declarant_code", "importer_code", "seller_code", "hs6",
    "origin_country", "dispatch_country", "net_mass_kg", "customs_value", "tax_rate",
)  # fmt: skip


def _declarations(n: int) -> list[dict[str, Any]]:
    today = timezone.localdate().isoformat()
    out = []
    for i, row in enumerate(Declaration.objects.order_by("-declaration_date")[:n].values(*FIELDS)):
        values = {
            k: (
                float(v)
                if k in ("net_mass_kg", "customs_value", "tax_rate") and v is not None
                else v
            )
            for k, v in row.items()
        }
        out.append({**values, "number": f"RT-{i:05d}", "declaration_date": today})
    return out


@pytest.mark.slow
def test_a_customs_system_gets_channels_with_its_key(tmp_path: Path) -> None:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)
    services.train()
    _, key = make_token("ASYCUDA", None)
    batch = _declarations(200)
    batch[0] = {**batch[0], "hs6": "930190"}  # arms: the demo's hard rule sends it red
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(
        "/api/v1/declarations/channels", {"declarations": batch}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    results = response.json()
    assert [r["number"] for r in results] == [d["number"] for d in batch]
    assert results[0]["channel"] == "red"
    assert any("arms-and-ammunition" in words for words in results[0]["reasons"])
    for r in results:
        assert r["channel"] in ("green", "yellow", "red", "blue")
        if r["channel"] not in ("green",):
            assert r["reasons"]
    # The MRA benefit goes to goods whose seller was a recognised partner AEO that day. The
    # demo's synthetic sellers hold EU, CTPAT, Japanese, Chinese, Indian (and Mexican) AEO
    # status; the demo's MRAs are Korea's real ones from catalogue/mras.yaml: none with the
    # EU, and the CTPAT one has no known start, so EU and US sellers get no MRA benefit.
    assert MutualRecognition.objects.filter(data_id__isnull=False).count() == 22
    assert not MutualRecognition.objects.filter(partner_programme="eu-aeo").exists()
    today = timezone.localdate()
    partner = [
        any(r.basis.startswith("MRA") for r in mra.status(d["seller_code"] or "", today))
        for d in batch
    ]
    assert any(partner)
    assert not all(partner)
    for d, r, expected in zip(batch, results, partner, strict=True):
        assert r["partner_aeo_benefit"] == expected, d["seller_code"]
        assert any("MRA partner AEO benefit" in w for w in r["reasons"]) == (
            expected and not r["aeo_benefit"]  # the domestic benefit is larger in the demo
        )
    stored = ChannelDecision.objects.filter(number__startswith="RT-")
    assert stored.count() == 200
    for office in {d["office_code"] for d in batch}:
        policy = SelectivityPolicy.objects.filter(office_code=office).order_by("-version")[0]
        red = stored.filter(office_code=office, channel="red").exclude(number="RT-00000").count()
        assert red <= policy.capacity
        decided = stored.filter(office_code=office).first()
        assert decided is not None
        assert decided.policy == policy
        assert decided.rules
    one = client.post(
        "/api/v1/declarations/channels",
        {**_declarations(1)[0], "number": "RT-ONE"},
        content_type="application/json",
    )
    assert one.status_code == 200
    assert len(one.json()) == 1
    assert (
        Client(HTTP_AUTHORIZATION="Bearer gl_wrong")
        .post("/api/v1/declarations/channels", batch[:1], content_type="application/json")
        .status_code
        == 401
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"origin_country": "XX"}, "origin_country"),
        ({"hs6": "85A440"}, "hs6"),
        ({"customs_value": -1}, "customs_value"),
        ({"declaration_date": "31/02/2026"}, "declaration_date"),
    ],
)
def test_a_malformed_declaration_is_a_422_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    analyst = factories.user(Role.RISK_ANALYST, factories.organisation("customs"))
    client = Client()
    client.force_login(analyst)
    good = {
        "number": "N1", "declaration_date": "2026-06-01", "office_code": "SEA1",
        "importer_code": "OP1", "hs6": "850440", "origin_country": "CN", "net_mass_kg": 10,
        "customs_value": 100,
    }  # fmt: skip
    response = client.post(
        "/api/v1/declarations/channels", {**good, **change}, content_type="application/json"
    )
    assert response.status_code == 422
    locations = [e["loc"] for e in response.json()["detail"]]
    assert any(loc[-1] == field for loc in locations), locations
    no_model = client.post("/api/v1/declarations/channels", good, content_type="application/json")
    assert no_model.status_code == 409
    assert "no active risk model" in no_model.json()["detail"]


@pytest.mark.slow
def test_declarations_sent_to_a_check_wait_in_the_queue_until_a_result(tmp_path: Path) -> None:
    from greenlane.apps.declarations.models import Inspection

    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)
    services.train()
    _, key = make_token("ASYCUDA", None)
    batch = _declarations(300)
    batch[0] = {**batch[0], "hs6": "930190"}  # sent red by the hard rule
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    results = client.post(
        "/api/v1/declarations/channels", {"declarations": batch}, content_type="application/json"
    ).json()
    checked = {r["number"] for r in results if r["channel"] in ("red", "yellow")}
    assert "RT-00000" in checked
    kept = set(
        Declaration.objects.filter(number__startswith="RT-").values_list("number", flat=True)
    )
    assert kept == {r["number"] for r in results if r["channel"] != "green"}  # greens not kept
    officer = factories.user(Role.INSPECTION_OFFICER, factories.organisation("customs"))
    desk = Client()
    desk.force_login(officer)
    office = batch[0]["office_code"]
    page = desk.get(f"/risk/queue/?office={office}").content.decode()
    assert "RT-00000" in page
    arms = Declaration.objects.get(number="RT-00000")
    # The rule's hit comes first, before the model's reasons, in the answer and on the pages.
    assert results[0]["reasons"][0].startswith("rule arms-and-ammunition: ")
    assert len(results[0]["reasons"]) > 1
    row = page.split("RT-00000", 1)[1].split("</tr>")[0]
    assert row.index("<li>Rule arms-and-ammunition: ") < row.index("</li>")
    detail = desk.get(f"/risk/declarations/{arms.pk}/").content.decode()
    channel = detail.split('data-testid="channel"')[1].split("</section>")[0]
    assert "<strong>Red</strong>" in channel
    assert channel.index("<li>Rule arms-and-ammunition: ") < channel.index("</li>")
    labels_before = services.train(activate=False).labelled_rows
    desk.post(
        f"/risk/declarations/{arms.pk}/result/",
        {"fraud_found": "1", "critical": "on", "revenue_recovered": "0", "notes": "rifle parts"},
    )
    assert Inspection.objects.get(declaration=arms).critical
    assert "RT-00000" not in desk.get(f"/risk/queue/?office={office}").content.decode()
    # The rule's statistics: what it matched, where it sent them, and its hit rate.
    rule = RuleProfile.objects.get(name="arms-and-ammunition")
    matched = [
        d for d in ChannelDecision.objects.filter(number__startswith="RT-")
        if rule.name in d.matched_rules
    ]  # fmt: skip
    assert [d.number for d in matched] == [b["number"] for b in batch if b["hs6"].startswith("93")]
    stats = selectivity.rule_statistics([rule])[rule.name]
    assert stats["matched"] == len(matched)
    assert stats["channels"] == {"red": len(matched)}
    assert (stats["inspected"], stats["found"], stats["hit_rate"]) == (1, 1, 1.0)
    analyst = Client()
    analyst.force_login(factories.user(Role.RISK_ANALYST, officer.organisation))
    assert "hit rate 100.0%" in analyst.get(f"/risk/rules/{rule.pk}/").content.decode()
    # The officer's result is a label for the next training.
    assert services.train(activate=False).labelled_rows == labels_before + 1


@pytest.mark.slow
def test_an_active_rule_saved_before_the_limits_is_a_409_naming_it(tmp_path: Path) -> None:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)
    services.train()
    RuleProfile.objects.create(
        name="deep", expression="1+" * 986 + "1 > 0", action="force", channel="red",
        reason="saved before rules were bounded", is_active=True, dry_run_revision=1,
    )  # fmt: skip
    _, key = make_token("ASYCUDA", None)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        "/api/v1/declarations/channels",
        {"declarations": _declarations(1)},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "the active rule deep cannot be used" in response.json()["detail"]
    assert "a rule nests at most 32 levels deep" in response.json()["detail"]
    assert not ChannelDecision.objects.filter(number__startswith="RT-").exists()


@pytest.mark.parametrize("kind", ["wrong", "revoked", "empty"])
def test_a_wrong_or_revoked_key_is_a_401_whatever_the_session(kind: str) -> None:
    """It was ``403 CSRF check Failed``: the key check fell through to the session check."""
    token, key = make_token("ASYCUDA", None)
    if kind == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    sent = {"wrong": "gl_wrong", "revoked": key, "empty": ""}[kind]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {sent}", enforce_csrf_checks=True)
    client.force_login(factories.user(Role.RISK_ANALYST, factories.organisation("customs")))
    response = client.post(
        "/api/v1/declarations/channels", {"number": "N1"}, content_type="application/json"
    )
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": "the API key is unknown or revoked"}


@pytest.mark.slow
def test_channel_decisions_are_audited_under_the_key_or_the_person(tmp_path: Path) -> None:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)
    services.train()
    token, key = make_token("ASYCUDA", None)
    by_key = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post(
        "/api/v1/declarations/channels",
        {"declarations": _declarations(2)},
        content_type="application/json",
    )
    assert by_key.status_code == 200
    analyst = factories.user(Role.RISK_ANALYST, factories.organisation("customs"))
    by_person = Client()
    by_person.force_login(analyst)
    one = {**_declarations(1)[0], "number": "RT-PERSON"}
    # The API's first name for the operation still answers, the same way.
    assert (
        by_person.post("/api/v1/declarations/assess", one, content_type="application/json")
    ).status_code == 200
    first, second = AuditEvent.objects.filter(action="targeting.channels.decided").order_by("seq")
    assert (first.actor_id, first.actor, first.data["key_name"], first.data["key_id"]) == (
        None, "key:ASYCUDA", "ASYCUDA", token.pk,
    )  # fmt: skip
    assert key not in json.dumps(first.data)
    assert (second.actor_id, second.actor, second.data["key_id"]) == (
        analyst.pk, analyst.username, None,
    )  # fmt: skip


@pytest.mark.slow
def test_the_demo_starts_the_day_with_a_queue_per_office_from_the_channel_path(
    tmp_path: Path,
) -> None:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)
    services.train()
    offices = set(SelectivityPolicy.objects.values_list("office_code", flat=True))
    sent = demo.arrivals(per_office=40)
    assert sent == 40 * len(offices)
    decided = ChannelDecision.objects.filter(declaration_date=timezone.localdate())
    assert decided.count() == sent
    assert set(decided.values_list("token__name", flat=True)) == {demo.DEMO_SYSTEM}
    inspector = factories.user(Role.INSPECTION_OFFICER, factories.organisation("customs"))
    client = Client()
    client.force_login(inspector)
    for office in offices:
        checks = decided.filter(office_code=office, channel__in=("red", "yellow"))
        assert checks.exists(), office  # every office has work this morning
        page = client.get(f"/risk/queue/?office={office}").content.decode()
        assert checks.first().number in page  # type: ignore[union-attr]
    # A declaration kept for a check is scored as its channel was decided: its page agrees.
    decision = decided.exclude(channel="green").first()
    assert decision is not None
    kept = Declaration.objects.get(number=decision.number)
    score = Score.objects.get(declaration=kept, model_version__is_active=True)
    assert score.probability == pytest.approx(decision.probability)
    page = client.get(f"/risk/declarations/{kept.pk}/").content.decode()
    assert "Not scored" not in page
    assert f"{decision.probability:.3f}" in page


def test_the_api_takes_the_mode_of_transport_as_the_pages_write_it() -> None:
    from pydantic import ValidationError

    from greenlane.api.channels import DeclarationIn
    from greenlane.apps.declarations.models import TransportMode

    base = {
        "number": "N1", "declaration_date": "2026-12-01", "office_code": "SEA1",
        "importer_code": "OP1", "hs6": "850440", "origin_country": "CN", "net_mass_kg": 1,
        "customs_value": 1,
    }  # fmt: skip
    for code, shown in TransportMode.choices:
        label = str(shown)  # the English word (a label is translated when shown)
        for written in (code, label, label.upper(), f"  {label.lower()} "):
            assert (
                DeclarationIn.model_validate({**base, "transport_mode": written}).transport_mode
                == code
            )
    with pytest.raises(ValidationError, match="transport_mode"):
        DeclarationIn.model_validate({**base, "transport_mode": "boat"})
