"""Applications and certificates through the pages and the API; public verification."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from greenlane.apps.certification import services
from greenlane.apps.certification.models import Application, Certificate
from greenlane.core.certification.lifecycle import Stage

from .world import World, approved, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


def as_(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_trader_checks_eligibility_then_applies(w: World) -> None:
    trader = as_(w.trader)
    url = f"/operators/{w.operator.pk}/applications/new/"
    checked = trader.post(url, {"tier": "AA", "snapshot": w.snapshot.pk, "action": "check"})
    assert checked.status_code == 200
    assert "Eligible" in checked.content.decode()
    assert not Application.objects.exists()
    applied = trader.post(url, {"tier": "AA", "snapshot": w.snapshot.pk, "action": "apply"})
    app = Application.objects.get()
    assert applied["Location"] == f"/applications/{app.pk}/"
    refused = trader.post(url, {"tier": "AA", "snapshot": w.snapshot.pk, "action": "apply"})
    assert refused.status_code == 400
    assert "already has an application in progress" in refused.content.decode()


def test_a_transition_not_allowed_answers_409_with_the_reason_and_changes_nothing(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    response = as_(w.decider).post(f"/applications/{app.pk}/transitions/approve", {"reason": "x"})
    assert response.status_code == 409
    assert "waits for a validator" in response.content.decode()
    app.refresh_from_db()
    assert (app.stage, app.revision) == (Stage.SUBMITTED, 0)
    api = as_(w.trader).post(
        f"/api/v1/certification/applications/{app.pk}/transitions/assign",
        json.dumps({"validator": w.validator.pk}), content_type="application/json",
    )  # fmt: skip
    assert api.status_code == 409
    assert "is for the supervisor" in api.json()["detail"]


def test_the_workflow_runs_through_the_pages(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    base = f"/applications/{app.pk}"
    assert (
        as_(w.admin).post(f"{base}/transitions/assign", {"validator": w.validator.pk}).status_code
        == 302
    )
    validator = as_(w.validator)
    page = validator.get(f"{base}/").content.decode()
    assert "Record a finding" in page
    bad = validator.post(f"{base}/findings", {"criterion": "KR-SM-1", "result": "partly"})
    assert bad.status_code == 400
    assert "needs a severity" in bad.content.decode()
    for criterion in services.version_today().criteria:
        validator.post(f"{base}/findings", {"criterion": criterion.id, "result": "compliant"})
    assert validator.post(f"{base}/transitions/recommend", {"note": "fine"}).status_code == 302
    decided = as_(w.decider).post(f"{base}/transitions/approve", {"tier": "A", "reason": "ok"})
    assert decided.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.number in as_(w.trader).get(f"{base}/").content.decode()


def test_the_holder_of_the_code_verifies_an_issued_certificate(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    page = as_(w.trader).get(f"/certificates/{certificate.pk}/").content.decode()
    code = re.search(r'data-testid="verification-code"><code>([^<]+)<', page).group(1)  # type: ignore[union-attr]
    verified = Client().get(f"/verify/{certificate.number}/", {"code": code})
    assert verified.status_code == 200
    assert "Valid" in verified.content.decode()
    assert Client().get(f"/verify/{certificate.number}/", {"code": "X"}).status_code == 404


def test_a_suspended_certificate_verifies_as_not_valid(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    response = as_(w.decider).post(
        f"/certificates/{certificate.pk}/transitions/suspend", {"reason": "Critical finding"}
    )
    assert response.status_code == 302
    data = (
        Client()
        .get(
            f"/api/v1/public/certificates/{certificate.number}",
            {"code": certificate.verification_code},
        )
        .json()
    )
    assert (data["status"], data["valid"]) == ("suspended", False)
    again = as_(w.decider).post(
        f"/certificates/{certificate.pk}/transitions/suspend", {"reason": "x"}
    )
    assert again.status_code == 409


def test_the_api_applies_and_lists(w: World) -> None:
    trader = as_(w.trader)
    created = trader.post(
        "/api/v1/certification/applications",
        json.dumps({"operator": w.operator.pk, "tier": "A", "snapshot": w.snapshot.pk}),
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["stage"] == "submitted"
    assert [a["number"] for a in trader.get("/api/v1/certification/applications").json()] == [
        created.json()["number"]
    ]
    refused = trader.post(
        "/api/v1/certification/applications",
        json.dumps({"operator": w.operator.pk, "tier": "Z", "snapshot": w.snapshot.pk}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "tier"


def test_the_validator_home_lists_what_needs_attention(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    page = as_(w.validator).get("/").content.decode()
    assert "Needs your attention" in page
    assert f'<a href="/applications/{app.pk}/">{app.number}</a>' in page  # a row opens its file
    trader_home = as_(w.trader).get("/").content.decode()
    assert f'<a href="/operators/{w.operator.pk}/">{w.operator.name}</a>' in trader_home


def test_the_public_register_lists_only_holders_who_agreed(w: World) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    anonymous = Client()
    assert w.operator.name not in anonymous.get("/register/").content.decode()
    assert anonymous.get("/api/v1/public/register").json() == []
    refused = as_(w.decider).post(f"/certificates/{certificate.pk}/consent", {"consent": "yes"})
    assert refused.status_code == 409  # the holder decides, not customs
    as_(w.trader).post(f"/certificates/{certificate.pk}/consent", {"consent": "yes"})
    page = anonymous.get("/register/?q=" + w.operator.name[:5]).content.decode()
    assert w.operator.name in page
    assert certificate.number in page
    (entry,) = anonymous.get("/api/v1/public/register").json()
    assert entry["number"] == certificate.number
    assert "operator" not in entry
    as_(w.trader).post(f"/certificates/{certificate.pk}/consent", {"consent": "no"})
    assert anonymous.get("/api/v1/public/register").json() == []


def test_statistics_count_stages_and_time_to_decision(w: World) -> None:
    from greenlane.apps.accounts.roles import Role
    from tests import factories

    approved(w)
    statistician = factories.user(Role.STATISTICIAN, w.decider.organisation)
    page = as_(statistician).get("/certification/statistics/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-figure="decided">1<' in text
    assert 'data-figure="open">0<' in text
    assert 'data-figure="msme_share">' in text


@pytest.mark.parametrize(("step", "who"), [("surrender", "trader"), ("revoke", "decider")])
def test_a_step_that_ends_a_certificate_asks_for_a_reason_and_a_tick(
    w: World, step: str, who: str
) -> None:
    certificate = Certificate.objects.get(application=approved(w))
    client = as_(getattr(w, who))
    url = f"/certificates/{certificate.pk}/transitions/{step}"
    page = client.get(f"/certificates/{certificate.pk}/").content.decode()
    assert "I understand: the certificate ends for good" in page  # said before, not after
    unticked = client.post(url, {"reason": "Ceasing imports"})
    assert unticked.status_code == 400
    assert "tick the box to confirm" in unticked.content.decode()
    no_reason = client.post(url, {"reason": " ", "confirm": "yes"})
    assert no_reason.status_code == 400
    assert "the reason is needed" in no_reason.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "active"  # nothing changed on either refusal
    assert client.post(url, {"reason": "Ceasing imports", "confirm": "yes"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == ("surrendered" if step == "surrender" else "revoked")


def test_rejecting_or_withdrawing_asks_for_a_tick_that_says_what_happens(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    trader = as_(w.trader)
    page = trader.get(f"/applications/{app.pk}/").content.decode()
    assert "I understand: the application ends here" in page
    unticked = trader.post(f"/applications/{app.pk}/transitions/withdraw", {"note": "later"})
    assert unticked.status_code == 400
    assert "Not done: tick the box to confirm" in unticked.content.decode()
    app.refresh_from_db()
    assert app.stage == Stage.SUBMITTED
    # Not the trader's step: the service's own refusal comes first, whatever the tick.
    decider = as_(w.decider).post(f"/applications/{app.pk}/transitions/reject", {"reason": "x"})
    assert decider.status_code == 409
    ticked = trader.post(
        f"/applications/{app.pk}/transitions/withdraw", {"note": "later", "confirm": "yes"}
    )
    assert ticked.status_code == 302
    app.refresh_from_db()
    assert app.stage == Stage.WITHDRAWN


def test_one_status_per_programme_with_its_certificate_and_one_count_everywhere(
    w: World,
) -> None:
    from datetime import date, timedelta

    from greenlane.apps.accounts.roles import Role
    from greenlane.apps.operators.models import AeoAuthorisation, in_force
    from greenlane.apps.operators.services import load_operators
    from tests import factories

    today = date.today()
    # A status recorded from the register before Greenlane, then a certificate issued here.
    AeoAuthorisation.objects.create(
        operator=w.operator, programme="kr-aeo", tier="A", valid_from=today - timedelta(days=400)
    )
    certificate = Certificate.objects.get(application=approved(w))
    held = list(in_force(today).filter(operator=w.operator))
    assert [(a.tier, a.certificate_id) for a in held] == [(certificate.tier, certificate.pk)]
    register = AeoAuthorisation.objects.get(operator=w.operator, certificate__isnull=True)
    assert register.valid_to == today - timedelta(days=1)  # superseded, kept
    page = as_(w.decider).get(f"/operators/{w.operator.pk}/").content.decode()
    assert f">{certificate.number}</a>" in page
    assert "recorded from the register" in page

    # Loading a register whose statuses overlap keeps them one at a time.
    row = {
        "code": "REG1", "name": "Reg One", "country": "KR", "trade_role": "importer",
        "national_id": "", "eori": "", "size_class": "small", "employees": 10,
        "established_on": date(2001, 1, 1),
    }  # fmt: skip
    older = {"operator_code": "REG1", "programme": "kr-aeo", "tier": "A", "valid_to": None}
    statuses = [
        {**older, "tier": "AAA", "valid_from": today - timedelta(days=10)},
        {**older, "valid_from": today - timedelta(days=900)},
    ]
    load_operators([row], statuses)
    assert [a.tier for a in in_force(today).filter(operator__code="REG1")] == ["AAA"]

    # The decision home and the statistics count the same AEOs.
    decider_home = as_(w.decider).get("/").content.decode()
    statistician = factories.user(Role.STATISTICIAN, w.decider.organisation)
    stats = as_(statistician).get("/certification/statistics/").content.decode()
    certified = re.search(r'data-figure="certified"[^>]*>([\d,]+)', decider_home)
    aeos = re.search(r'data-figure="aeos">([\d,]+)<', stats)
    assert certified is not None
    assert aeos is not None
    assert certified.group(1) == aeos.group(1) == "2"
    assert 'data-figure="active_certificates">1<' in stats


def test_a_company_and_its_consultant_find_customs_question_on_their_home_page(w: World) -> None:
    from greenlane.apps.accounts.roles import Role
    from greenlane.apps.operators import services as operators
    from tests import factories

    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    question = "Please send <b>last year's</b> stock reconciliation reports."
    services.transition(app, w.validator, "request_information", question=question)
    consultancy = factories.organisation("consultancy")
    operators.grant_consultant_access(w.operator, consultancy, None)
    consultant = factories.user(Role.CONSULTANT, consultancy)
    other = factories.user(
        Role.TRADER, factories.operator(factories.organisation("operator")).organisation
    )
    link = f'<a href="/applications/{app.pk}/">{app.number}</a>'
    for who in (w.trader, consultant):
        home = as_(who).get("/").content.decode()
        assert "Customs asks you" in home, who
        assert link in home, who
        assert "Please send &lt;b&gt;last year&#x27;s&lt;/b&gt;" in home  # text, not markup
        assert re.search(r'data-figure="questions" data-value="1"', home)
    assert "Customs asks you" not in as_(other).get("/").content.decode()  # not its company

    as_(w.trader).post(
        f"/applications/{app.pk}/transitions/provide_information", {"answer": "Sent"}
    )
    home = as_(w.trader).get("/").content.decode()
    assert "Customs asks you" not in home  # answered: nothing waits
    assert re.search(r'data-figure="questions" data-value="0"', home)


def test_a_lifecycle_refusal_reaches_the_page_in_the_reader_s_language(w: World) -> None:
    from django.utils import translation
    from django.utils.html import escape

    from greenlane.apps.wording import translated
    from greenlane.core.certification.lifecycle import NotAllowed
    from greenlane.core.words import Words

    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    with pytest.raises(NotAllowed) as caught:
        services.transition(app, w.decider, "approve", reason="x")
    words = caught.value.words
    assert isinstance(words, Words)
    assert words.message == "'%(step)s' is not possible while the application waits for a validator"
    with translation.override("ko"):
        korean = translated(words)
    assert "승인 및 공인증서 발급" in korean  # the step's name, translated inside the sentence
    response = as_(w.decider).post(
        f"/applications/{app.pk}/transitions/approve", {"reason": "x"}, HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert response.status_code == 409
    assert escape(korean) in response.content.decode()


def test_an_eligibility_check_is_stored_as_words_and_shown_translated(w: World) -> None:
    from django.utils import translation

    from greenlane.core.words import Words

    check = services.eligibility(w.operator, w.snapshot, "AA")
    json.dumps(check)  # stored with the application as it is
    stored = {
        **check,
        "reasons": [Words("arrears of duties or taxes").as_json(), "an older plain reason"],
        "open_gates": [Words("%(group)s score at least %(min)s (now %(score)s)",
                             {"group": "G", "min": 80, "score": 1234}).as_json()],
    }  # fmt: skip
    with translation.override("es"):
        shown = services.shown_eligibility(stored)
    assert shown["reasons"][1] == "an older plain reason"  # shown as it is
    assert shown["open_gates"] == ["G: puntaje de al menos 80 (actualmente 1.234)"]  # Spanish
