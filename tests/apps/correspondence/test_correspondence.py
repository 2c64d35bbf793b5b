"""Messages with attachments between a company and the validator in charge."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import services
from greenlane.apps.correspondence import services as correspondence
from greenlane.apps.correspondence.models import Attachment, Message
from greenlane.apps.notices.models import Kind, Notice
from greenlane.apps.operators import services as operators
from tests import factories
from tests.apps.certification.world import World, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


@pytest.fixture
def app(w: World) -> Any:
    application = services.apply(w.operator, w.trader, "A", w.snapshot)
    return services.transition(application, w.admin, "assign", validator=w.validator)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_company_writes_with_a_file_and_the_validator_reads_it(w: World, app: Any) -> None:
    page = _client(w.trader).post(
        f"/applications/{app.pk}/messages",
        {"text": "Our ISO 28000 certificate", "files": [factories.pdf_upload("iso.pdf")]},
    )
    assert page.status_code == 302
    assert page["Location"].endswith(f"/applications/{app.pk}/#messages")
    message = Message.objects.get()
    assert (message.side, message.author, message.application) == ("company", w.trader, app)
    attachment = message.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("iso.pdf", "application/pdf")
    told = Notice.objects.get(recipient=w.validator, kind=Kind.MESSAGE)
    assert told.title == f"{w.operator.name} wrote on application {app.number} (1 file attached)"
    assert told.link == f"/applications/{app.pk}/#messages"
    sent = AuditEvent.objects.get(action="correspondence.message.sent")
    assert sent.data["files"][0]["sha256"] == attachment.sha256
    validator = _client(w.validator)
    shown = validator.get(f"/applications/{app.pk}/").content.decode()
    assert "Our ISO 28000 certificate" in shown
    assert "iso.pdf" in shown
    assert 'data-testid="write"' in shown
    download = validator.get(f"/messages/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(
        action="correspondence.attachment.downloaded", actor_id=w.validator.pk
    ).exists()
    download.close()  # ends the request, which closes the database connection: last


def test_the_validators_message_reaches_the_company_and_its_consultant(w: World, app: Any) -> None:
    consultancy = factories.organisation("consultancy")
    operators.grant_consultant_access(w.operator, consultancy, None)
    consultant = factories.user(Role.CONSULTANT, consultancy)
    correspondence.post(w.validator, app, "Please send the seal log")
    for person in (w.trader, consultant):
        told = Notice.objects.get(recipient=person, kind=Kind.MESSAGE)
        assert told.title == f"Customs wrote on application {app.number}"
        assert told.body == "Please send the seal log"
    assert not Notice.objects.filter(recipient=w.validator).filter(kind=Kind.MESSAGE).exists()
    # The consultant answers for the company: the validator is told.
    correspondence.post(consultant, app, "Attached tomorrow")
    assert Notice.objects.filter(recipient=w.validator, kind=Kind.MESSAGE).count() == 1


def test_who_reads_and_who_writes(w: World, app: Any) -> None:
    message = correspondence.post(w.trader, app, "Hello", [factories.pdf_upload("letter.pdf")])
    attachment = message.attachments.get()
    other_trader = factories.user(Role.TRADER, factories.operator().organisation)
    readers = {w.trader: 200, w.validator: 200, w.decider: 200}
    strangers = {w.other_validator: 404, w.admin: 404, other_trader: 404}
    downloads = []
    for person, status in (readers | strangers).items():
        downloads.append(_client(person).get(f"/messages/attachments/{attachment.pk}/"))
        assert downloads[-1].status_code == status, person.role
    # The decision officer reads the thread on the page, but cannot write to it.
    page = _client(w.decider).get(f"/applications/{app.pk}/").content.decode()
    assert "Correspondence" in page
    assert 'data-testid="write"' not in page
    assert (
        _client(w.decider).post(f"/applications/{app.pk}/messages", {"text": "x"}).status_code
        == 403
    )
    # An administrator sees the application, not its correspondence.
    page = _client(w.admin).get(f"/applications/{app.pk}/").content.decode()
    assert "Correspondence" not in page
    assert "Hello" not in page
    assert (
        _client(w.admin).post(f"/applications/{app.pk}/messages", {"text": "x"}).status_code == 404
    )
    assert (
        _client(w.other_validator)
        .post(f"/applications/{app.pk}/messages", {"text": "x"})
        .status_code
        == 404
    )
    assert Message.objects.count() == 1
    for response in downloads:  # ends the request, which closes the database connection: last
        response.close()


def test_a_file_that_fails_the_evidence_checks_sends_nothing(w: World, app: Any) -> None:
    disguised = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    client = _client(w.trader)
    response = client.post(
        f"/applications/{app.pk}/messages",
        {"text": "See attached", "files": [factories.pdf_upload("ok.pdf"), disguised]},
        follow=True,
    )
    assert "Not sent: invoice.pdf" in response.content.decode()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert not Notice.objects.filter(kind=Kind.MESSAGE).exists()


@pytest.mark.parametrize(
    ("text", "files", "error"),
    [
        ("   ", 0, "write a message or attach a file"),
        ("x" * 10_001, 0, "at most 10,000 characters"),
        ("six files", 6, "at most 5 files"),
    ],
)
def test_what_is_refused(w: World, app: Any, text: str, files: int, error: str) -> None:
    uploads = [factories.pdf_upload(f"f{i}.pdf") for i in range(files)]
    with pytest.raises(correspondence.Refused, match=error):
        correspondence.post(w.trader, app, text, uploads)
    assert not Message.objects.exists()


def test_a_certificates_thread_between_its_holder_and_the_assigned_validator(
    w: World,
) -> None:
    _app, certificate = factories.certified(w.operator, w.snapshot, w.decider)
    with pytest.raises(correspondence.NotAllowed):
        correspondence.post(w.validator, certificate, "Before the assignment")
    operators.assign_validator(w.operator, w.validator, w.admin)
    correspondence.post(w.validator, certificate, "Your self-review is late")
    correspondence.post(w.trader, certificate, "Sent today")
    page = _client(w.trader).get(f"/certificates/{certificate.pk}/").content.decode()
    assert page.index("Your self-review is late") < page.index("Sent today")
    assert "message</a> from customs" in page  # in the history too
    assert Notice.objects.filter(recipient=w.validator, kind=Kind.MESSAGE).count() == 1


def test_an_answer_with_files_and_its_files_commit_together(w: World, app: Any) -> None:
    services.transition(app, w.validator, "request_information", question="Seal log?")
    client = _client(w.trader)
    bad = SimpleUploadedFile("log.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    refused = client.post(
        f"/applications/{app.pk}/transitions/provide_information",
        {"answer": "Here it is", "files": [bad]},
    )
    assert refused.status_code == 400
    assert "log.pdf" in refused.content.decode()
    app.refresh_from_db()
    assert app.stage == "information_requested"  # the answer did not go without its file
    done = client.post(
        f"/applications/{app.pk}/transitions/provide_information",
        {"answer": "Here it is", "files": [factories.pdf_upload("log.pdf")]},
    )
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.stage == "document_review"
    assert app.information_requests.get().answer == "Here it is"
    assert Message.objects.get().attachments.get().original_name == "log.pdf"


def test_a_file_missing_from_the_stored_files_is_said_plainly(w: World, app: Any) -> None:
    message = correspondence.post(w.trader, app, "Hello", [factories.pdf_upload("letter.pdf")])
    attachment = message.attachments.get()
    attachment.file.storage.delete(attachment.file.name)  # a restore without the media folder
    answer = _client(w.validator).get(f"/messages/attachments/{attachment.pk}/")
    assert answer.status_code == 404
    assert "letter.pdf is missing from the server's stored files" in answer.content.decode()
