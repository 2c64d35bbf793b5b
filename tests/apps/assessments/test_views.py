"""The self-test pages, the report and its PDF, progress between snapshots, the API."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client

from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services
from greenlane.apps.audit.models import AuditEvent
from greenlane.core.criteria.loader import shipped
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():  # type: ignore[no-untyped-def]
    return factories.operator(factories.organisation("operator"))


@pytest.fixture
def trader(operator):  # type: ignore[no-untyped-def]
    return factories.user(Role.TRADER, operator.organisation)


@pytest.fixture
def client(trader) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(trader)
    return c


def test_the_form_lists_every_baseline_requirement(client, operator) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/operators/{operator.pk}/self-test/").content.decode()
    for req in shipped().baseline.requirements:
        assert f'id="req-{req.id}"' in page
    # 'not applicable' is offered only where a requirement allows it
    assert 'name="answer-COMP-RECORD" value="na"' not in page
    assert 'name="answer-SEC-CONVEYANCE" value="na"' in page


def test_autosave_answers_json_with_the_time_or_the_error(client, operator) -> None:  # type: ignore[no-untyped-def]
    url = f"/operators/{operator.pk}/self-test/answers/SEC-IT"
    ok = client.post(url, {"answer": "partly", "comment": "MFA missing"})
    assert ok.status_code == 200
    assert ok.json()["answered"] == 1
    bad = client.post(f"/operators/{operator.pk}/self-test/answers/COMP-RECORD", {"answer": "na"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "answer"
    assert services.answers_of(services.draft_of(operator)) == {"SEC-IT": "partly"}


def test_saving_the_whole_form_keeps_the_good_answers_and_flags_the_bad_one(
    client, operator
) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/operators/{operator.pk}/self-test/",
        {"answer-SEC-IT": "met", "answer-COMP-RECORD": "na", "comment-COMP-RECORD": "?"},
    )
    assert response.status_code == 400
    assert "cannot be &#x27;na&#x27;" in response.content.decode()
    assert services.answers_of(services.draft_of(operator)) == {"SEC-IT": "met"}


def test_the_report_ranks_gaps_and_downloads_as_pdf(client, operator, trader) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader)
    services.save_answer(operator, trader, "SEC-PERSONNEL", "not_met", "")
    page = client.get(f"/operators/{operator.pk}/self-test/report/").content.decode()
    assert "Gaps, ranked by impact" in page
    assert "SEC-PERSONNEL" in page
    assert "Korea AEO programme" in page
    # The gaps come first, before each programme's details; a tier's threshold is drawn.
    assert page.index("Gaps, ranked by impact") < page.index("Programme by programme")
    assert page.count('fill="#8a4b00"') > 0
    assert 'class="mark-legend">brown marks</span>' in page
    pdf = client.get(f"/operators/{operator.pk}/self-test/report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 5000


def test_two_snapshots_show_progress(client, operator, trader) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader, "not_met")
    first = services.submit(operator, trader)
    for req in factories.baseline_ids():
        services.save_answer(operator, trader, req, "met", "")
    second = services.submit(operator, trader)
    page = client.get(
        f"/operators/{operator.pk}/self-tests/?before={first.pk}&after={second.pk}"
    ).content.decode()
    assert "Progress from" in page
    assert "not met → met" in page
    bad = client.get(f"/operators/{operator.pk}/self-tests/?before={first.pk}&after=999999")
    assert bad.status_code == 400


def test_the_action_plan_is_edited_from_the_report(client, operator) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/operators/{operator.pk}/action-plan/",
        {
            "requirement": "SEC-IT",
            "action": "Roll out MFA",
            "owner": "CIO",
            "target_date": "2027-03-01",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/operators/{operator.pk}/self-test/report/").content.decode()
    assert "Roll out MFA" in page
    assert "I understand: the action leaves the plan" in page  # says what will happen
    item = operator.action_items.get()
    unticked = client.post(
        f"/operators/{operator.pk}/action-plan/{item.pk}/", {"delete": "1"}, follow=True
    )
    assert "Not deleted: tick the box to confirm" in unticked.content.decode()
    assert operator.action_items.filter(pk=item.pk).exists()
    client.post(
        f"/operators/{operator.pk}/action-plan/{item.pk}/", {"delete": "1", "confirm": "yes"}
    )
    assert not operator.action_items.exists()
    deleted = AuditEvent.objects.get(action="assessments.action.deleted")
    assert deleted.data == {"action": "Roll out MFA"}


@pytest.mark.parametrize("programme_id", sorted(shipped().programmes))
def test_every_programme_page_renders(client, programme_id: str) -> None:  # type: ignore[no-untyped-def]
    programme = shipped().programmes[programme_id]
    for version in programme.versions:
        page = client.get(f"/catalogue/{programme_id}/?version={version.version}")
        assert page.status_code == 200
        assert version.criteria[0].id in page.content.decode()


def test_the_api_saves_answers_and_reports_readiness(client, operator) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/v1/self-assessments/operators/{operator.pk}/draft"
    bad = client.put(
        f"{base}/answers/COMP-RECORD", json.dumps({"answer": "na"}), content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "answer"
    ok = client.put(
        f"{base}/answers/SEC-IT", json.dumps({"answer": "met"}), content_type="application/json"
    )
    assert ok.json() == {"requirement": "SEC-IT", "answer": "met", "comment": ""}
    readiness = client.get(base).json()
    assert {p["programme"] for p in readiness["programmes"]} >= {"kr-aeo", "eu-aeo"}
    assert readiness["gaps"][0]["requirement"]
    refused = client.post(f"{base}/submit")
    assert refused.status_code == 400
    assert "not answered yet" in refused.json()["detail"]


def test_the_catalogue_api_browses_programmes_versions_and_mappings(client) -> None:  # type: ignore[no-untyped-def]
    programmes = client.get("/api/v1/catalogue/programmes").json()
    assert {p["id"] for p in programmes} == set(shipped().programmes)
    korea = client.get("/api/v1/catalogue/programmes/kr-aeo").json()
    assert [t["id"] for t in korea["tiers"]] == ["A", "AA", "AAA"]
    assert korea["criteria"][0]["reference"]["url"].startswith("http")
    mappings = client.get("/api/v1/catalogue/mappings?requirement=SEC-IT").json()
    assert {m["programme"] for m in mappings} >= {"kr-aeo", "us-ctpat"}
    assert client.get("/api/v1/catalogue/programmes/kr-aeo?on=1990-01-01").status_code == 404


def test_the_report_assesses_against_another_date_and_says_what_is_not_in_force(
    client, operator, trader
) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader)
    url = f"/operators/{operator.pk}/self-test/report/"
    page = client.get(url + "?on=2019-06-01").content.decode()
    assert "rules in force on 2019-06-01" in page
    assert 'data-testid="not-in-force">Not compared: ' in page
    assert 'role="alert"' not in page.split('data-testid="not-in-force"')[0][-200:]  # not an error
    assert "us-ctpat" in page  # its 2020 criteria did not apply yet
    bad = client.get(url + "?on=next-year")
    assert bad.status_code == 400
    assert "is not a date" in bad.content.decode()


def test_after_submitting_the_form_shows_the_snapshot_and_saving_it_keeps_every_answer(
    client, operator, trader
) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader, "partly")
    services.submit(operator, trader)
    page = client.get(f"/operators/{operator.pk}/self-test/").content.decode()
    assert 'name="answer-SEC-IT" value="partly" checked' in page
    form = {f"answer-{r}": "partly" for r in factories.baseline_ids()}
    form |= {f"comment-{r}": "" for r in factories.baseline_ids()}
    form["answer-SEC-IT"] = "met"
    assert client.post(f"/operators/{operator.pk}/self-test/", form).status_code == 302
    answers = services.answers_of(services.draft_of(operator))
    assert answers["SEC-IT"] == "met"
    assert sum(1 for a in answers.values() if a == "partly") == len(answers) - 1


def test_a_malformed_score_field_is_ignored_not_a_server_error(client, operator) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/operators/{operator.pk}/self-test/profile", {"score:kr-aeo": "90"})
    assert response.status_code == 302


def test_the_action_plan_never_redirects_off_site(client, operator) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        f"/operators/{operator.pk}/action-plan/",
        {"requirement": "SEC-IT", "action": "x", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/operators/{operator.pk}/self-test/report/"


def test_customs_sees_the_snapshot_not_the_companys_action_plan_nor_draft_evidence(
    operator, trader
) -> None:  # type: ignore[no-untyped-def]
    from greenlane.apps.operators import services as operator_services

    customs = factories.organisation("customs")
    validator = factories.user(Role.VALIDATOR, customs)
    operator_services.assign_validator(operator, validator, None)
    factories.answered_draft(operator, trader)
    submitted = services.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload())
    snapshot = services.submit(operator, trader)
    draft_only = services.add_evidence(
        operator, trader, "SEC-IT", factories.pdf_upload("later.pdf", factories.MINIMAL_PDF + b" ")
    )
    services.save_action(operator, trader, {"requirement": "SEC-IT", "action": "Secret plan"})
    officer = Client()
    officer.force_login(validator)
    page = officer.get(f"/operators/{operator.pk}/self-tests/{snapshot.pk}/").content.decode()
    assert "Secret plan" not in page
    assert f"/evidence/{submitted.pk}/" in page  # listed for the assigned validator
    assert officer.get(f"/evidence/{draft_only.pk}/").status_code == 404
    ok = officer.get(f"/evidence/{submitted.pk}/")
    assert ok.status_code == 200
    # Closing a file response ends the request, which closes the database connection on
    # PostgreSQL: do it last.
    ok.close()


def test_the_programmes_page_draws_the_mra_network_and_lists_it_in_words(client) -> None:  # type: ignore[no-untyped-def]
    from greenlane.core.certification.mras import shipped_mras, spoken

    page = client.get("/catalogue/").content.decode()
    drawing = page.split('data-testid="mra-network"')[1].split("</figure>")[0]
    table = page.split('data-testid="mra-table"')[1].split("</table>")[0]
    arrangements = shipped_mras()
    edges = sum(len(a.parties) if a.kind == "plurilateral" else 1 for a in arrangements)
    assert drawing.count("<line ") == edges
    for a in arrangements:
        assert f'data-arrangement="{a.id}"' in drawing
        assert f'id="mra-{a.id}"' in table
        assert html.escape(a.sources[0].url) in table
    assert '<desc id="network-desc">' in drawing  # the text alternative
    korea_us = next(a for a in arrangements if {p.economy for p in a.parties} == {"KR", "US"})
    (line,) = [x for x in drawing.split("<line ")[1:] if f'"{korea_us.id}"' in x]
    assert "Korea" in line
    assert "United States" in line
    assert f"signed {spoken(korea_us.signed)}" in line
    assert not any({p.economy for p in a.parties} == {"EU", "KR"} for a in arrangements)


def test_the_report_shows_the_home_programme_in_detail_and_folds_the_others_until_chosen(
    client, operator, trader, settings
) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    factories.answered_draft(operator, trader)
    url = f"/operators/{operator.pk}/self-test/report/"
    page = client.get(url).content.decode()
    programmes = sorted(shipped().programmes)
    opened = [p for p in programmes if f'data-testid="detail-{p}" open' in page]
    assert opened == [settings.PROGRAMME]
    for p in programmes:  # every programme is still summarised and can be unfolded
        assert f'data-testid="best-{p}"' in page
        assert f'data-testid="detail-{p}"' in page
    chosen = client.get(url + "?programme=us-ctpat&programme=th-aeo&programme=nope").content
    opened = [p for p in programmes if f'data-testid="detail-{p}" open' in chosen.decode()]
    assert opened == ["th-aeo", "us-ctpat"]
    assert "programme=us-ctpat&amp;programme=th-aeo" in chosen.decode()  # the PDF link keeps them

    def pdf_text(query: str) -> str:
        pdf = client.get(f"/operators/{operator.pk}/self-test/report.pdf{query}").content
        return " ".join(
            " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages
        )

    text = pdf_text("?programme=th-aeo")
    thailand = shipped().programmes["th-aeo"]
    korea = shipped().programmes["kr-aeo"]
    assert f"In detail: {thailand.title}" in text
    assert text.count(korea.title) == 1  # in the summary only


def test_the_bar_charts_scores_and_tier_marks_are_also_in_figures(client, operator, trader) -> None:  # type: ignore[no-untyped-def]
    """Each programme's chart has its data as a table (its text alternative), and a tier's
    mark names the score the tier needs, not where the mark is drawn."""
    import re

    factories.answered_draft(operator, trader)
    page = client.get(f"/operators/{operator.pk}/self-test/report/").content.decode()
    needs = [float(n) for n in re.findall(r"<title>[^<]+ needs ([\d.]+)</title>", page)]
    assert needs, "no tier mark on any chart"
    assert all(0 < n <= 100 for n in needs), needs
    tables = re.findall(r'<details data-testid="scores-([a-z0-9-]+)">', page)
    charts = re.findall(r'<svg class="chart" role="img"', page)
    assert len(tables) == len(charts) > 0
