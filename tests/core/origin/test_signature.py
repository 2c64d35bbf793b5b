"""Signing and verifying certificates of origin against a trust list (issue 20, authenticity)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from greenlane.core.origin import document, schema
from greenlane.core.origin.signature import SigningError, sign, verify
from greenlane.core.origin.trust import TrustList, TrustListError
from tests.core.origin.pki import Holder, Pki, certify, example, make_pki, name, revocation_list

TODAY = dt.date(2026, 12, 7)
FIXTURES = [HealthCheck.function_scoped_fixture]  # module-scoped fixtures, read only


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def trust(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> TrustList:
    return TrustList.from_directory(pki.trust_directory(tmp_path_factory.mktemp("trust")))


def signed_by(holder: Holder, **changes: object) -> bytes:
    data = document.CertificateData.model_validate(example(**changes))
    return sign(document.build(data), holder.key_pem, holder.certificate_pem)


@pytest.fixture(scope="module")
def good(pki: Pki) -> bytes:
    return signed_by(pki.authority)


def test_it_builds_a_document_the_ubl_schema_accepts() -> None:
    data = document.CertificateData.model_validate(example())
    assert schema.validate(document.build(data)) == []


def test_it_verifies_a_certificate_signed_by_an_authority_the_root_certified(
    good: bytes, trust: TrustList, pki: Pki
) -> None:
    result = verify(good, trust, today=TODAY)
    assert result.reasons == ()
    assert result.valid
    assert result.signer == pki.authority.certificate.subject.rfc4514_string()
    assert result.signed_at == dt.datetime(2026, 12, 1, 10, 15, tzinfo=dt.UTC)
    figures = result.as_json()
    assert figures["certificate_number"] == "KR-CN-2026-000123"
    assert figures["exporter"]["id"] == "KR1234567890"
    assert [i["hs_code"] for i in figures["items"]] == ["850760", "847330"]


def test_it_trusts_an_authority_whose_own_certificate_is_on_the_list(
    good: bytes, pki: Pki, tmp_path: Path
) -> None:
    (tmp_path / "authority.pem").write_bytes(pki.authority.certificate_pem)
    assert verify(good, TrustList.from_directory(tmp_path), today=TODAY).valid


def test_libxmlsec1_accepts_the_signature_with_the_authority_certificate(
    good: bytes, pki: Pki
) -> None:
    """The standard verifier behind ``xmlsec1 --verify``, not our own code."""
    root = etree.fromstring(good)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(
        pki.authority.certificate_pem, xmlsec.constants.KeyDataFormatCertPem
    )
    context.verify(xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature))
    tampered = etree.fromstring(good.replace(b"84000.00", b"84000.10"))
    with pytest.raises(xmlsec.Error):
        context.verify(xmlsec.tree.find_node(tampered, xmlsec.constants.NodeSignature))


def test_it_signs_with_an_rsa_key_too(pki: Pki, trust: TrustList) -> None:
    holder = certify(
        name("KCS Origin RSA"), pki.root, ca=False, key=rsa.generate_private_key(65537, 2048)
    )
    result = verify(signed_by(holder), trust, today=TODAY)
    assert result.valid, result.reasons


# --- what the signature covers -------------------------------------------------------------

_TEXT = re.compile(rb">([^<>\s][^<>]*)<")


def _signed_text_positions(data: bytes) -> list[int]:
    """Offsets of the letters and digits of element text outside the signature itself."""
    start, end = data.index(b"<ds:Signature"), data.index(b"</ds:Signature>")
    return [
        match.start(1) + i
        for match in _TEXT.finditer(data)
        if not start <= match.start() <= end
        for i, char in enumerate(match.group(1))
        if chr(char).isalnum()
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(choice=st.integers(min_value=0), replacement=st.sampled_from(b"0123456789AZaz"))
def test_changing_any_signed_character_fails_verification(
    good: bytes, trust: TrustList, choice: int, replacement: int
) -> None:
    positions = _signed_text_positions(good)
    position = positions[choice % len(positions)]
    if good[position] == replacement:
        replacement = ord("7") if replacement != ord("7") else ord("8")
    tampered = good[:position] + bytes([replacement]) + good[position + 1 :]
    result = verify(tampered, trust, today=TODAY)
    assert not result.valid
    assert any(
        r.startswith(("digest mismatch", "schema error", "issued in the future"))
        for r in result.reasons
    ), result.reasons


@pytest.mark.parametrize("element", ["ds:DigestValue", "ds:SignatureValue"])
def test_changing_the_signature_itself_fails_verification(
    good: bytes, trust: TrustList, element: str
) -> None:
    opening = good.index(f"<{element}>".encode()) + len(element) + 2
    flipped = b"A" if good[opening : opening + 1] != b"A" else b"B"
    tampered = good[:opening] + flipped + good[opening + 1 :]
    result = verify(tampered, trust, today=TODAY)
    assert not result.valid
    assert result.reasons[0].startswith("signature value mismatch")


def test_a_changed_signed_info_fails_verification(good: bytes, trust: TrustList) -> None:
    tampered = good.replace(b'<ds:Reference URI="">', b'<ds:Reference URI="" Id="r">')
    assert not verify(tampered, trust, today=TODAY).valid


# --- whom the signature is trusted from -----------------------------------------------------


def test_it_never_trusts_a_certificate_that_came_inside_the_document(
    pki: Pki, trust: TrustList
) -> None:
    """The impostor's self-made certificate carries the authority's very name."""
    result = verify(signed_by(pki.impostor), trust, today=TODAY)
    assert not result.valid
    assert result.reasons[0].startswith("unknown issuer: CN=KCS Origin Issuing Authority")


def test_a_certificate_naming_the_root_as_issuer_without_its_signature_is_unknown(
    trust: TrustList, pki: Pki
) -> None:
    forger = certify(name("KCS Origin Root CA"), None, ca=True)  # the root's name, another key
    forged = certify(name("KCS Origin Issuing Authority"), forger, ca=False)
    result = verify(signed_by(forged), trust, today=TODAY)
    assert result.reasons[0].startswith("unknown issuer")


def test_a_certificate_a_non_authority_issued_is_unknown(pki: Pki, trust: TrustList) -> None:
    """The authority's certificate is not a CA: what it "issues" is not trusted."""
    child = certify(name("Someone"), pki.authority, ca=False)
    assert verify(signed_by(child), trust, today=TODAY).reasons[0].startswith("unknown issuer")


def test_an_expired_certificate_fails_on_the_signing_date(pki: Pki, trust: TrustList) -> None:
    result = verify(signed_by(pki.expired), trust, today=TODAY)
    assert result.reasons == (
        f"certificate expired: CN=KCS Origin Issuing Authority 2025,O=Korea Customs Service,"
        f"C=KR (serial {pki.expired.certificate.serial_number:x}) expired on 2026-01-01, "
        "before the signing date 2026-12-01",
    )
    assert verify(signed_by(pki.expired, issue_date="2025-06-30"), trust, today=TODAY).valid


def test_a_certificate_not_yet_valid_on_the_signing_date_fails(pki: Pki, trust: TrustList) -> None:
    result = verify(signed_by(pki.authority, issue_date="2024-12-31"), trust, today=TODAY)
    assert result.reasons[0].startswith("certificate not yet valid:")


def test_a_revoked_certificate_fails_from_its_revocation_date_on(
    pki: Pki, trust: TrustList
) -> None:
    after = verify(signed_by(pki.revoked), trust, today=TODAY)
    assert after.reasons[0].startswith("certificate revoked:")
    assert "was revoked on 2026-06-01 00:00 UTC (superseded)" in after.reasons[0]
    before = verify(signed_by(pki.revoked, issue_date="2026-05-31"), trust, today=TODAY)
    assert before.valid, before.reasons


def test_a_key_compromise_revokes_signatures_made_before_it_too(pki: Pki, trust: TrustList) -> None:
    result = verify(signed_by(pki.compromised, issue_date="2026-05-01"), trust, today=TODAY)
    assert "(keyCompromise)" in result.reasons[0]


def test_a_crl_without_a_valid_signature_is_reported(pki: Pki, good: bytes, tmp_path: Path) -> None:
    (tmp_path / "root.pem").write_bytes(pki.root.certificate_pem)
    forger = certify(name("KCS Origin Root CA"), None, ca=True)
    crl = revocation_list(forger, [])
    (tmp_path / "root.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    result = verify(good, TrustList.from_directory(tmp_path), today=TODAY)
    assert result.reasons[0].endswith("has no valid signature from a certificate in it")


def test_a_certificate_dated_after_today_fails(pki: Pki, trust: TrustList) -> None:
    result = verify(signed_by(pki.authority), trust, today=dt.date(2026, 11, 30))
    assert result.reasons == ("issued in the future: the issue date 2026-12-01 is after today",)


# --- documents that are not what they should be ---------------------------------------------


def test_a_document_that_is_not_xml_names_the_line(trust: TrustList) -> None:
    result = verify(b"<?xml version='1.0'?>\n<a>\n<b></a>", trust)
    assert result.reasons[0].startswith("not well-formed XML at line 3:")


def test_a_document_type_declaration_is_refused(good: bytes, trust: TrustList) -> None:
    bomb = good.replace(
        b"?>", b'?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1
    )
    assert verify(bomb, trust).reasons == ("a document type declaration (DOCTYPE) is not accepted",)


def test_a_schema_error_is_named_with_its_line(pki: Pki, trust: TrustList) -> None:
    data = document.CertificateData.model_validate(example())
    root = document.build(data)
    root.find("cbc:IssueDate", document.NS).text = "1 December 2026"
    signed = sign(root, pki.authority.key_pem, pki.authority.certificate_pem)
    line = next(
        n for n, text in enumerate(signed.decode().splitlines(), 1) if "1 December 2026" in text
    )
    result = verify(signed, trust, today=TODAY)
    assert result.reasons[0].startswith(f"schema error at line {line}:")
    assert "IssueDate" in result.reasons[0]


def test_an_unsigned_document_is_not_valid(trust: TrustList) -> None:
    data = document.CertificateData.model_validate(example())
    unsigned = etree.tostring(document.build(data))
    assert verify(unsigned, trust).reasons == ("not signed: the document has no XML signature",)


def test_a_second_signature_is_refused(good: bytes, trust: TrustList) -> None:
    signature = good[good.index(b"<ds:Signature>") : good.index(b"</ds:Signature>") + 15]
    doubled = good.replace(b"</ds:Signature>", b"</ds:Signature>" + signature, 1)
    reasons = verify(doubled, trust).reasons
    assert reasons[0].startswith("more than one XML signature (2)") or reasons[0].startswith(
        "schema error"
    )


# --- signing refusals and the trust list's own problems --------------------------------------


def test_it_refuses_to_sign_with_a_key_of_another_certificate(pki: Pki) -> None:
    data = document.CertificateData.model_validate(example())
    with pytest.raises(SigningError, match="does not belong to the certificate"):
        sign(document.build(data), pki.root.key_pem, pki.authority.certificate_pem)


def test_an_empty_or_unreadable_trust_list_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrustListError, match="no certificate in the trust list"):
        TrustList.from_directory(tmp_path)
    (tmp_path / "broken.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(TrustListError, match=r"broken\.pem: cannot be read"):
        TrustList.from_directory(tmp_path)


def test_it_reads_a_pem_bundle_and_der_files(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "bundle.pem").write_bytes(pki.root.certificate_pem + pki.authority.certificate_pem)
    der = pki.expired.certificate.public_bytes(serialization.Encoding.DER)
    (tmp_path / "expired.der").write_bytes(der)
    assert len(TrustList.from_directory(tmp_path).certificates) == 3


def test_a_replacement_names_what_it_replaces() -> None:
    with pytest.raises(ValueError, match="names the certificate it replaces"):
        document.CertificateData.model_validate(example(status="replacement"))


# --- the data survives the trip ------------------------------------------------------------

_words = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
_items = st.lists(
    st.fixed_dictionaries(
        {
            "description": _words,
            "hs_code": st.from_regex(r"[0-9]{6}", fullmatch=True),
            "origin_country": st.sampled_from(["KR", "CN", "VN", "ID"]),
            "origin_criterion": st.sampled_from(["WO", "PE", "CTH", "CTSH", "RVC40"]),
            "quantity": st.decimals(min_value=1, max_value=10**6, places=2),
            "value": st.decimals(min_value=0, max_value=10**9, places=2),
            "currency": st.sampled_from(["USD", "KRW", "CNY"]),
        }
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=_items, exporter=_words)
def test_what_is_certified_is_what_verification_reads_back(
    pki: Pki, trust: TrustList, items: list[dict[str, object]], exporter: str
) -> None:
    data = example(
        items=[{**i, "quantity": str(i["quantity"]), "value": str(i["value"])} for i in items],
        exporter={"name": exporter, "country": "KR"},
    )
    certificate = document.CertificateData.model_validate(data)
    result = verify(signed_by(pki.authority, **data), trust, today=TODAY)
    assert result.valid, result.reasons
    read = result.certificate
    assert read["exporter"]["name"] == certificate.exporter.name
    expected = [
        (i.description, i.hs_code, i.origin_criterion, i.currency, i.quantity, i.value)
        for i in certificate.items
    ]
    assert [
        (
            i["description"],
            i["hs_code"],
            i["origin_criterion"],
            i["currency"],
            Decimal(i["quantity"]),
            Decimal(i["value"]),
        )
        for i in read["items"]
    ] == expected


def test_the_test_pki_matches_what_its_names_say(pki: Pki) -> None:
    """The fixtures' own premises, so that a passing test above means what it says."""
    assert pki.authority.certificate.issuer == pki.root.certificate.subject
    assert pki.impostor.certificate.subject == pki.authority.certificate.subject
    assert pki.impostor.certificate.issuer == pki.impostor.certificate.subject
    assert pki.expired.certificate.not_valid_after_utc.year == 2026
    assert isinstance(pki.authority.key, ec.EllipticCurvePrivateKey)
    assert pki.root.certificate.signature_hash_algorithm.name == hashes.SHA256().name
    assert isinstance(pki.root.certificate, x509.Certificate)


def test_a_signature_over_a_part_of_the_document_is_refused(pki: Pki, trust: TrustList) -> None:
    """Signature wrapping: a valid signature over a harmless decoy, beside unsigned figures."""
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, methods

    data = document.CertificateData.model_validate(example())
    root = document.build(data)
    extensions = root.find("ext:UBLExtensions", document.NS)
    decoy = etree.SubElement(
        etree.SubElement(
            etree.SubElement(extensions, f"{{{document.NS['ext']}}}UBLExtension"),
            f"{{{document.NS['ext']}}}ExtensionContent",
        ),
        "{urn:example:decoy}Decoy",
        Id="decoy",
    )
    decoy.text = "harmless"
    place = root.find(
        "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/sig:UBLDocumentSignatures"
        "/sac:SignatureInformation",
        document.NS,
    )
    etree.SubElement(place, f"{{{document.NS['ds']}}}Signature", Id="placeholder")
    signed = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
    ).sign(
        root,
        key=pki.authority.key_pem,
        cert=[pki.authority.certificate],
        reference_uri="#decoy",
        id_attribute="Id",
    )
    result = verify(etree.tostring(signed), trust, today=TODAY)
    assert result.reasons == ("the signature does not cover the whole document",)
