"""Making certificates: for the demo's synthetic partner, the benchmark and the tests' PKI.
A real issuing authority's keys come from its own PKI, never from here."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def name(common: str, country: str | None = None, organisation: str | None = None) -> x509.Name:
    parts = []
    if country:
        parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common))
    return x509.Name(parts)


def certify(
    subject: x509.Name,
    key: PrivateKey,
    issuer: tuple[x509.Name, PrivateKey] | None,
    *,
    ca: bool,
    not_before: dt.datetime,
    days: int = 3650,
    serial: int | None = None,
) -> x509.Certificate:
    """A certificate for ``key``: self-signed when ``issuer`` is None, else signed by the
    issuer's key. A CA may sign certificates and CRLs; anything else signs documents."""
    issuer_name, issuer_key = issuer or (subject, key)
    usage = x509.KeyUsage(
        digital_signature=not ca, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)
