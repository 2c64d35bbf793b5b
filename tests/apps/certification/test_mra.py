"""MRAs, partner lists and the recognised-AEO look-up."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import mra
from greenlane.apps.certification.models import PartnerAeo
from greenlane.apps.certification.services import Refused
from greenlane.apps.operators.models import AeoAuthorisation, Operator
from greenlane.core.certification.mras import Arrangement
from tests import factories

pytestmark = pytest.mark.django_db

LIST = (
    "partner_id,name,country,valid_from,valid_to,tier,national_id\n"
    "DE111,Rhein Export GmbH,DE,2024-01-01,,AEOS,\n"
    "DE222,Main Logistik AG,DE,2024-01-01,2025-12-31,AEOC,\n"
    "DE333,Broken Row,XX,2024-01-01,,,\n"
)


@pytest.fixture
def officer():  # type: ignore[no-untyped-def]
    return factories.user(Role.DECISION_OFFICER, factories.organisation("customs"))


@pytest.fixture
def eu(officer):  # type: ignore[no-untyped-def]
    return mra.create_mra(
        officer,
        {
            "partner_programme": "eu-aeo", "partner_authority": "European Commission",
            "partner_tiers": ["AEOS", "AEOC-AEOS"], "effective_from": date(2024, 6, 1),
            "benefits": ["reduced_inspection", "risk_score_reduction"],
        },
    )  # fmt: skip


def test_a_partner_list_imports_good_rows_and_reports_bad_ones(eu, officer) -> None:  # type: ignore[no-untyped-def]
    batch = mra.import_list(eu, officer, "eu.csv", LIST.encode())
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (3, 2, 1)
    assert batch.rejected[0]["row"] == 4
    assert PartnerAeo.objects.count() == 2
    with pytest.raises(Refused, match="imported before"):
        mra.import_list(eu, officer, "eu-again.csv", LIST.encode())


def test_a_list_that_cannot_be_read_imports_nothing(eu, officer) -> None:  # type: ignore[no-untyped-def]
    before = AuditEvent.objects.count()
    with pytest.raises(Refused, match="missing column"):
        mra.import_list(eu, officer, "bad.csv", b"id,name\n1,x\n")
    assert not PartnerAeo.objects.exists()
    assert AuditEvent.objects.count() == before


def test_recognised_only_under_an_mra_in_force_and_for_covered_tiers(eu, officer) -> None:  # type: ignore[no-untyped-def]
    mra.import_list(eu, officer, "eu.csv", LIST.encode())
    (found,) = mra.status("DE111", date(2025, 1, 1))
    assert (found.programme, found.tier, found.basis) == (
        "eu-aeo",
        "AEOS",
        "MRA with European Commission",
    )
    assert "Fewer physical and documentary inspections" in found.benefits
    assert mra.status("DE111", date(2024, 5, 31)) == []  # the day before the MRA took effect
    assert mra.status("DE222", date(2025, 1, 1)) == []  # AEOC is not covered by this MRA
    assert mra.status("NOBODY", date(2025, 1, 1)) == []


def test_domestic_aeos_are_recognised_too(officer) -> None:  # type: ignore[no-untyped-def]
    operator = factories.operator(factories.organisation("operator"))
    AeoAuthorisation.objects.create(
        operator=operator, programme="kr-aeo", tier="AA", valid_from=date(2025, 1, 1)
    )
    (found,) = mra.status(operator.code, date(2025, 6, 1))
    assert (found.tier, found.basis) == ("AA", "domestic certificate")


def test_mras_are_validated(officer) -> None:  # type: ignore[no-untyped-def]
    base = {"partner_programme": "us-ctpat", "partner_authority": "CBP",
            "effective_from": date(2020, 1, 1), "benefits": ["faster_release"]}  # fmt: skip
    with pytest.raises(Refused, match="choose the benefits"):
        mra.create_mra(officer, base | {"benefits": ["free lunch"]})
    with pytest.raises(Refused, match="has the tiers"):
        mra.create_mra(officer, base | {"partner_tiers": ["Tier 9"]})
    mra.create_mra(officer, base)
    with pytest.raises(Refused, match="already covers"):
        mra.create_mra(officer, base | {"effective_from": date(2023, 1, 1)})
    analyst = factories.user(Role.RISK_ANALYST, officer.organisation)
    with pytest.raises(Refused, match="decision officers and administrators"):
        mra.create_mra(analyst, base | {"partner_programme": "jp-aeo"})


def test_the_look_up_page_and_api(eu, officer) -> None:  # type: ignore[no-untyped-def]
    mra.import_list(eu, officer, "eu.csv", LIST.encode())
    analyst = factories.user(Role.RISK_ANALYST, officer.organisation)
    client = Client()
    client.force_login(analyst)
    page = client.get("/mra/status/?identifier=DE111&on=2025-01-01").content.decode()
    assert "Rhein Export GmbH" in page
    assert "MRA with European Commission" in page
    api = client.get("/api/v1/mra/status?identifier=DE111&on=2024-05-01")
    assert api.json() == []
    (hit,) = client.get("/api/v1/mra/status?identifier=DE111&on=2025-01-01").json()
    assert hit["tier"] == "AEOS"
    bad = client.get("/mra/status/?identifier=DE111&on=tomorrow")
    assert bad.status_code == 400


def test_rejected_rows_download_without_formulas(eu, officer) -> None:  # type: ignore[no-untyped-def]
    text = LIST + '=HYPERLINK("x"),Evil,XX,2024-01-01,,,\n'
    batch = mra.import_list(eu, officer, "eu.csv", text.encode())
    client = Client()
    client.force_login(officer)
    download = client.get(f"/mra/{eu.pk}/imports/{batch.pk}/rejected.csv")
    csv_text = b"".join(download.streaming_content).decode()
    assert "'=HYPERLINK" in csv_text
    assert json.dumps(batch.rejected)  # stored as plain data


def test_partner_periods_agree_with_the_look_up_on_every_day(eu, officer) -> None:  # type: ignore[no-untyped-def]
    """What the assess API reads in bulk (periods where the partner AEO status and an MRA with a
    selectivity benefit overlap) says yes exactly on the days the one-by-one look-up does."""
    from datetime import timedelta

    from greenlane.core.risk.selectivity import certified_on

    mra.import_list(eu, officer, "eu.csv", LIST.encode())
    seller = factories.operator(factories.organisation("operator"))
    AeoAuthorisation.objects.create(
        operator=seller, programme="eu-aeo", tier="AEOC-AEOS", valid_from=date(2023, 1, 1),
        valid_to=date(2025, 3, 31),
    )  # fmt: skip
    mra.create_mra(
        officer,
        {"partner_programme": "us-ctpat", "partner_authority": "CBP",
         "effective_from": date(2020, 1, 1), "benefits": ["faster_release"]},
    )  # fmt: skip
    ctpat = factories.operator(factories.organisation("operator"))
    AeoAuthorisation.objects.create(
        operator=ctpat, programme="us-ctpat", tier="tier-2", valid_from=date(2020, 1, 1)
    )
    ids = {"DE111", "DE222", seller.code, ctpat.code, "NOBODY"}
    periods = mra.partner_periods(ids)
    # Only risk-relevant benefits count: the CTPAT MRA grants faster release only.
    assert set(periods) == {"DE111", seller.code}
    day = date(2024, 1, 1)
    while day <= date(2025, 12, 31):
        for code in sorted(ids - {ctpat.code}):
            looked_up = any(r.basis.startswith("MRA") for r in mra.status(code, day))
            assert certified_on([code], [day], periods)[0] == looked_up, (code, day)  # type: ignore[arg-type]
        day += timedelta(days=13)
    assert periods[seller.code] == [(date(2024, 6, 1), date(2025, 3, 31))]
    assert mra.partner_periods(set()) == {}


HTTP_ONLY = "the source must be a web address starting http:// or https://"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("javascript:alert(1)", HTTP_ONLY),  # was stored and rendered as a link (issue 16)
        (" JavaScript:alert(1)", HTTP_ONLY),
        ("java\tscript:alert(1)", HTTP_ONLY),
        ("data:text/html,<script>alert(1)</script>", HTTP_ONLY),
        ("vbscript:msgbox(1)", HTTP_ONLY),
        ("ftp://example.org/mra.pdf", HTTP_ONLY),
        ("//evil.example/x", HTTP_ONLY),
        ("https://" + "a" * 200 + ".org/", "the source address is at most 200 characters"),
    ],
)
def test_an_mra_source_that_is_not_an_http_address_is_refused(officer, url, words) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(officer)
    page = client.post(
        "/mra/",
        {"partner_programme": "us-ctpat", "partner_authority": "CBP",
         "effective_from": "2020-01-01", "benefits": ["faster_release"], "reference_url": url},
    )  # fmt: skip
    assert page.status_code == 400
    assert words in page.content.decode()
    assert not mra.MutualRecognition.objects.exists()


def test_an_mra_source_shows_as_a_link_only_when_it_is_http(officer) -> None:  # type: ignore[no-untyped-def]
    base = {"partner_programme": "us-ctpat", "partner_authority": "CBP",
            "effective_from": date(2020, 1, 1), "benefits": ["faster_release"]}  # fmt: skip
    good = mra.create_mra(officer, base | {"reference_url": " https://www.cbp.gov/mra "})
    assert good.reference_url == "https://www.cbp.gov/mra"
    client = Client()
    client.force_login(officer)
    page = client.get(f"/mra/{good.pk}/").content.decode()
    assert '<a href="https://www.cbp.gov/mra" rel="noopener noreferrer">' in page
    # A row stored before the check: shown as text, never as a link.
    mra.MutualRecognition.objects.filter(pk=good.pk).update(reference_url="javascript:alert(1)")
    page = client.get(f"/mra/{good.pk}/").content.decode()
    assert "javascript:alert(1)" in page
    assert 'href="javascript' not in page


ROLE_LIST = (
    "partner_id,name,country,valid_from,tier,role\n"
    "DE1,Export Werke,DE,2024-01-01,AEOS,exporter\n"
    "DE2,Import Haus,DE,2024-01-01,AEOS,importer\n"
    "DE3,Unknown Role AG,DE,2024-01-01,AEOS,\n"
)


def _holder(trade_role: str, programme: str, tier: str):  # type: ignore[no-untyped-def]
    holder = factories.operator()
    Operator.objects.filter(pk=holder.pk).update(trade_role=trade_role)
    AeoAuthorisation.objects.create(
        operator=holder, programme=programme, tier=tier, valid_from=date(2023, 1, 1)
    )
    return holder


def test_an_mra_limited_to_some_roles_recognises_only_partner_aeos_in_those_roles(officer) -> None:  # type: ignore[no-untyped-def]
    exporters_only = mra.create_mra(
        officer,
        {"partner_programme": "eu-aeo", "partner_authority": "European Commission",
         "partner_roles": ["exporter"], "effective_from": date(2024, 6, 1),
         "benefits": ["reduced_inspection"]},
    )  # fmt: skip
    mra.import_list(exporters_only, officer, "eu.csv", ROLE_LIST.encode())
    exporter = _holder("exporter", "eu-aeo", "AEOS")
    importer = _holder("importer", "eu-aeo", "AEOS")
    day = date(2025, 1, 1)
    recognised = {i for i in ("DE1", "DE2", "DE3", exporter.code, importer.code)
                  if mra.status(i, day)}  # fmt: skip
    # A partner AEO whose role is known is covered only in the roles the MRA names; one whose
    # role the list does not give is not refused on it.
    assert recognised == {"DE1", "DE3", exporter.code}
    assert mra.status("DE1", day)[0].role == "exporter"
    periods = mra.partner_periods({"DE1", "DE2", "DE3", exporter.code, importer.code})
    assert set(periods) == recognised
    with pytest.raises(Refused, match="choose the roles"):
        mra.create_mra(officer, {"partner_programme": "us-ctpat", "partner_authority": "CBP",
                                 "partner_roles": ["smuggler"], "effective_from": day,
                                 "benefits": ["faster_release"]})  # fmt: skip


def test_a_plurilateral_mra_covers_each_partys_aeos_within_that_partys_scope(officer) -> None:  # type: ignore[no-untyped-def]
    pact = Arrangement.model_validate(
        {"id": "test-pact", "kind": "plurilateral", "name": "Test Pact",
         "parties": [{"economy": "KR", "programme": "kr-aeo"},
                     {"economy": "JP", "programme": "jp-aeo", "roles": ["exporter"]},
                     {"economy": "SG", "programme": None}],
         "signed": "2023-09", "in_effect": date(2024, 1, 1), "benefits": ["reduced_inspection"],
         "sources": [{"title": "A source", "url": "https://example.org/pact"}],
         "checked": date(2026, 12, 7)},
    )  # fmt: skip
    mra.seed(officer, [pact])
    seeded = mra.MutualRecognition.objects.get(data_id="test-pact")
    assert (seeded.kind, seeded.name, seeded.partner_programme) == ("plurilateral", "Test Pact", "")
    exporter = _holder("exporter", "jp-aeo", "exporter")
    importer = _holder("importer", "jp-aeo", "importer")
    (found,) = mra.status(exporter.code, date(2025, 1, 1))
    assert found.basis == "MRA: Test Pact"
    assert mra.status(importer.code, date(2025, 1, 1)) == []
    assert set(mra.partner_periods({exporter.code, importer.code})) == {exporter.code}
