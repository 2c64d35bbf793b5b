"""Changes to the trust list and to the certificates of origin received: each atomic and
audited. Verification itself is ``greenlane.core.origin`` (decision 0034)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import pycountry
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from greenlane.apps.audit import services as audit
from greenlane.apps.origin.models import (
    OriginCertificate,
    RevocationList,
    TrustAnchor,
    VerificationRequest,
)
from greenlane.core import errors
from greenlane.core.origin import document, schema
from greenlane.core.origin.signature import Verification, verify
from greenlane.core.origin.trust import TrustList
from greenlane.core.words import Day, Words, gettext_noop

#: A certificate of origin is a few kilobytes; a hundred goods items stay far below this.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


class Refused(errors.Refused):
    """The change cannot be made; the message says why."""


class NotAllowed(errors.NotAllowed):
    """Not possible in the record's present state."""


def _partner(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise Refused(_("'%(code)s' is not an ISO 3166 country code") % {"code": code}, "partner")
    return code


def _one_certificate(data: bytes) -> x509.Certificate:
    blocks = _PEM_CERTIFICATE.findall(data)
    try:
        if b"-----BEGIN" not in data:
            return x509.load_der_x509_certificate(data)
        if len(blocks) == 1:
            return x509.load_pem_x509_certificate(blocks[0])
    except ValueError:
        pass
    else:
        raise Refused(
            _("give one certificate per file (this file holds %(n)d)") % {"n": len(blocks)}, "file"
        )
    raise Refused(_("the file is not an X.509 certificate (PEM or DER)"), "file")


def _fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def _is_authority(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return bool(constraints.value.ca)


def add_anchor(
    user: Any,
    partner: str,
    data: bytes,
    trusted_from: dt.date | None = None,
    label: str = "",
) -> TrustAnchor:
    """Trust ``data`` (one PEM or DER certificate) for ``partner``'s certificates of origin
    signed from ``trusted_from`` (default: the certificate's own start)."""
    partner = _partner(partner)
    certificate = _one_certificate(data)
    fingerprint = _fingerprint(certificate)
    start = trusted_from or certificate.not_valid_before_utc.date()
    with transaction.atomic():
        if TrustAnchor.objects.filter(
            organisation_id=user.organisation_id, partner=partner, fingerprint=fingerprint
        ).exists():
            raise Refused(
                _("this certificate is already in %(partner)s's trust list") % {"partner": partner},
                "file",
            )
        anchor = TrustAnchor.objects.create(
            organisation_id=user.organisation_id,
            partner=partner,
            label=label.strip()[:200],
            pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
            fingerprint=fingerprint,
            subject=certificate.subject.rfc4514_string()[:500],
            serial=f"{certificate.serial_number:x}"[:64],
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            is_authority=_is_authority(certificate),
            trusted_from=start,
            added_by=user,
        )
        audit.record(
            "origin.trust.added",
            user,
            anchor,
            {"partner": partner, "subject": anchor.subject, "fingerprint": fingerprint,
             "trusted_from": start.isoformat()},
        )  # fmt: skip
    return anchor


def retire_anchor(user: Any, anchor_id: int, on: dt.date, reason: str) -> TrustAnchor:
    """Stop trusting an anchor for what is signed from ``on``; what was signed before stays
    judged by the list as it stood then."""
    reason = reason.strip()
    if not reason:
        raise Refused(_("say why the certificate is retired"), "reason")
    with transaction.atomic():
        anchor = (
            TrustAnchor.objects.select_for_update()
            .filter(organisation_id=user.organisation_id, pk=anchor_id)
            .first()
        )
        if anchor is None:
            raise Refused(_("no such certificate in the trust list"))
        if anchor.retired_on is not None:
            raise NotAllowed(
                _("this certificate was already retired on %(day)s") % {"day": anchor.retired_on}
            )
        if on < anchor.trusted_from:
            raise Refused(
                _("a certificate cannot be retired before it was trusted (%(day)s)")
                % {"day": anchor.trusted_from},
                "on",
            )
        anchor.retired_on, anchor.retired_reason = on, reason[:500]
        anchor.save(update_fields=["retired_on", "retired_reason"])
        audit.record(
            "origin.trust.retired", user, anchor,
            {"partner": anchor.partner, "retired_on": on.isoformat(), "why": reason},
        )  # fmt: skip
    return anchor


def add_revocation_list(user: Any, partner: str, data: bytes) -> RevocationList:
    """Record a CRL; only one signed by an authority in ``partner``'s trust list."""
    partner = _partner(partner)
    try:
        crl = (
            x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        )
    except ValueError:
        raise Refused(
            _("the file is not a certificate revocation list (PEM or DER)"), "file"
        ) from None
    issuers = [
        x509.load_pem_x509_certificate(a.pem.encode())
        for a in TrustAnchor.objects.filter(organisation_id=user.organisation_id, partner=partner)
    ]
    if not any(i.subject == crl.issuer and crl.is_signature_valid(i.public_key()) for i in issuers):  # type: ignore[arg-type]
        raise Refused(
            _("no certificate in %(partner)s's trust list signed this revocation list")
            % {"partner": partner},
            "file",
        )
    der = crl.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest()
    with transaction.atomic():
        if RevocationList.objects.filter(
            organisation_id=user.organisation_id, sha256=digest
        ).exists():
            raise Refused(_("this revocation list is already recorded"), "file")
        recorded = RevocationList.objects.create(
            organisation_id=user.organisation_id, partner=partner, der=der, sha256=digest,
            issuer=crl.issuer.rfc4514_string()[:500], this_update=crl.last_update_utc,
            next_update=crl.next_update_utc, revoked=len(list(crl)), added_by=user,
        )  # fmt: skip
        audit.record(
            "origin.trust.crl_added", user, recorded,
            {"partner": partner, "issuer": recorded.issuer, "revoked": recorded.revoked},
        )  # fmt: skip
    return recorded


def trust_list(organisation_id: int, partner: str) -> TrustList | None:
    """Everything this administration ever trusted for ``partner`` (retired included: the
    dates are checked against the signing date after verification); None when empty."""
    anchors = TrustAnchor.objects.filter(organisation_id=organisation_id, partner=partner)
    certificates = tuple(x509.load_pem_x509_certificate(a.pem.encode()) for a in anchors)
    if not certificates:
        return None
    crls = tuple(
        x509.load_der_x509_crl(bytes(r.der))
        for r in RevocationList.objects.filter(organisation_id=organisation_id, partner=partner)
    )
    return TrustList(certificates, crls)


@dataclass(frozen=True)
class Received:
    certificate: OriginCertificate
    created: bool  # False: these very bytes were received before


def _claimed_partner(data: bytes) -> str:
    """The issuing country the document names (only to pick the trust list to check it
    with: a document naming another partner than its signer fails as an unknown issuer)."""
    try:
        figures = document.read(schema.parse(data))
    except (schema.NotXML, AttributeError, TypeError):
        return ""
    code = (figures.get("exporting_country") or "").upper()
    return code if len(code) == 2 else ""


def _dated_problems(organisation_id: int, partner: str, result: Verification) -> list[Words]:
    """Whether the trust list held the vouching certificate on the signing date."""
    if result.vouched_by is None or result.signed_at is None:
        return []
    anchor = TrustAnchor.objects.filter(
        organisation_id=organisation_id,
        partner=partner,
        fingerprint=_fingerprint(result.vouched_by),
    ).first()
    if anchor is None:
        return []
    day = result.signed_at.date()
    if anchor.retired_on is not None and day >= anchor.retired_on:
        return [
            gettext_noop(
                "not trusted on the signing date: the trust list holds %(certificate)s from "
                "%(start)s, retired on %(end)s, and the certificate was signed on %(signed)s",
                certificate=anchor.subject, start=Day(anchor.trusted_from),
                end=Day(anchor.retired_on), signed=Day(day),
            )
        ]  # fmt: skip
    if day < anchor.trusted_from:
        return [
            gettext_noop(
                "not trusted on the signing date: the trust list holds %(certificate)s from "
                "%(start)s, and the certificate was signed on %(signed)s",
                certificate=anchor.subject, start=Day(anchor.trusted_from), signed=Day(day),
            )
        ]  # fmt: skip
    return []


def receive(actor: Any, organisation_id: int, data: bytes, channel: str) -> Received:
    """Verify ``data`` against the trust list of the partner it names and keep it, its bytes
    unchanged, as received or as rejected with the reasons. The same bytes twice are one
    certificate (``created`` False)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refused(_("a certificate of origin is at most 2 MB; this file is larger"), "file")
    if not data.strip():
        raise Refused(_("the file is empty"), "file")
    digest = hashlib.sha256(data).hexdigest()
    existing = OriginCertificate.objects.filter(
        organisation_id=organisation_id, sha256=digest
    ).first()
    if existing is not None:
        return Received(existing, False)
    partner = _claimed_partner(data)
    trusted = trust_list(organisation_id, partner) if partner else None
    if trusted is None:
        result = verify(data, TrustList(()))
        reasons = [
            gettext_noop(
                "no trust list for %(partner)s: an administrator adds the partner's "
                "certificates first",
                partner=partner,
            )
            if partner
            else gettext_noop(
                "no trust list for the document's issuing country: an administrator adds the "
                "partner's certificates first"
            )
        ]
        if result.reasons and not result.reasons[0].startswith("unknown issuer"):
            reasons = [*result.words, *reasons]
    else:
        result = verify(data, trusted)
        reasons = [*result.words, *_dated_problems(organisation_id, partner, result)]
    figures = result.certificate
    try:
        with transaction.atomic():
            return Received(
                _store(
                    actor, organisation_id, data, digest, partner, result, reasons, figures, channel
                ),
                True,
            )
    except IntegrityError:
        # Another request stored these bytes (or this number) a moment ago.
        again = OriginCertificate.objects.filter(
            organisation_id=organisation_id, sha256=digest
        ).first()
        if again is None:
            raise
        return Received(again, False)


def _store(
    actor: Any, organisation_id: int, data: bytes, digest: str, partner: str,
    result: Verification, reasons: list[Words], figures: dict[str, Any], channel: str,
) -> OriginCertificate:  # fmt: skip
    number = str(figures.get("certificate_number") or "")[:64]
    if not reasons:
        clash = (
            OriginCertificate.objects.filter(
                organisation_id=organisation_id, partner=partner, number=number
            )
            .exclude(status=OriginCertificate.Status.REJECTED)
            .first()
        )
        if clash is not None:
            reasons = [
                gettext_noop(
                    "certificate %(number)s from %(partner)s was received before with other "
                    "content (received %(day)s): its issuer cancels or replaces it",
                    number=number, partner=partner, day=Day(clash.received_at.date()),
                )
            ]  # fmt: skip
    status = OriginCertificate.Status.REJECTED if reasons else OriginCertificate.Status.RECEIVED
    issue_date = figures.get("issue_date")
    certificate = OriginCertificate.objects.create(
        organisation_id=organisation_id, partner=partner, number=number,
        agreement=str(figures.get("agreement") or "")[:32],
        issue_date=_date(issue_date), exporter_id=_party_id(figures, "exporter"),
        importer_id=_party_id(figures, "importer"), document=data, sha256=digest,
        size=len(data), status=status, reasons=[r.as_json() for r in reasons], figures=figures,
        signer=(result.signer or "")[:500], signed_at=result.signed_at, channel=channel,
        received_by=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    audit.record(
        "origin.certificate.received" if not reasons else "origin.certificate.rejected",
        actor, certificate,
        {"number": number, "partner": partner, "sha256": digest,
         "reasons": [str(r) for r in reasons],
         "channel": channel},
    )  # fmt: skip
    return certificate


def _date(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _party_id(figures: dict[str, Any], role: str) -> str:
    party = figures.get(role) or {}
    return str(party.get("id") or "")[:64]


# --- verification requests -------------------------------------------------------------------


def reply_due(agreement_id: str, sent_on: dt.date) -> dt.date | None:
    """When the exporting side's reply is due under the agreement's cited terms (the longest
    time a range allows), or None where the agreement data does not say."""
    from greenlane.core.origin.agreements import shipped_agreements
    from greenlane.core.origin.claims import add_months

    agreement = next((a for a in shipped_agreements() if a.id == agreement_id), None)
    if agreement is None:
        return None
    terms = agreement.verification
    if terms.reply_within_months is not None:
        return add_months(sent_on, terms.reply_within_months)
    if terms.reply_within_days is not None:
        return sent_on + dt.timedelta(days=terms.reply_within_days.max)
    return None


def raise_verification(
    user: Any,
    certificate_id: int,
    questions: str,
    sent_on: dt.date | None = None,
    due_on: dt.date | None = None,
    released_against_guarantee: bool = False,
) -> VerificationRequest:
    """Ask the exporting side to confirm a certificate. The reply is due when the agreement
    says; where its data does not say, on the day the officer sets."""
    questions = questions.strip()
    if not questions:
        raise Refused(_("write the questions for the exporting side"), "questions")
    sent_on = sent_on or timezone.localdate()
    if sent_on > timezone.localdate():
        raise Refused(_("a request is recorded once it is sent: not on a future day"), "sent_on")
    with transaction.atomic():
        certificate = (
            OriginCertificate.objects.select_for_update()
            .filter(organisation_id=user.organisation_id, pk=certificate_id)
            .first()
        )
        if certificate is None:
            raise Refused(_("no such certificate of origin"))
        if certificate.status == OriginCertificate.Status.REJECTED:
            raise NotAllowed(_("a rejected certificate backs no claim: there is nothing to verify"))
        if certificate.verifications.filter(outcome=VerificationRequest.Outcome.PENDING).exists():
            raise NotAllowed(_("this certificate already has a request waiting for its reply"))
        try:
            agreed = reply_due(certificate.agreement, sent_on)
        except (ValueError, OverflowError):  # a day past the calendar's end
            raise Refused(
                _("the day the reply is due falls past the calendar"), "sent_on"
            ) from None
        if agreed is None and due_on is None:
            raise Refused(
                _("the agreement data gives no time for the reply: set the day it is due"),
                "due_on",
            )
        due = agreed or due_on
        assert due is not None
        if due <= sent_on:
            raise Refused(_("the reply must be due after the day the request is sent"), "due_on")
        source = VerificationRequest.DueFrom
        request = VerificationRequest.objects.create(
            organisation_id=user.organisation_id, certificate=certificate, questions=questions,
            sent_on=sent_on, due_on=due,
            due_from=source.AGREEMENT if agreed else source.OFFICER,
            released_against_guarantee=released_against_guarantee, raised_by=user,
        )  # fmt: skip
        audit.record(
            "origin.verification.raised", user, request,
            {"certificate": certificate.number, "partner": certificate.partner,
             "sent_on": sent_on.isoformat(), "due_on": due.isoformat(),
             "due_from": request.due_from, "guarantee": released_against_guarantee},
        )  # fmt: skip
    return request


def _open_request(user: Any, request_id: int) -> VerificationRequest:
    request = (
        VerificationRequest.objects.select_for_update()
        .select_related("certificate")
        .filter(organisation_id=user.organisation_id, pk=request_id)
        .first()
    )
    if request is None:
        raise Refused(_("no such verification request"))
    if request.outcome != VerificationRequest.Outcome.PENDING:
        raise NotAllowed(_("this request is closed"))
    return request


def extend_verification(
    user: Any, request_id: int, to: dt.date, reason: str
) -> VerificationRequest:
    """Give the exporting side more time, once, with the reason."""
    reason = reason.strip()
    if not reason:
        raise Refused(_("say why the reply may come later"), "reason")
    with transaction.atomic():
        request = _open_request(user, request_id)
        if request.extended_to is not None:
            raise NotAllowed(_("the time for the reply was extended once already"))
        if to <= request.due_on:
            raise Refused(_("the new day must come after %(day)s") % {"day": request.due_on}, "to")
        request.extended_to = to
        request.note = (request.note + "\n" if request.note else "") + reason
        request.save(update_fields=["extended_to", "note"])
        audit.record(
            "origin.verification.extended", user, request,
            {"to": to.isoformat(), "why": reason},
        )  # fmt: skip
    return request


def close_verification(
    user: Any, request_id: int, outcome: str, reply_on: dt.date | None, note: str = ""
) -> VerificationRequest:
    """Record what came of the request: the origin confirmed or not (with the day the reply
    came), or no reply by the deadline."""
    note = note.strip()
    outcomes = VerificationRequest.Outcome
    if outcome not in (outcomes.CONFIRMED, outcomes.NOT_CONFIRMED, outcomes.NO_REPLY):
        raise Refused(_("choose what the reply said, or that none came"), "outcome")
    with transaction.atomic():
        request = _open_request(user, request_id)
        today = timezone.localdate()
        if outcome == outcomes.NO_REPLY:
            if today <= request.deadline:
                raise NotAllowed(
                    _("the reply is due until %(day)s: it is not late yet")
                    % {"day": request.deadline}
                )
            reply_on = None
        else:
            if reply_on is None:
                raise Refused(_("give the day the reply came"), "reply_on")
            if reply_on < request.sent_on or reply_on > today:
                raise Refused(_("the reply came between the request and today"), "reply_on")
        if outcome == outcomes.NOT_CONFIRMED and not note:
            raise Refused(_("say what the reply found"), "note")
        request.outcome, request.reply_on, request.closed_by = outcome, reply_on, user
        if note:
            request.note = (request.note + "\n" if request.note else "") + note
        request.save(update_fields=["outcome", "reply_on", "closed_by", "note"])
        audit.record(
            "origin.verification.closed", user, request,
            {"outcome": outcome, "reply_on": reply_on.isoformat() if reply_on else None,
             "certificate": request.certificate.number, "note": note},
        )  # fmt: skip
    return request
