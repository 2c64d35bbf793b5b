"""Writing to a thread: the text, the attachments (each through the evidence checks), the
audit event and the other side's notice commit together, or nothing does."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from greenlane.apps.accounts.models import User
from greenlane.apps.assessments.evidence import EvidenceRefused, inspect, stored_name
from greenlane.apps.audit import services as audit
from greenlane.apps.certification import services as certification
from greenlane.apps.certification.models import Application
from greenlane.apps.certification.notices import holders
from greenlane.apps.correspondence import titles
from greenlane.apps.correspondence.models import Attachment, Message, Side
from greenlane.apps.correspondence.permissions import (
    Thing,
    customs_writers,
    may_read,
    side_of,
)
from greenlane.apps.notices.models import Kind
from greenlane.apps.notices.services import notify
from greenlane.core import errors

MAX_TEXT = 10_000
MAX_FILES = 5


class Refused(errors.Refused):
    """A message that cannot be sent as it is (HTTP 400); the text says why."""


class NotAllowed(errors.Refused):
    """The person may read the thread but not write to it."""

    status = 403


def thread(thing: Thing) -> list[Message]:
    return list(
        thing.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("sent_at", "pk")
    )


def link(thing: Thing) -> str:
    if isinstance(thing, Application):
        return reverse("application_detail", args=[thing.pk]) + "#messages"
    return reverse("certificate_detail", args=[thing.pk]) + "#messages"


def post(user: User, thing: Thing, text: str, files: Sequence[UploadedFile] = ()) -> Message:
    """Send a message on ``thing``; the other side is told (inbox, and e-mail as they chose)."""
    side = side_of(user, thing)
    if side is None:
        raise NotAllowed(_("only the company's side and the validator in charge write here"))
    text = text.strip()
    if not text and not files:
        raise Refused(_("write a message or attach a file"))
    if len(text) > MAX_TEXT:
        raise Refused(
            _("a message holds at most %(n)s characters")
            % {"n": number_format(MAX_TEXT, force_grouping=True)}
        )
    if len(files) > MAX_FILES:
        raise Refused(
            ngettext("at most %(n)d file a message", "at most %(n)d files a message", MAX_FILES)
            % {"n": MAX_FILES}
        )
    limit = settings.MAX_EVIDENCE_MB * 1024 * 1024
    if sum(f.size or 0 for f in files) > limit:
        raise Refused(
            _("the files together are larger than %(n)s MB") % {"n": settings.MAX_EVIDENCE_MB}
        )
    checked = []
    for upload in files:
        name = (upload.name or "attachment")[:255]
        if upload.size is not None and upload.size > limit:
            raise Refused(
                _("%(name)s is larger than the limit of %(n)s MB")
                % {"name": name, "n": settings.MAX_EVIDENCE_MB}
            )
        try:
            checked.append((upload, name, inspect(name, upload.file, limit)))
        except EvidenceRefused as exc:
            raise Refused(str(exc)) from None
    with transaction.atomic():
        message = Message.objects.create(
            application=thing if isinstance(thing, Application) else None,
            certificate=None if isinstance(thing, Application) else thing,
            author=user,
            side=side,
            text=text,
            sent_at=timezone.now(),
        )
        for upload, name, facts in checked:
            attachment = Attachment(
                message=message, original_name=name, content_type=facts.content_type,
                size=facts.size, sha256=facts.sha256,
            )  # fmt: skip
            attachment.file.save(stored_name(name, facts.sha256), upload, save=False)
            attachment.save()
        audit.record(
            "correspondence.message.sent",
            user,
            thing,
            {"message": message.pk, "side": side, "characters": len(text),
             "files": [{"name": n, "sha256": f.sha256} for _u, n, f in checked]},
        )  # fmt: skip
        others = holders(thing.operator) if side == Side.CUSTOMS else customs_writers(thing)
        notify(
            Kind.MESSAGE,
            [p for p in others if p.pk != user.pk],
            title=titles.wrote(
                thing, None if side == Side.CUSTOMS else thing.operator.name, len(checked)
            ),
            body=text[:1000],
            link=link(thing),
            about=message,
            may_see=lambda person: may_read(person, thing),
        )
    return message


def answer(
    user: User, application: Application, text: str, files: Sequence[UploadedFile] = ()
) -> Application:
    """Answer customs' request for information, with files: the answer (which restarts the
    clock) and the message holding the files commit together, or neither does."""
    with transaction.atomic():
        answered = certification.transition(application, user, "provide_information", answer=text)
        if files:
            post(user, answered, "Files with our answer to the request for information", files)
    return answered


def attachment_read(attachment: Attachment, user: User) -> None:
    """A company's document read by someone: on record, whoever it is."""
    audit.record(
        "correspondence.attachment.downloaded",
        user,
        attachment.message,
        {"attachment": attachment.pk, "file": attachment.original_name,
         "sha256": attachment.sha256},
    )  # fmt: skip
