"""Seeding the home administration's MRAs from the cited data file, and showing them."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from typer.testing import CliRunner

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.apps.certification import mra
from greenlane.apps.certification.models import MutualRecognition
from greenlane.apps.certification.services import Refused
from greenlane.apps.operators.models import AeoAuthorisation, Operator
from greenlane.cli import app
from greenlane.core.certification.mras import of_economy, shipped_mras
from greenlane.core.certification.network import economy_name
from tests import factories

pytestmark = pytest.mark.django_db

SEEDED = "certification.mra.seeded"


@pytest.fixture
def admin():  # type: ignore[no-untyped-def]
    return factories.user(Role.ADMINISTRATOR, factories.organisation("customs"))


def test_it_seeds_the_home_programmes_mras_from_the_data_file(admin) -> None:  # type: ignore[no-untyped-def]
    report = mra.seed(admin)
    korea = of_economy(shipped_mras(), "KR")
    assert len(korea) == 22
    assert sorted(report.created) == sorted(m.id for m in korea)
    assert MutualRecognition.objects.count() == 22
    assert not MutualRecognition.objects.filter(partner_programme="eu-aeo").exists()
    china = MutualRecognition.objects.get(data_id="kr-cn")
    assert (china.partner_programme, china.effective_from) == ("cn-aeo", date(2014, 4, 1))
    assert (china.signed_on, china.signed_text) == (None, "2013-06")
    assert china.sources[0]["url"].startswith("https://")
    assert china.checked_on == date(2026, 12, 7)
    # Türkiye's programme is not in the catalogue: the record names the economy.
    turkiye = MutualRecognition.objects.get(data_id="kr-tr")
    assert (turkiye.partner_programme, turkiye.partner_authority) == ("", economy_name("TR"))
    assert [p["economy"] for p in turkiye.parties] == ["KR", "TR"]


def test_seeding_twice_changes_nothing(admin) -> None:  # type: ignore[no-untyped-def]
    mra.seed(admin)
    events = AuditEvent.objects.count()
    again = mra.seed(admin)
    assert (again.created, again.updated) == ([], [])
    assert len(again.unchanged) == 22
    assert MutualRecognition.objects.count() == 22
    assert AuditEvent.objects.count() == events


def test_every_seeded_change_is_audited(admin) -> None:  # type: ignore[no-untyped-def]
    mra.seed(admin)
    created = AuditEvent.objects.filter(action=SEEDED, data__change="created")
    assert created.count() == 22
    assert set(created.values_list("actor", flat=True)) == {admin.username}
    changed = [
        a.model_copy(update={"notes": "re-checked"}) if a.id == "kr-jp" else a
        for a in shipped_mras()
    ]
    report = mra.seed(admin, changed)
    assert report.updated == ["kr-jp"]
    (event,) = AuditEvent.objects.filter(action=SEEDED, data__change="updated")
    assert event.data["fields"] == ["notes"]
    assert MutualRecognition.objects.get(data_id="kr-jp").notes == "re-checked"


def test_the_system_seeds_when_no_one_is_named() -> None:
    mra.seed(None)
    assert not MutualRecognition.objects.exclude(created_by=None).exists()
    assert set(AuditEvent.objects.filter(action=SEEDED).values_list("actor", flat=True)) == {""}


def test_only_decision_officers_and_administrators_seed() -> None:
    analyst = factories.user(Role.RISK_ANALYST, factories.organisation("customs"))
    with pytest.raises(Refused, match="decision officers and administrators"):
        mra.seed(analyst)
    assert not MutualRecognition.objects.exists()


def test_a_hand_made_mra_with_the_same_partner_is_kept(admin) -> None:  # type: ignore[no-untyped-def]
    hand = mra.create_mra(
        admin,
        {"partner_programme": "us-ctpat", "partner_authority": "CBP",
         "effective_from": date(2010, 6, 25), "benefits": ["reduced_inspection"]},
    )  # fmt: skip
    report = mra.seed(admin)
    assert "us-kr" in report.skipped
    assert MutualRecognition.objects.filter(partner_programme="us-ctpat").get() == hand


def test_an_mra_whose_start_no_source_gives_grants_nothing(admin) -> None:  # type: ignore[no-untyped-def]
    mra.seed(admin)
    us = MutualRecognition.objects.get(data_id="us-kr")
    assert us.effective_from is None
    assert us.effective_text == "unknown"
    seller = _seller("US")
    AeoAuthorisation.objects.create(
        operator=seller, programme="us-ctpat", tier="tier-2", valid_from=date(2015, 1, 1)
    )
    assert mra.status(seller.code, date(2026, 1, 1)) == []
    japan = _seller("JP")
    AeoAuthorisation.objects.create(
        operator=japan, programme="jp-aeo", tier="exporter", valid_from=date(2015, 1, 1)
    )
    (found,) = mra.status(japan.code, date(2026, 1, 1))
    kr_jp = MutualRecognition.objects.get(data_id="kr-jp")
    assert (found.basis, found.role) == (f"MRA with {kr_jp.partner_authority}", "exporter")
    assert mra.status(japan.code, date(2011, 10, 31)) == []  # the day before it took effect
    assert set(mra.partner_periods({seller.code, japan.code})) == {japan.code}


def _seller(country: str) -> Operator:
    seller = factories.operator()
    Operator.objects.filter(pk=seller.pk).update(trade_role="exporter", country=country)
    seller.refresh_from_db()
    return seller


def test_the_cli_seeds_and_says_what_it_did(admin) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    first = runner.invoke(app, ["mra", "seed", "--by", admin.username])
    assert first.exit_code == 0, first.output
    assert "22 created, 0 updated, 0 unchanged" in first.output
    again = runner.invoke(app, ["mra", "seed"])
    assert "0 created, 0 updated, 22 unchanged" in again.output
    nobody = runner.invoke(app, ["mra", "seed", "--by", "nobody"])
    assert "no user 'nobody'" in str(nobody.exception)


def test_the_pages_and_api_show_kind_parties_scope_and_sources(admin) -> None:  # type: ignore[no-untyped-def]
    mra.seed(admin)
    client = Client()
    client.force_login(admin)
    listing = client.get("/mra/").content.decode()
    assert "Bilateral" in listing
    assert "not in the catalogue" in listing
    india = MutualRecognition.objects.get(data_id="kr-in")
    page = client.get(f"/mra/{india.pk}/").content.decode()
    assert "Korea" in page
    assert "India (in-aeo)" in page
    assert '<a href="http://aeoac.in/index.php/news/10-mra-india-south-korea"' in page
    assert "kr-in" in page
    assert "2026-12-07" in page
    canada = MutualRecognition.objects.get(data_id="kr-ca")
    assert "from 2010-06" not in client.get(f"/mra/{canada.pk}/").content.decode()
    (item,) = [m for m in client.get("/api/v1/mra/").json() if m["data_id"] == "kr-in"]
    assert item["kind"] == "bilateral"
    assert [p["economy"] for p in item["parties"]] == ["KR", "IN"]
    assert item["effective_from"] == "2017-04-01"
    assert item["signed_as_sourced"] == "2015-10-08"
    assert item["sources"][0]["url"] == "http://aeoac.in/index.php/news/10-mra-india-south-korea"
    assert item["partner_roles"] == []


def test_in_the_demo_the_pages_say_the_partner_aeos_are_synthetic(admin) -> None:  # type: ignore[no-untyped-def]
    mra.seed(admin)
    japan = _seller("JP")
    AeoAuthorisation.objects.create(
        operator=japan, programme="jp-aeo", tier="exporter", valid_from=date(2015, 1, 1)
    )
    client = Client()
    client.force_login(admin)
    page = client.get(f"/mra/status/?identifier={japan.code}&on=2026-01-01").content.decode()
    assert 'data-testid="synthetic"' in page
    kr_jp = MutualRecognition.objects.get(data_id="kr-jp")
    assert "partner AEOs are synthetic" in client.get(f"/mra/{kr_jp.pk}/").content.decode()
    assert "the partner AEOs they recognise are synthetic" in client.get("/mra/").content.decode()
