"""Signing a UBL certificate of origin, and verifying one against a trust list.

The signature is an enveloped XML signature (XMLDSig, exclusive canonicalisation, SHA-256)
over the whole document, placed where UBL's signature guidelines put it:
``ext:UBLExtensions/.../sig:UBLDocumentSignatures/sac:SignatureInformation/ds:Signature``.
Any standard verifier (``xmlsec1 --verify``, libxmlsec1 through python-xmlsec) accepts it.

Verification reports every reason it finds, each named precisely: not XML, schema errors by
line, no signature or more than one, a signature that does not cover the whole document,
an unknown issuer, a digest or signature-value mismatch, a certificate expired, not yet valid
or revoked on the signing date. The signing date is the document's own ``cbc:IssueDate`` and
``cbc:IssueTime`` as the signature covers them (UTC when the time has no offset; midnight when
there is no time): the issuing authority signs when it issues.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import (  # type: ignore[attr-defined]
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)
from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature, SignXMLException

from greenlane.core.origin import document, schema
from greenlane.core.origin.document import NS
from greenlane.core.origin.trust import TrustList, describe
from greenlane.core.words import Day, Words, _

#: Where the one signature sits, as an XPath from the root (signxml's ``location``).
SIGNATURE_PLACE = (
    "./ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/sig:UBLDocumentSignatures"
    "/sac:SignatureInformation/"
)
_ACCEPTED = SignatureConfiguration(
    location=".//",  # found anywhere, then checked to be in its place (a precise reason)
    expect_references=1,
    signature_methods=frozenset(
        {
            SignatureMethod.RSA_SHA256,
            SignatureMethod.RSA_SHA384,
            SignatureMethod.RSA_SHA512,
            SignatureMethod.ECDSA_SHA256,
            SignatureMethod.ECDSA_SHA384,
            SignatureMethod.ECDSA_SHA512,
        }
    ),
    digest_algorithms=frozenset(
        {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
    ),
)


class SigningError(ValueError):
    """The key or certificate given for signing cannot sign this document."""


def sign(
    root: Any, key_pem: bytes, certificate_pem: bytes, passphrase: bytes | None = None
) -> bytes:
    """The document ``root`` (``document.build``) signed by ``key_pem`` for ``certificate_pem``."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"the key cannot be read: {exc}") from None
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError as exc:
        raise SigningError(f"the certificate cannot be read: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SigningError("only RSA and elliptic-curve keys sign certificates of origin")
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != certificate.public_key().public_bytes(
        encoding, public
    ):
        raise SigningError("the key does not belong to the certificate")
    places = root.findall(SIGNATURE_PLACE.rstrip("/"), NS)
    if len(places) != 1:
        raise SigningError("the document has no single UBL signature place")
    etree.SubElement(places[0], f"{{{NS['ds']}}}Signature", Id="placeholder")
    algorithm = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=algorithm,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(root, key=key, cert=[certificate])
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found. ``certificate`` holds the figures of what the signature covers
    (``document.read``) when the signature holds, else of the document as received, for
    display only."""

    valid: bool
    #: Why it does not hold, as words to translate for whoever reads them (``reasons``:
    #: the English text, for the command line and partners' systems).
    words: tuple[Words, ...]
    sha256: str
    certificate: dict[str, Any] = field(default_factory=dict)
    signer: str | None = None
    signed_at: dt.datetime | None = None
    #: The trust list's certificate that vouched for the signer (the signer's own, or the
    #: authority that issued it): a caller with dated trust lists checks its dates.
    vouched_by: x509.Certificate | None = None

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(str(w) for w in self.words)

    def as_json(self) -> dict[str, Any]:
        figures = self.certificate
        return {
            "valid": self.valid,
            "reasons": list(self.reasons),
            "certificate_number": figures.get("certificate_number"),
            "issuer": figures.get("issuer"),
            "exporter": figures.get("exporter"),
            "importer": figures.get("importer"),
            "agreement": figures.get("agreement"),
            "issue_date": figures.get("issue_date"),
            "items": figures.get("items", []),
            "signer": self.signer,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "sha256": self.sha256,
        }


def verify(data: bytes, trust: TrustList, *, today: dt.date | None = None) -> Verification:
    """Whether ``data`` is a schema-valid certificate of origin signed by a key the trust list
    vouches for on the signing date. ``today`` (default: the UTC date) bounds the signing date:
    a certificate dated after it is refused."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        root = schema.parse(data)
    except schema.NotXML as exc:
        return Verification(False, (exc.words,), digest)
    reasons = schema.validate(root)
    if reasons:
        return Verification(False, tuple(reasons), digest, _figures(root))
    found = _one_signature(root)
    if isinstance(found, Words):
        return Verification(False, (found,), digest, _figures(root))
    signer = _signer(found)
    if isinstance(signer, Words):
        return Verification(False, (signer,), digest, _figures(root))
    path = trust.path_to(signer)
    if path is None:
        reason = _(
            "unknown issuer: %(certificate)s, issued by %(issuer)s, is not in the trust list "
            "and no certificate in it issued it",
            certificate=describe(signer),
            issuer=signer.issuer.rfc4514_string(),
        )
        return Verification(False, (reason,), digest, _figures(root), _subject(signer))
    checked = _check_signature(data, signer)
    if isinstance(checked, Words):
        return Verification(False, (checked,), digest, _figures(root), _subject(signer))
    figures = document.read(checked)
    if not figures["issue_date"]:
        reason = _("no issue date (cbc:IssueDate): the signing date is unknown")
        return Verification(False, (reason,), digest, figures, _subject(signer))
    signed_at = _signing_time(figures)
    reasons = trust.problems(path, signed_at)
    if signed_at.date() > (today or dt.datetime.now(dt.UTC).date()):
        reasons.append(
            _(
                "issued in the future: the issue date %(day)s is after today",
                day=Day(signed_at.date()),
            )
        )
    return Verification(
        not reasons, tuple(reasons), digest, figures, _subject(signer), signed_at, path[-1]
    )


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()


def _figures(root: Any) -> dict[str, Any]:
    try:
        return document.read(root)
    except (AttributeError, TypeError):  # not even the shape the schema asks for
        return {}


def _one_signature(root: Any) -> Any | Words:
    signatures = root.findall(".//ds:Signature", NS)
    if not signatures:
        return _("not signed: the document has no XML signature")
    if len(signatures) > 1:
        return _(
            "more than one XML signature (%(count)s); a certificate of origin has one",
            count=len(signatures),
        )
    if root.find(SIGNATURE_PLACE + "ds:Signature", NS) is None:
        return _(
            "the signature is not in its UBL place (sac:SignatureInformation in UBLExtensions)"
        )
    return signatures[0]


def _signer(signature: Any) -> x509.Certificate | Words:
    """The certificate the signature names: only to know which trusted key to check with."""
    found = signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    if len(found) != 1 or not (found[0].text or "").strip():
        return _("the signature does not name exactly one X.509 certificate")
    try:
        der = _base64(found[0].text)
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return _("the certificate named in the signature cannot be read")


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def _check_signature(data: bytes, signer: x509.Certificate) -> Any | Words:
    """The element the signature covers, or why the signature does not hold.

    The certificate's validity period is checked apart (on the signing date, by the trust
    list), so here signxml checks at a moment inside it."""
    config = SignatureConfiguration(
        location=_ACCEPTED.location,
        expect_references=_ACCEPTED.expect_references,
        signature_methods=_ACCEPTED.signature_methods,
        digest_algorithms=_ACCEPTED.digest_algorithms,
        verification_time=signer.not_valid_before_utc,
    )
    try:
        result = XMLVerifier().verify(
            data, x509_cert=signer, expect_config=config, parser=schema._parser()
        )
    except InvalidDigest:
        return _("digest mismatch: the signed content was changed after it was signed")
    except InvalidSignature:
        return _(
            "signature value mismatch: the signed information was changed, or the named "
            "certificate's key did not sign it"
        )
    except (InvalidInput, SignXMLException, ValueError) as exc:
        return _("the signature cannot be checked: %(problem)s", problem=str(exc))
    if isinstance(result, list):  # expect_references=1 returns one result; never a list
        return _("the signature has more than one reference")
    signed = result.signed_xml
    if signed is None or signed.tag != f"{{{NS['coo']}}}CertificateOfOrigin":
        return _("the signature does not cover the whole document")
    return signed


def _signing_time(figures: dict[str, Any]) -> dt.datetime:
    day = dt.date.fromisoformat(figures["issue_date"][:10])
    time = dt.time(0, 0)
    if figures.get("issue_time"):
        text = figures["issue_time"].replace("Z", "+00:00")
        time = dt.time.fromisoformat(text)
    moment = dt.datetime.combine(day, time)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
