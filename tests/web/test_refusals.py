"""A service's refusal on a page (``web/refusals.py``, decision 0018): an error message, an
error of the form on the field it is about, or the page again with the refusal's status."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client, RequestFactory

from greenlane.apps.accounts.roles import Role
from greenlane.apps.certification import services as certification
from greenlane.apps.declarations.models import Upload
from greenlane.core.errors import NotAllowed, Refused
from greenlane.web.refusals import onto_form, refusal, shown
from tests import factories
from tests.apps.certification.world import World, world


def _request() -> HttpRequest:
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def _messages(request: HttpRequest) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


class RuleForm(forms.Form):
    valid_to = forms.DateField()


def refusal_of_the_rule() -> None:
    raise Refused("the rule ends before it starts", "valid_to")


def test_a_refusal_is_shown_as_an_error_and_the_rest_of_the_block_is_skipped() -> None:
    request, done = _request(), []
    with shown(request):
        refusal_of_the_rule()
        done.append("success")
    assert _messages(request) == [("error", "the rule ends before it starts")]
    assert done == []


def test_a_refusal_is_shown_in_the_words_the_page_chooses() -> None:
    request = _request()
    with shown(request, lambda exc: f"Not submitted: {exc}."):
        raise NotAllowed("nothing has changed since the last snapshot")
    assert _messages(request) == [
        ("error", "Not submitted: nothing has changed since the last snapshot.")
    ]


def test_a_block_that_goes_through_shows_nothing() -> None:
    request, done = _request(), []
    with shown(request):
        done.append("success")
    assert (done, _messages(request)) == (["success"], [])


@pytest.mark.parametrize("helper", [lambda: shown(_request()), lambda: onto_form(RuleForm({}))])
def test_an_error_that_is_not_a_refusal_goes_on(helper) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="a bug"), helper():
        raise ValueError("a bug")


def test_a_refusal_about_a_field_of_the_form_is_put_on_that_field() -> None:
    form = RuleForm({"valid_to": "2026-01-01"})
    assert form.is_valid()
    with onto_form(form):
        raise Refused("the rule ends before it starts", "valid_to")
    assert form.errors == {"valid_to": ["the rule ends before it starts"]}


@pytest.mark.parametrize("field", [None, "", "office_code"])
def test_a_refusal_about_no_field_of_the_form_is_put_on_the_whole_form(field: str | None) -> None:
    form = RuleForm({"valid_to": "2026-01-01"})
    assert form.is_valid()
    with onto_form(form):
        raise Refused("the policy was changed meanwhile", field)
    assert form.non_field_errors() == ["the policy was changed meanwhile"]
    assert "valid_to" not in form.errors


def test_refusal_hands_back_what_the_service_refused_or_none() -> None:
    def service(answer: str) -> str:
        if answer != "met":
            raise Refused("not an answer", "answer")
        return answer

    refused = refusal(service, "maybe")
    assert isinstance(refused, Refused)
    assert (str(refused), refused.field) == ("not an answer", "answer")
    assert refusal(service, "met") is None


# Through the pages ------------------------------------------------------------------------


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.django_db
def test_a_finding_the_validator_may_not_record_is_a_409_and_bad_input_a_400_naming_it() -> None:
    w: World = world()
    application = certification.apply(w.operator, w.trader, "A", w.snapshot)
    certification.transition(application, w.admin, "assign", validator=w.validator)
    url = f"/applications/{application.pk}/findings"
    finding = {"criterion": "KR-SM-1", "result": "partly"}
    other = _as(w.other_validator).post(url, finding)
    assert other.status_code == 409
    assert (
        "only the validator assigned to this application records findings" in other.context["error"]
    )
    assigned = _as(w.validator).post(url, finding)
    assert assigned.status_code == 400
    assert assigned.context["error"] == "KR-SM-1: a finding that is not compliant needs a severity"


@pytest.mark.django_db
def test_a_mapping_file_that_is_not_text_is_an_error_of_that_field() -> None:
    client = _as(factories.user(Role.RISK_ANALYST))
    response = client.post(
        "/declarations/uploads/new/",
        {
            "file": SimpleUploadedFile("d.csv", b"No\n1\n"),
            "mapping": "kcs",
            "mapping_file": SimpleUploadedFile("m.yaml", b"name: \xff\xfe\n"),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "mapping_file": ["The mapping file is not UTF-8 text."]
    }
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_refused_submission_is_a_message_on_the_self_test_page() -> None:
    operator = factories.operator(factories.organisation("operator"))
    trader = factories.user(Role.TRADER, operator.organisation)
    factories.answered_draft(operator, trader)
    client = _as(trader)
    client.post(f"/operators/{operator.pk}/self-test/submit", follow=True)
    again = client.post(f"/operators/{operator.pk}/self-test/submit", follow=True)
    assert again.redirect_chain == [(f"/operators/{operator.pk}/self-test/", 302)]
    assert [str(m) for m in again.context["messages"]] == [
        "Not submitted: nothing has changed since the last snapshot."
    ]
