"""A trust list: the certificates of the issuing authorities (or of the authorities that
certify them) a customs service accepts signatures from, and their revocation lists.

A signing certificate is trusted when the trust list holds that very certificate, or when a
certificate in the list issued it (its signature checks out and it is a certification
authority). Nothing else is trusted: a certificate that arrives inside a document only says
*which* key signed; it never vouches for itself (``docs/origin.md``).

Each certificate on the path must be valid on the signing date and not revoked by then. A
revocation for key compromise counts whatever its date: the key may have been used by someone
else before the authority found out (RFC 5280 section 5.3.1 reason codes).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtensionOID

from greenlane.core.words import Day, Words, _

_PEM_BLOCK = re.compile(rb"-----BEGIN (CERTIFICATE|X509 CRL)-----.+?-----END \1-----", re.DOTALL)
_COMPROMISE = {x509.ReasonFlags.key_compromise, x509.ReasonFlags.ca_compromise}
TRUST_FILES = ("*.pem", "*.crt", "*.cer", "*.der", "*.crl")


class TrustListError(ValueError):
    """The trust list itself cannot be read; ``problems`` has one line per file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def describe(certificate: x509.Certificate) -> str:
    return f"{certificate.subject.rfc4514_string()} (serial {certificate.serial_number:x})"


@dataclass(frozen=True)
class TrustList:
    certificates: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = field(default=())

    @classmethod
    def from_directory(cls, directory: Path) -> TrustList:
        """Every certificate and CRL in ``directory`` (PEM, possibly several per file, or DER)."""
        if not directory.is_dir():
            raise TrustListError([f"{directory}: not a directory"])
        files = sorted({p for pattern in TRUST_FILES for p in directory.glob(pattern)})
        certificates: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        problems: list[str] = []
        for path in files:
            try:
                found_certificates, found_crls = _load(path.read_bytes())
            except (ValueError, OSError) as exc:
                problems.append(f"{path.name}: cannot be read as a certificate or a CRL ({exc})")
                continue
            certificates += found_certificates
            crls += found_crls
        if not certificates and not problems:
            problems.append(f"{directory}: no certificate in the trust list")
        if problems:
            raise TrustListError(problems)
        return cls(tuple(certificates), tuple(crls))

    def path_to(self, certificate: x509.Certificate) -> tuple[x509.Certificate, ...] | None:
        """``(certificate,)`` or ``(certificate, issuer)`` when the list vouches for it."""
        if certificate in self.certificates:
            return (certificate,)
        for issuer in self.certificates:
            if issuer.subject == certificate.issuer and _issued(issuer, certificate):
                return (certificate, issuer)
        return None

    def problems(self, path: Iterable[x509.Certificate], when: dt.datetime) -> list[Words]:
        """Why ``path`` (signer first) could not vouch for a signature made at ``when``."""
        path = tuple(path)
        reasons: list[Words] = []
        for certificate in path:
            reasons += _validity(certificate, when)
        reasons += _usage(path[0])
        for certificate in path:
            reasons += self._revocation(certificate, when)
        return reasons

    def _revocation(self, certificate: x509.Certificate, when: dt.datetime) -> list[Words]:
        issuers = [c for c in self.certificates if c.subject == certificate.issuer]
        reasons = []
        for crl in self.crls:
            if crl.issuer != certificate.issuer:
                continue
            if not any(crl.is_signature_valid(i.public_key()) for i in issuers):  # type: ignore[arg-type]
                reasons.append(
                    _(
                        "the CRL of %(issuer)s in the trust list has no valid signature from a "
                        "certificate in it",
                        issuer=crl.issuer.rfc4514_string(),
                    )
                )
                continue
            entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if entry is None:
                continue
            reason = _reason(entry)
            if entry.revocation_date_utc <= when or reason in _COMPROMISE:
                on = f"{entry.revocation_date_utc:%Y-%m-%d %H:%M}"
                reasons.append(
                    _(
                        "certificate revoked: %(certificate)s was revoked on %(on)s UTC "
                        "(%(why)s)",
                        certificate=describe(certificate), on=on, why=reason.value,
                    )
                    if reason is not None
                    else _(
                        "certificate revoked: %(certificate)s was revoked on %(on)s UTC",
                        certificate=describe(certificate), on=on,
                    )
                )  # fmt: skip
        return reasons


def _load(data: bytes) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    if b"-----BEGIN" not in data:
        try:
            return [x509.load_der_x509_certificate(data)], []
        except ValueError:
            return [], [x509.load_der_x509_crl(data)]
    certificates, crls = [], []
    for block in _PEM_BLOCK.finditer(data):
        if block.group(1) == b"CERTIFICATE":
            certificates.append(x509.load_pem_x509_certificate(block.group(0)))
        else:
            crls.append(x509.load_pem_x509_crl(block.group(0)))
    if not certificates and not crls:
        raise ValueError("no PEM certificate or CRL in it")
    return certificates, crls


def _issued(issuer: x509.Certificate, certificate: x509.Certificate) -> bool:
    try:
        constraints = issuer.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    except x509.ExtensionNotFound:
        return False
    if not constraints.value.ca:  # type: ignore[attr-defined]
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _validity(certificate: x509.Certificate, when: dt.datetime) -> list[Words]:
    signed = Day(when.date())
    if when < certificate.not_valid_before_utc:
        return [
            _(
                "certificate not yet valid: %(certificate)s is valid from %(start)s, after the "
                "signing date %(signed)s",
                certificate=describe(certificate),
                start=Day(certificate.not_valid_before_utc.date()),
                signed=signed,
            )
        ]
    if when > certificate.not_valid_after_utc:
        return [
            _(
                "certificate expired: %(certificate)s expired on %(end)s, before the signing "
                "date %(signed)s",
                certificate=describe(certificate),
                end=Day(certificate.not_valid_after_utc.date()),
                signed=signed,
            )
        ]
    return []


def _usage(signer: x509.Certificate) -> list[Words]:
    try:
        usage = signer.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        return []
    if usage.digital_signature or usage.content_commitment:  # type: ignore[attr-defined]
        return []
    return [
        _(
            "certificate not for signing: %(certificate)s has no digital-signature key usage",
            certificate=describe(signer),
        )
    ]


def _reason(entry: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None
