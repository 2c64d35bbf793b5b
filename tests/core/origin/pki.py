"""A test PKI made by the tests: a root authority, the issuing authority it certifies, and the
certificates that must fail (expired, revoked, self-made with the authority's name)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from greenlane.core.origin import keys

EXAMPLE = Path(__file__).parents[3] / "docs" / "examples" / "certificate-of-origin.json"
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def name(common: str, country: str = "KR") -> x509.Name:
    return keys.name(common, country, "Korea Customs Service")


@dataclass(frozen=True)
class Holder:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def key_pem(self) -> bytes:
        return keys.key_pem(self.key)

    @property
    def certificate_pem(self) -> bytes:
        return keys.certificate_pem(self.certificate)


def certify(
    subject: x509.Name,
    issuer: Holder | None,
    *,
    ca: bool,
    not_before: dt.datetime = START,
    days: int = 3650,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    serial: int | None = None,
) -> Holder:
    key = key or keys.new_key()
    by = (issuer.certificate.subject, issuer.key) if issuer else None
    certificate = keys.certify(
        subject, key, by, ca=ca, not_before=not_before, days=days, serial=serial
    )
    return Holder(key, certificate)


def revocation_list(
    issuer: Holder, revoked: list[tuple[x509.Certificate, dt.datetime, x509.ReasonFlags | None]]
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(START)
        .next_update(START + dt.timedelta(days=3650))
    )
    for certificate, when, reason in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(certificate.serial_number)
        entry = entry.revocation_date(when)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer.key, hashes.SHA256())


@dataclass(frozen=True)
class Pki:
    root: Holder
    authority: Holder  # certified by root, valid 2025-2034
    expired: Holder  # certified by root, valid during 2025 only
    revoked: Holder  # certified by root, revoked on 2026-06-01 (superseded)
    compromised: Holder  # certified by root, revoked on 2027-01-01 for key compromise
    impostor: Holder  # self-made, with the authority's very name

    def trust_directory(self, directory: Path, *, with_root: bool = True) -> Path:
        """The trust list as an importing customs keeps it: the root and the CRL."""
        directory.mkdir(parents=True, exist_ok=True)
        if with_root:
            (directory / "root.pem").write_bytes(self.root.certificate_pem)
        crl = revocation_list(
            self.root,
            [
                (
                    self.revoked.certificate,
                    dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
                    x509.ReasonFlags.superseded,
                ),
                (
                    self.compromised.certificate,
                    dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
                    x509.ReasonFlags.key_compromise,
                ),
            ],
        )
        (directory / "root.crl").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return directory


def make_pki() -> Pki:
    root = certify(name("KCS Origin Root CA"), None, ca=True)
    return Pki(
        root=root,
        authority=certify(name("KCS Origin Issuing Authority"), root, ca=False),
        expired=certify(name("KCS Origin Issuing Authority 2025"), root, ca=False, days=365),
        revoked=certify(name("KCS Origin Issuing Authority R"), root, ca=False),
        compromised=certify(name("KCS Origin Issuing Authority C"), root, ca=False),
        impostor=certify(name("KCS Origin Issuing Authority"), None, ca=False),
    )


def example(**changes: object) -> dict[str, object]:
    """The documented example, issued on 2026-12-01 at 10:15 UTC unless ``changes`` say."""
    data: dict[str, object] = json.loads(EXAMPLE.read_text())
    data.update({"issue_date": "2026-12-01", "issue_time": "10:15:00"})
    data.update(changes)
    return data
