"""The demo's certificates of origin: a partner's issuing authority (its root trusted by the
home administration), certificates it signed, and two that must fail (one changed after
signing, one signed by a key nobody trusts). Keys are made afresh for each demo; nothing here
is a real authority's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509

from greenlane.apps.origin import services
from greenlane.core.origin import document, keys
from greenlane.core.origin.signature import sign

GOODS = (
    ("Lithium-ion battery packs", "850760", "PE", 1200, "84000.00"),
    ("Printed circuit assemblies", "847330", "CTSH", 500, "21500.00"),
    ("Cotton T-shirts, knitted", "610910", "CTH", 3000, "12600.00"),
    ("Stainless steel kitchen sinks", "732410", "RVC40", 240, "18240.00"),
)


def _holder(
    common: str, issuer: tuple[x509.Name, Any] | None, ca: bool, start: dt.datetime
) -> tuple[Any, x509.Certificate]:
    key = keys.new_key()
    return key, keys.certify(keys.name(common), key, issuer, ca=ca, not_before=start)


def _pem(key: Any, certificate: x509.Certificate) -> tuple[bytes, bytes]:
    return keys.key_pem(key), keys.certificate_pem(certificate)


def _agreement(home: str, partner: str) -> str:
    """The cited agreement between the two alone (``catalogue/agreements.yaml``), else a
    code made of their names."""
    from greenlane.core.origin.agreements import shipped_agreements

    for agreement in shipped_agreements():
        if set(agreement.parties) == {home, partner}:
            return agreement.id
    return f"{home}-{partner}"


def _data(
    number: str, partner: str, home: str, day: dt.date, goods: tuple[Any, ...], importer: str
) -> document.CertificateData:
    return document.CertificateData.model_validate(
        {
            "number": number, "issue_date": day.isoformat(), "issue_time": "09:30:00",
            "agreement": _agreement(home, partner),
            "exporting_country": partner, "importing_country": home,
            "issuer": {"name": f"Origin issuing authority of {partner} (demo)",
                       "id": f"{partner}-AUTH", "country": partner},
            "exporter": {"name": "Demo Export Manufacturing Co.", "id": f"{partner}EXP0001",
                         "country": partner},
            "importer": {"name": "Demo importer", "id": importer, "country": home},
            "invoice": {"number": f"INV-{number}",
                        "date": (day - dt.timedelta(days=2)).isoformat()},
            "transport": {"departure_date": day.isoformat(), "means": "sea"},
            "items": [
                {"description": d, "hs_code": hs, "origin_country": partner, "origin_criterion": c,
                 "quantity": q, "value": v, "currency": "USD"}
                for d, hs, c, q, v in goods
            ],
        }
    )  # fmt: skip


def seed_demo(admin: Any, home: str, partner: str, importer: str, today: dt.date) -> None:
    """Trust ``partner``'s demo root, receive five certificates (three hold, two fail) and ask
    the partner to verify one of them."""
    start = dt.datetime.combine(today - dt.timedelta(days=400), dt.time(), dt.UTC)
    root_key, root = _holder(f"{partner} Origin Root CA (demo)", None, True, start)
    key, authority = _holder(
        f"{partner} Origin Issuing Authority (demo)", (root.subject, root_key), False, start
    )
    stranger_key, stranger = _holder(
        f"{partner} Origin Issuing Authority (demo)", None, False, start
    )
    services.add_anchor(admin, partner, keys.certificate_pem(root))
    key_pem, cert_pem = _pem(key, authority)
    first = None
    for n, goods in enumerate((GOODS[:2], GOODS[2:3], GOODS[3:]), start=1):
        signed = sign(
            document.build(
                _data(
                    f"{partner}{today:%Y}-{n:06d}",
                    partner,
                    home,
                    today - dt.timedelta(days=10 * n),
                    goods,
                    importer,
                )
            ),
            key_pem,
            cert_pem,
        )
        received = services.receive(admin, admin.organisation_id, signed, "api").certificate
        first = first or received
    if first is not None:  # one question to the partner, waiting for its reply
        services.raise_verification(
            admin,
            first.pk,
            "Confirm that the exporter produced item 1 and send its cost statement.",
            today - dt.timedelta(days=3),
            due_on=today + dt.timedelta(days=87),
            released_against_guarantee=True,
        )
    changed = sign(
        document.build(
            _data(
                f"{partner}{today:%Y}-000004",
                partner,
                home,
                today - dt.timedelta(days=5),
                GOODS[:1],
                importer,
            )
        ),
        key_pem,
        cert_pem,
    )
    services.receive(admin, admin.organisation_id, changed.replace(b"84000.00", b"8400.00"), "api")
    forged = sign(
        document.build(
            _data(
                f"{partner}{today:%Y}-000005",
                partner,
                home,
                today - dt.timedelta(days=3),
                GOODS[1:2],
                importer,
            )
        ),
        *_pem(stranger_key, stranger),
    )
    services.receive(admin, admin.organisation_id, forged, "api")
