"""Notices: who is told what, the inbox, each person's choice, and the e-mail outbox."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import notices as certification_notices
from greenlane.apps.certification import services
from greenlane.apps.certification.models import SelfReview
from greenlane.apps.notices import mail as outbox
from greenlane.apps.notices import services as notices
from greenlane.apps.notices.models import KINDS_BY_ROLE, Kind, Mail, Notice
from greenlane.apps.operators import services as operators
from tests import factories
from tests.apps.certification.world import World, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


def _kinds(user: Any) -> list[str]:
    return sorted(Notice.objects.filter(recipient=user).values_list("kind", flat=True))


def _assigned(w: World) -> Any:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    services.transition(app, w.admin, "assign", validator=w.validator)
    return app


# ------------------------------------------------------------------ who is told what


def test_the_company_and_its_consultant_are_asked_and_the_validator_hears_the_answer(
    w: World,
) -> None:
    consultancy = factories.organisation("consultancy")
    operators.grant_consultant_access(w.operator, consultancy, None)
    consultant = factories.user(Role.CONSULTANT, consultancy)
    former = factories.organisation("consultancy")  # its access was revoked: told nothing
    operators.grant_consultant_access(w.operator, former, None)
    operators.revoke_consultant_access(w.operator, former, None)
    stranger_consultant = factories.user(Role.CONSULTANT, former)
    other_trader = factories.user(Role.TRADER, factories.operator().organisation)
    app = _assigned(w)
    services.transition(app, w.validator, "request_information", question="Send the ISO cert")
    asked = Notice.objects.get(recipient=w.trader, kind=Kind.INFORMATION_REQUESTED)
    assert app.number in asked.title
    assert asked.body == "Send the ISO cert"
    assert asked.link == f"/applications/{app.pk}/"
    assert Notice.objects.filter(recipient=consultant, kind=Kind.INFORMATION_REQUESTED).exists()
    assert _kinds(stranger_consultant) == _kinds(other_trader) == []
    services.transition(app, w.trader, "provide_information", answer="Attached, valid to 2027")
    heard = Notice.objects.get(recipient=w.validator, kind=Kind.ANSWER_RECEIVED)
    assert heard.body == "Attached, valid to 2027"
    assert _kinds(w.other_validator) == []


def test_a_recommendation_reaches_the_decision_officers_and_the_decision_both_sides(
    w: World,
) -> None:
    from tests.apps.certification.world import recommended

    other_officer = factories.user(Role.DECISION_OFFICER, w.decider.organisation)
    app = recommended(w)
    assert Kind.RECOMMENDATION in _kinds(w.decider)
    assert Kind.RECOMMENDATION in _kinds(other_officer)
    assert Kind.RECOMMENDATION not in _kinds(w.validator)
    services.transition(app, w.decider, "approve", reason="All met", tier="A")
    for person in (w.trader, w.validator):
        decision = Notice.objects.get(recipient=person, kind=Kind.DECISION)
        assert "approved" in decision.title
        assert decision.body == "All met"


def test_a_change_that_rolls_back_tells_nobody(w: World) -> None:
    app = services.apply(w.operator, w.trader, "A", w.snapshot)
    inactive = factories.user(Role.VALIDATOR, w.validator.organisation)
    inactive.is_active = False
    inactive.save()
    with pytest.raises(services.Refused):
        services.transition(app, w.admin, "assign", validator=inactive)
    assert not Notice.objects.exists()


def test_nobody_who_may_not_see_the_thing_and_nobody_inactive_gets_a_notice(w: World) -> None:
    gone = factories.user(Role.TRADER, w.operator.organisation)
    gone.is_active = False
    gone.save()
    made = notices.notify(
        Kind.MESSAGE, [w.trader, w.trader, gone, w.validator, None], title="t", link="/",
        may_see=lambda user: user.role == Role.TRADER,
    )  # fmt: skip
    assert made == 1
    assert list(Notice.objects.values_list("recipient", flat=True)) == [w.trader.pk]


def test_a_suspension_tells_the_holder_and_the_assigned_validator(w: World) -> None:
    _app, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    operators.assign_validator(w.operator, w.validator, w.admin)
    services.certificate_transition(certificate, w.decider, "suspend", "Seals broken")
    for person in (w.trader, w.validator):
        told = Notice.objects.get(recipient=person, kind=Kind.CERTIFICATE_CHANGED)
        assert "suspended" in told.title
        assert told.body == "Seals broken"
    assert _kinds(w.other_validator) == []


# ------------------------------------------------------------------ reminders


def test_expiry_reminders_come_once_per_step(w: World) -> None:
    _app, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    today = date(2027, 3, 1)
    certificate.valid_to = today + timedelta(days=25)
    certificate.save()
    assert certification_notices.remind(today) == 1  # the trader (no validator assigned)
    assert certification_notices.remind(today) == 0  # asked again the same day: nothing new
    assert certification_notices.remind(today + timedelta(days=3)) == 0  # same 30-day step
    assert certification_notices.remind(today + timedelta(days=19)) == 1  # 6 days left: 7-day
    titles = list(Notice.objects.order_by("pk").values_list("title", flat=True))
    assert titles[0].endswith("(25 days left)")
    assert titles[1].endswith("(6 days left)")


def test_a_self_review_due_then_overdue(w: World) -> None:
    _app, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    operators.assign_validator(w.operator, w.validator, w.admin)
    review = SelfReview.objects.create(
        certificate=certificate, period=1, opens_on=date(2027, 1, 1), due_on=date(2027, 3, 31)
    )
    assert certification_notices.remind(date(2026, 12, 31)) == 0  # not open yet
    assert certification_notices.remind(date(2027, 1, 1)) == 1
    assert _kinds(w.trader) == [Kind.SELF_REVIEW_DUE]
    assert certification_notices.remind(date(2027, 4, 1)) == 2  # holder and validator
    assert Kind.SELF_REVIEW_OVERDUE in _kinds(w.validator)
    review.submitted_at = timezone.now()
    review.save()
    assert certification_notices.remind(date(2027, 4, 2)) == 0


def test_the_days_reminders_are_made_once_whatever_the_number_of_workers(
    w: World, settings: Any
) -> None:
    _app, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    day = timezone.localdate()
    certificate.valid_to = day + timedelta(days=5)
    certificate.save()
    assert certification_notices.remind_once(day) == 1
    assert certification_notices.remind_once(day) is None


# ------------------------------------------------------------------ e-mail


def _link_in(text: str) -> str:
    found = re.search(r"http://testserver(/inbox/\d+/)", text)
    assert found, text
    return found.group(1)


def test_a_notice_is_mailed_after_the_commit_in_text_and_html_with_a_link_that_lands(
    w: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        app = _assigned(w)  # "under review" is mailed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(app, w.validator, "request_information", question="Your ISO cert?")
    sent = [m for m in mail.outbox if m.to == [w.trader.email]]
    assert len(sent) == 1
    message = sent[0]
    assert message.subject == f"Greenlane: Customs asks for information on application {app.number}"
    assert "Your ISO cert?" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "Your ISO cert?" in str(html)
    notice = Notice.objects.get(recipient=w.trader, kind=Kind.INFORMATION_REQUESTED)
    assert notice.mail == Mail.SENT
    assert notice.mailed_at is not None
    client = Client()
    client.force_login(w.trader)
    landed = client.get(_link_in(message.body))
    assert landed.status_code == 302
    assert landed["Location"] == f"/applications/{app.pk}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get(landed["Location"]).status_code == 200


class Refusing:
    """An SMTP server that is away."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("connection refused")

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_failed_send_is_tried_again_later_and_gives_up_after_the_last_try(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices.notify(Kind.MESSAGE, [w.trader], title="Hello", link="/", may_see=lambda u: True)
    monkeypatch.setattr(outbox, "get_connection", lambda: Refusing())
    now = timezone.now()
    assert outbox.send_pending(now) == 0
    notice = Notice.objects.get()
    assert (notice.mail, notice.mail_attempts) == (Mail.PENDING, 1)
    assert notice.mail_next_at == now + timedelta(minutes=1)
    assert "connection refused" in notice.mail_error
    assert outbox.send_pending(now) == 0  # not due yet: not tried
    assert Notice.objects.get().mail_attempts == 1
    for minutes in outbox.RETRY_MINUTES:
        now += timedelta(minutes=minutes)
        outbox.send_pending(now)
    notice.refresh_from_db()
    assert (notice.mail, notice.mail_attempts) == (Mail.FAILED, len(outbox.RETRY_MINUTES) + 1)
    assert notice.read_at is None  # still in the inbox


def test_a_send_that_fails_once_goes_on_the_next_try(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices.notify(Kind.MESSAGE, [w.trader], title="Hello", link="/", may_see=lambda u: True)
    real = outbox.get_connection
    monkeypatch.setattr(outbox, "get_connection", lambda: Refusing())
    mail.outbox.clear()
    outbox.send_pending()
    monkeypatch.setattr(outbox, "get_connection", real)
    assert outbox.send_pending(timezone.now() + timedelta(minutes=2)) == 1
    assert [m.to for m in mail.outbox] == [[w.trader.email]]
    assert Notice.objects.get().mail == Mail.SENT


def test_a_claim_left_by_a_dead_worker_is_sent_later_and_never_twice(w: World) -> None:
    notices.notify(Kind.MESSAGE, [w.trader], title="Hello", link="/", may_see=lambda u: True)
    Notice.objects.update(mail=Mail.SENDING, mail_next_at=timezone.now(), mail_error="pending:x")
    mail.outbox.clear()
    assert outbox.send_pending() == 0  # another worker holds it
    assert outbox.send_pending(timezone.now() + outbox.STALE_CLAIM + timedelta(minutes=1)) == 1
    assert outbox.send_pending(timezone.now() + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_nothing_goes_to_a_person_without_an_address_or_who_left(w: World) -> None:
    w.trader.email = ""
    w.trader.save()
    notices.notify(Kind.MESSAGE, [w.trader], title="Hello", link="/", may_see=lambda u: True)
    mail.outbox.clear()
    outbox.send_pending()
    assert mail.outbox == []
    assert Notice.objects.get().mail == Mail.SKIPPED


def test_the_inbox_only_choice_sends_nothing_and_the_digest_gathers_a_day(
    w: World, settings: Any
) -> None:
    settings.DIGEST_HOUR = 7
    notices.set_preferences(w.trader, {Kind.MESSAGE: "inbox", Kind.DECISION: "digest"})
    event = AuditEvent.objects.get(action="notices.preferences.changed")
    assert event.data["changed"][Kind.DECISION] == {"from": "email", "to": "digest"}
    for title in ("First", "Second"):
        notices.notify(Kind.DECISION, [w.trader], title=title, link="/", may_see=lambda u: True)
    notices.notify(Kind.MESSAGE, [w.trader], title="Quiet", link="/", may_see=lambda u: True)
    assert set(Notice.objects.values_list("title", "mail")) == {
        ("First", Mail.DIGEST), ("Second", Mail.DIGEST), ("Quiet", Mail.NONE)
    }  # fmt: skip
    mail.outbox.clear()
    made = timezone.localtime(Notice.objects.earliest("created_at").created_at)
    cutoff_next = outbox.digest_cutoff(made) + timedelta(days=1)
    assert outbox.send_digests(cutoff_next - timedelta(minutes=1)) == 0  # not the hour yet
    assert outbox.send_digests(cutoff_next) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.endswith(": 2 notices")
    assert "First" in mail.outbox[0].body
    assert "Second" in mail.outbox[0].body
    assert "Quiet" not in mail.outbox[0].body
    assert outbox.send_digests(cutoff_next + timedelta(minutes=10)) == 0  # once


def test_taking_a_kind_out_of_the_digest_mails_what_waited(w: World) -> None:
    notices.set_preferences(w.trader, {Kind.DECISION: "digest"})
    notices.notify(Kind.DECISION, [w.trader], title="Waits", link="/", may_see=lambda u: True)
    notices.set_preferences(w.trader, {Kind.DECISION: "email"})
    assert Notice.objects.get().mail == Mail.PENDING


def test_a_choice_that_does_not_exist_is_refused(w: World) -> None:
    with pytest.raises(notices.Refused, match="no delivery"):
        notices.set_preferences(w.trader, {Kind.DECISION: "pigeon"})
    with pytest.raises(notices.Refused, match="no notice kind"):
        notices.set_preferences(w.trader, {"gossip": "email"})


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=0, max_value=23),
    st.sampled_from(["Asia/Seoul", "America/Mexico_City", "UTC", "Pacific/Auckland"]),
)
def test_the_digest_cutoff_is_the_last_digest_hour_before_now(
    moment: datetime, hour: int, zone: str
) -> None:
    from django.test import override_settings

    now = moment.replace(tzinfo=ZoneInfo(zone))
    with override_settings(DIGEST_HOUR=hour, TIME_ZONE=zone), timezone.override(zone):
        cutoff = outbox.digest_cutoff(now)
    assert cutoff <= now < cutoff + timedelta(days=1, hours=1)  # a day (a DST day: 25 h)
    assert cutoff.astimezone(ZoneInfo(zone)).hour in (hour, (hour + 1) % 24)  # (a DST gap)


# ------------------------------------------------------------------ background work


def test_the_person_who_handed_in_a_file_hears_how_its_ingest_ended(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from greenlane.apps.declarations import services as declarations
    from tests.apps.declarations.test_uploads import LAYOUT, _file
    from tests.core.risk.rows import good_row

    analyst = factories.user(Role.RISK_ANALYST)
    with django_capture_on_commit_callbacks(execute=True):
        upload = declarations.submit_upload(analyst, _file([good_row(0)], "day.csv"), "kcs", LAYOUT)
        again = declarations.submit_upload(analyst, _file([good_row(0)], "day.csv"), "kcs", LAYOUT)
    finished, failed = Notice.objects.filter(recipient=analyst).order_by("pk")
    assert (finished.kind, finished.title) == (Kind.JOB_FINISHED, "The ingest of day.csv finished")
    assert finished.link == f"/declarations/uploads/{upload.pk}/"
    assert (failed.kind, failed.title) == (Kind.JOB_FAILED, "The ingest of day.csv failed")
    again.refresh_from_db()
    from greenlane.apps.wording import translated

    assert failed.body == translated(again.message)  # the English text (English is active)
    assert failed.shown_body == translated(again.message)
    assert "already" in failed.body


# ------------------------------------------------------------------ pages


def test_the_inbox_shows_ones_own_notices_with_the_unread_count_in_the_header(w: World) -> None:
    for person, title in ((w.trader, "Mine"), (w.validator, "Theirs")):
        notices.notify(Kind.MESSAGE, [person], title=title, link="/", may_see=lambda u: True)
    client = Client()
    client.force_login(w.trader)
    page = client.get("/inbox/").content.decode()
    assert "Mine" in page
    assert "Theirs" not in page
    assert 'data-testid="unread">1<' in page
    theirs = Notice.objects.get(recipient=w.validator)
    assert client.get(f"/inbox/{theirs.pk}/").status_code == 404
    assert client.post("/inbox/read").status_code == 302
    assert 'data-testid="unread"' not in client.get("/").content.decode()
    assert Notice.objects.get(recipient=w.validator).read_at is None


def test_the_settings_page_saves_each_kinds_choice(w: World) -> None:
    client = Client()
    client.force_login(w.trader)
    choices = {kind.value: "email" for kind in KINDS_BY_ROLE[Role.TRADER]}
    choices[Kind.DECISION.value] = "digest"
    assert client.post("/inbox/settings/", choices).status_code == 302
    assert notices.preferences(w.trader)[Kind.DECISION] == "digest"
    page = client.get("/inbox/settings/").content.decode()
    assert re.search(r'name="decision" value="digest"[^>]*checked', page)
    assert not re.search(r'name="decision" value="email"[^>]*checked', page)
    assert re.search(r'name="message" value="email"[^>]*checked', page)
    assert client.post("/inbox/settings/", {Kind.DECISION.value: "pigeon"}).status_code == 200


def test_the_api_lists_and_reads_ones_own_notices(w: World) -> None:
    notices.notify(Kind.MESSAGE, [w.trader], title="Mine", link="/", may_see=lambda u: True)
    notices.notify(Kind.MESSAGE, [w.validator], title="Theirs", link="/", may_see=lambda u: True)
    client = Client()
    client.force_login(w.trader)
    listed = client.get("/api/v1/notices?unread=true").json()
    assert [n["title"] for n in listed["items"]] == ["Mine"]
    assert client.get("/api/v1/notices/unread").json() == {"unread": 1}
    mine = listed["items"][0]["id"]
    assert client.post(f"/api/v1/notices/{mine}/read").json()["read_at"] is not None
    theirs = Notice.objects.get(recipient=w.validator).pk
    assert client.post(f"/api/v1/notices/{theirs}/read").status_code == 404
    assert client.get("/api/v1/notices/unread").json() == {"unread": 0}


def test_each_role_chooses_only_for_the_kinds_it_can_be_sent(w: World) -> None:
    assert set().union(*KINDS_BY_ROLE.values()) == set(Kind)  # every kind reaches someone
    assert all(KINDS_BY_ROLE[role] for role in Role)  # everyone has something to choose
    page = Client()
    page.force_login(w.trader)
    shown = page.get("/inbox/settings/").content.decode()
    assert "Customs asks for information" in shown
    assert str(Kind.ACCESS_REQUESTED.label) not in shown
    assert str(Kind.JOB_FAILED.label) not in shown
    with pytest.raises(notices.Refused, match="no notice kind 'access_requested' for your role"):
        notices.set_preferences(w.trader, {Kind.ACCESS_REQUESTED: "inbox"})
    assert set(notices.preferences(w.admin)) == {k.value for k in KINDS_BY_ROLE[Role.ADMINISTRATOR]}


def test_a_settings_form_without_a_choice_says_which_kind_lacks_one(w: World) -> None:
    client = Client()
    client.force_login(w.trader)
    choices = {kind.value: "email" for kind in KINDS_BY_ROLE[Role.TRADER]}
    del choices[Kind.DECISION.value]
    page = client.post("/inbox/settings/", choices)
    assert page.status_code == 200
    row = re.search(
        r"<th scope=\"row\">A decision on an application(.*?)</th>", page.content.decode()
    )
    assert row, page.content.decode()
    assert "This field is required." in row.group(1)
    assert notices.preferences(w.trader)[Kind.DECISION] == "email"  # nothing saved


# ------------------------------------------------------------------ each reader's language


def test_a_notice_written_in_english_is_read_in_each_readers_language(w: World) -> None:
    from django.utils import translation

    from greenlane.apps.wording import translated
    from greenlane.core.words import _

    title = _("Monitoring run of %(day)s queued.", day="2026-06-30")  # a message Korean knows
    body = _("Alert acknowledged.")
    with translation.override("en"):  # written while English is active
        notices.notify(
            Kind.MESSAGE, [w.trader], title=title, body=body, link="/", may_see=lambda u: True
        )
    notice = Notice.objects.get()
    assert (notice.title, notice.body) == (str(title), "Alert acknowledged.")  # English kept
    with translation.override("ko"):
        korean_title, korean_body = translated(title), translated(body)
        assert notice.shown_title == korean_title
    assert korean_title == "2026-06-30 기준 사후관리 점검을 대기열에 추가했습니다."
    assert korean_body == "경보를 확인했습니다."
    w.trader.language = "ko"
    w.trader.save()
    client = Client()
    client.force_login(w.trader)
    page = client.get("/inbox/").content.decode()
    assert korean_title in page
    assert korean_body in page
    listed = client.get("/api/v1/notices").json()["items"]
    assert (listed[0]["title"], listed[0]["body"]) == (korean_title, korean_body)
    english = Client()
    english.force_login(w.validator)
    notices.notify(Kind.MESSAGE, [w.validator], title=title, link="/", may_see=lambda u: True)
    assert str(title) in english.get("/inbox/").content.decode()


def test_the_email_goes_in_the_addressees_language_whatever_the_senders(w: World) -> None:
    from django.utils import translation

    from greenlane.apps.wording import translated
    from greenlane.core.words import _

    w.trader.language = "ko"
    w.trader.save()
    w.validator.email = "validator@customs.example"
    w.validator.save()  # no language chosen: the default, English
    title = _("Monitoring run of %(day)s queued.", day="2026-06-30")
    body = _("Alert acknowledged.")
    with translation.override("en"):
        notices.notify(
            Kind.MESSAGE, [w.trader, w.validator], title=title, body=body, link="/",
            may_see=lambda u: True,
        )  # fmt: skip
    mail.outbox.clear()
    with translation.override("es"):  # the worker's language is nobody's
        assert outbox.send_pending() == 2
    to = {m.to[0]: m for m in mail.outbox}
    with translation.override("ko"):
        korean_title, korean_body = translated(title), translated(body)
    korean = to[w.trader.email]
    assert korean_title in korean.subject
    assert korean_title in korean.body
    assert korean_body in korean.body
    assert korean_title in korean.alternatives[0][0]
    english = to[w.validator.email]
    assert english.subject == f"Greenlane: {title}"
    assert str(body) in english.body


def test_an_old_notice_with_plain_text_is_shown_as_it_is(w: World) -> None:
    from django.utils import translation

    notices.notify(
        Kind.MESSAGE, [w.trader], title="Application A-1 is approved", body="Well done.",
        link="/", may_see=lambda u: True,
    )  # fmt: skip
    notice = Notice.objects.get()
    assert (notice.title_words, notice.body_words) == (None, None)
    with translation.override("ko"):
        assert (notice.shown_title, notice.shown_body) == (
            "Application A-1 is approved", "Well done."
        )  # fmt: skip
    w.trader.language = "ko"
    w.trader.save()
    client = Client()
    client.force_login(w.trader)
    assert "Application A-1 is approved" in client.get("/inbox/").content.decode()
    mail.outbox.clear()
    outbox.send_pending()
    assert "Application A-1 is approved" in mail.outbox[0].subject
    assert "Well done." in mail.outbox[0].body


def test_the_outcome_of_background_work_is_stored_as_words(w: World) -> None:
    from django.utils import translation

    from greenlane.apps.wording import translated
    from greenlane.core.words import Words, _

    notices.tell_outcome(
        w.admin, False, what=_("Alert acknowledged."), message=_("Alert dismissed."),
        link="/", about=w.operator, roles=[w.admin.role],
    )  # fmt: skip
    notice = Notice.objects.get(recipient=w.admin)
    assert notice.kind == Kind.JOB_FAILED
    assert notice.title == "Alert acknowledged. failed"
    with translation.override("ko"):
        assert notice.shown_title == translated(Words.from_json(notice.title_words))
        assert "경보를 확인했습니다." in notice.shown_title
        assert notice.shown_body == translated(_("Alert dismissed."))
